"""Push records into a webhook source (``source_type: nexla_rest``) through its webhook URL.

The webhook URL is not under the API base URL and does not use the session token: it takes the
source's own API key (issued once, in the create response's ``api_keys``). By default the key
travels in an ``Authorization: Basic base64(api_key)`` header; ``auth="query"`` sends it as
``?api_key=`` instead, which puts it in proxy and access logs, so use it only for an endpoint
that refuses the header. The key is registered as a secret: it never appears in results,
errors or audit lines.

Records go in batches (one JSON array per POST), in order; one XML record goes as one
``application/xml`` POST. A batch is retried only when the server says it did not take it (429,
503) or the connection never opened, so a retry cannot push the same records twice. When a later
batch fails, the error says how many records the earlier batches already delivered.

The webhook answers ``{datasetId, processed}``; a refused key is a 403 with no body, and a source
that is not ACTIVE gets a 500 ``{error: "Source #<id> is PAUSED"}``, so nothing here depends on a
JSON body for the refusals. A source looked up by id is checked to be ACTIVE before anything is sent.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import httpx
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from nexla_ops.client import AsyncNexlaClient
from nexla_ops.client.pipeline import USER_AGENT
from nexla_ops.client.retry_policy import retry_after_from
from nexla_ops.errors import AuthenticationError, NexlaError, ReadOnlyError, error_type_for_status
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress
from nexla_ops.redaction import register_secret, scrub_text

WEBHOOK_SOURCE_TYPES = ("nexla_rest",)
DEFAULT_BATCH_SIZE = 500
MAX_ATTEMPTS = 3
# The server told us it did not process the request: safe to send the same batch again.
_NOT_PROCESSED = (429, 503)
# The webhook's documented 500 body for a source that is not ACTIVE.
_NOT_ACTIVE = re.compile(r"Source #(\d+) is (\w+)")


class WebhookSourceNotActive(NexlaError):
    """The webhook source is not ACTIVE (paused or never activated), so the webhook takes nothing."""

    default_hint = (
        "Activate the source first (PUT /data_sources/{id}/activate, or activate its flow), then send "
        "the records again; nothing was accepted."
    )


class WebhookOptions(BaseModel):
    """Query options the webhook understands (each sent as ``=true`` only when set)."""

    include_headers: bool = Field(False, description="Add the request headers to each record (secrets left out).")
    include_url_params: bool = Field(False, description="Add the URL query parameters to each record.")
    force_schema_detection: bool = Field(False, description="Detect the nexset schema again from these records.")

    def params(self) -> dict[str, str]:
        return {name: "true" for name, on in self.model_dump().items() if on}


class WebhookRequest(BaseModel):
    """What to send where. Give ``source_id`` (the URL is looked up) or the full ``url``."""

    api_key: SecretStr = Field(description="The webhook source's API key (from its create response).")
    records: list[dict[str, Any]] | None = Field(
        None, min_length=1, description="Records to push, one object each (JSON). Give this or xml."
    )
    xml: str | None = Field(
        None, description="One record as an XML document, e.g. <root><id>1</id></root>. Give this or records."
    )
    source_id: int | None = Field(None, ge=1, description="Webhook source whose URL to use.")
    url: str | None = Field(None, description="Full webhook URL, when known; skips the lookup.")
    auth: Literal["header", "query"] = Field(
        "header", description="header: Authorization: Basic base64(key) (default); query: ?api_key= (lands in logs)."
    )
    options: WebhookOptions = WebhookOptions()
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=10_000, description="Records per POST.")

    @field_validator("api_key")
    @classmethod
    def _key_present(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("api_key is empty; pass the webhook source's API key (for example from an env var)")
        return value

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("url must be an absolute http(s) URL, e.g. https://api.nexla.com/webhook/123")
        if any(name.lower() == "api_key" for name, _ in parse_qsl(parts.query)):
            raise ValueError("url must not carry api_key; pass the key as api_key (sent in a header by default)")
        return value

    @field_validator("xml")
    @classmethod
    def _xml_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # A DTD is never needed for one record and is how entity-expansion attacks start.
        if "<!DOCTYPE" in value.upper() or "<!ENTITY" in value.upper():
            raise ValueError("xml must not declare a DOCTYPE or entities")
        try:
            ElementTree.fromstring(value)
        except ElementTree.ParseError as error:
            raise ValueError(f"xml is not well-formed: {error}") from None
        return value

    @model_validator(mode="after")
    def _target(self) -> WebhookRequest:
        if self.source_id is None and self.url is None:
            raise ValueError("give source_id (the webhook source) or url (its full webhook URL)")
        if (self.records is None) == (self.xml is None):
            raise ValueError("give records (JSON objects) or xml (one XML record), not both or neither")
        return self


class WebhookResult(BaseModel):
    """What the webhook accepted: the nexset the records land in and how many were processed."""

    dataset_id: int | None = Field(None, description="Nexset that receives the records.")
    processed: int = Field(description="Records the webhook accepted, over every batch.")
    batches: int = Field(description="POST requests sent.")
    source_id: int | None = None


class _NotProcessed(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response


def batched(records: Sequence[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Consecutive slices of at most ``size`` records."""
    return [list(records[start:start + size]) for start in range(0, len(records), size)]


async def webhook_url(client: AsyncNexlaClient, source_id: int) -> str:
    """The webhook URL of an ACTIVE webhook source.

    Raises ValueError naming ``source_id`` for a source that is not a webhook source or lists no
    URL, and WebhookSourceNotActive when it is not ACTIVE (the webhook would refuse every record).
    """
    source = await client.get(f"/data_sources/{source_id}")
    source_type = (source or {}).get("source_type")
    if source_type not in WEBHOOK_SOURCE_TYPES:
        raise ValueError(
            f"source_id {source_id} is a {source_type!r} source, not a webhook source "
            f"(source_type one of {', '.join(WEBHOOK_SOURCE_TYPES)})"
        )
    status = source.get("status")
    if status != "ACTIVE":
        raise _not_active(source_id, status)
    for key in source.get("api_keys") or []:
        if isinstance(key, dict) and key.get("url"):
            return str(key["url"])
    raise ValueError(f"source_id {source_id} lists no webhook URL in api_keys; pass url explicitly")


def _not_active(source_id: int | str, status: str | None) -> WebhookSourceNotActive:
    return WebhookSourceNotActive(
        f"Webhook source {source_id} is {status or 'not active'}: activate the source first",
        resource_type="data_sources", resource_id=source_id,
        hint=WebhookSourceNotActive.default_hint.replace("{id}", str(source_id)),
    )


async def send_webhook_records(
    client: AsyncNexlaClient, request: WebhookRequest, progress: ProgressCallback = no_progress
) -> WebhookResult:
    """Push ``request.records`` to the webhook, in batches, and return what it accepted.

    Raises ReadOnlyError in read-only mode (nothing sent), ValueError for a source that is not a
    webhook source, WebhookSourceNotActive for a source that is not ACTIVE, AuthenticationError
    for a refused key, and a NexlaError (key scrubbed) when a batch is refused otherwise.
    """
    key = request.api_key.get_secret_value()
    register_secret(key)
    if client.settings.read_only:
        raise ReadOnlyError("Read-only mode is on, so the records were not pushed to the webhook")
    url = request.url or await webhook_url(client, request.source_id or 0)
    chunks: list[list[dict[str, Any]] | str] = (
        [request.xml] if request.xml is not None else [*batched(request.records or [], request.batch_size)]
    )
    processed, dataset_id = 0, None
    async with httpx.AsyncClient(timeout=httpx.Timeout(client.settings.timeout_s), follow_redirects=False) as http:
        for number, chunk in enumerate(chunks, start=1):
            await progress(ProgressEvent(step="send", message=f"batch {number}/{len(chunks)}", current=number - 1,
                                         total=len(chunks)))
            try:
                reply = await _send(http, url, key, chunk, request)
            except NexlaError as error:
                client.audit("send_webhook_records", "data_sources", request.source_id, "failed",
                             processed=processed, batches=number, error=error.kind)
                if processed:
                    error.message = f"{error.message} (batches 1-{number - 1} already delivered {processed} records)"
                raise
            processed += int(reply.get("processed") or (1 if isinstance(chunk, str) else len(chunk)))
            dataset_id = reply.get("datasetId") or dataset_id
    await progress(ProgressEvent(step="send", message="done", current=len(chunks), total=len(chunks)))
    client.audit("send_webhook_records", "data_sources", request.source_id, "ok",
                 processed=processed, batches=len(chunks), dataset_id=dataset_id)
    return WebhookResult(dataset_id=dataset_id, processed=processed, batches=len(chunks), source_id=request.source_id)


async def _send(
    http: httpx.AsyncClient, url: str, key: str, records: list[dict[str, Any]] | str, request: WebhookRequest
) -> dict[str, Any]:
    params = request.options.params()
    content_type = "application/xml" if isinstance(records, str) else "application/json"
    headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
    if request.auth == "query":
        params["api_key"] = key
    else:
        headers["Authorization"] = "Basic " + base64.b64encode(key.encode()).decode()
    retrying = AsyncRetrying(
        stop=stop_after_attempt(MAX_ATTEMPTS),
        wait=_wait,
        retry=retry_if_exception(lambda exc: isinstance(exc, (_NotProcessed, httpx.ConnectError))),
        reraise=True,
    )
    try:
        response: httpx.Response = await retrying(_post_once, http, url, params, headers, records)
    except _NotProcessed as refused:
        raise _error(refused.response, key) from None
    except httpx.TransportError as exc:
        raise NexlaError(
            f"Could not deliver to the webhook at {_where(url)}: {type(exc).__name__}",
            retryable=isinstance(exc, httpx.ConnectError),
            hint="Check the webhook URL and network; the batch may or may not have been received.",
            method="POST", path=urlsplit(url).path,
        ) from None
    if not 200 <= response.status_code < 300:
        raise _error(response, key)
    try:
        body = response.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {}


async def _post_once(
    http: httpx.AsyncClient, url: str, params: dict[str, str], headers: dict[str, str],
    records: list[dict[str, Any]] | str,
) -> httpx.Response:
    if isinstance(records, str):
        response = await http.post(url, params=params, headers=headers, content=records.encode())
    else:
        response = await http.post(url, params=params, headers=headers, json=records)
    if response.status_code in _NOT_PROCESSED:
        raise _NotProcessed(response)
    return response


def _wait(state: Any) -> float:
    outcome = state.outcome.exception() if state.outcome else None
    if isinstance(outcome, _NotProcessed):
        after = retry_after_from(outcome.response.headers, None)
        if after is not None:
            return min(float(after), 30.0)
    return wait_exponential(multiplier=0.5, max=8)(state)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


_HINTS = {
    401: "The webhook API key was refused: use the key issued with this webhook source.",
    403: "The webhook API key was refused: use the key issued with this webhook source.",
    404: "No webhook source at this URL: check the source id (it must be a nexla_rest source).",
    400: "The body must be one JSON object, a non-empty array of objects, or one XML record.",
}


def _error(response: httpx.Response, key: str) -> NexlaError:
    # Refusals (401/403/404) come with no body on real Nexla: the status alone decides the error.
    try:
        body = response.json()
    except ValueError:
        body = None
    message = (body.get("message") or body.get("error")) if isinstance(body, dict) else None
    message = scrub_text(str(message or response.reason_phrase or "webhook request failed"), [key])
    inactive = _NOT_ACTIVE.search(message) if response.status_code == 500 else None
    if inactive:
        return _not_active(inactive.group(1), inactive.group(2))
    status = response.status_code
    error_type = AuthenticationError if status in (401, 403) else error_type_for_status(status)
    return error_type(
        f"Webhook refused the records: {message}",
        status=status,
        resource_type="data_sources",
        retry_after=retry_after_from(response.headers, body),
        hint=_HINTS.get(status),
        method="POST",
        path=urlsplit(str(response.request.url)).path,
    )


__all__ = [
    "WebhookOptions", "WebhookRequest", "WebhookResult", "WebhookSourceNotActive", "batched", "send_webhook_records",
    "webhook_url",
]
