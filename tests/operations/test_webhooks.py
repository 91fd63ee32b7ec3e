"""Webhook pushes against the sandbox's webhook route, and a loopback receiver that shows the wire."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import pydantic
import pytest

from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.errors import AuthenticationError, NexlaError, ReadOnlyError, ServerError
from nexla_ops.operations.webhooks import (
    WebhookOptions,
    WebhookRequest,
    WebhookSourceNotActive,
    batched,
    send_webhook_records,
)
from tests.helpers.monitor import client_for, run_now

ORDERS = [{"order_id": n, "status": "NEW", "amount": n * 10} for n in range(1, 6)]


async def _webhook_source(
    client: AsyncNexlaClient, name: str = "orders-webhook", *, activate: bool = True
) -> tuple[int, str]:
    created = await client.post("/data_sources", json={"name": name, "source_type": "nexla_rest"})
    if activate:
        await client.put(f"/data_sources/{created['id']}/activate")
    return created["id"], created["api_keys"][0]["api_key"]


class Receiver:
    """Loopback server that records each request (path, query, headers, body) and replays ``statuses``."""

    def __init__(self, statuses: list[int], *, paused: bool = False) -> None:
        self.statuses = statuses
        self.paused = paused
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                body = raw if self.headers.get("Content-Type") == "application/xml" else json.loads(raw)
                parts = urlsplit(self.path)
                receiver.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                          "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                processed = len(body) if isinstance(body, list) else 1
                # Real Nexla's refusals carry no body; only success and the paused-source 500 do.
                reply = {200: {"datasetId": 77, "processed": processed},
                         500: {"error": "Source #5 is PAUSED"} if receiver.paused else None}.get(status)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if status == 503:
                    self.send_header("Retry-After", "0")
                payload = b"" if reply is None else json.dumps(reply).encode()
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/5"

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver([]) as server:
        yield server


async def test_records_pushed_in_batches_land_in_a_run(sandbox):
    async with client_for(sandbox) as client:
        source_id, key = await _webhook_source(client)
        one = await send_webhook_records(client, WebhookRequest(api_key=key, source_id=source_id, records=ORDERS[:1]))
        many = await send_webhook_records(
            client, WebhookRequest(api_key=key, source_id=source_id, records=ORDERS[1:], batch_size=2)
        )
    assert one.processed == 1 and one.batches == 1 and one.dataset_id is not None
    assert many.processed == 4 and many.batches == 2 and many.dataset_id == one.dataset_id
    assert key not in one.model_dump_json() + many.model_dump_json()
    run_now(sandbox, source_id)  # waits for the runs the pushes started
    with sandbox.client() as api:
        runs = api.get(f"data_sources/{source_id}/metrics/run_summary").json()["metrics"]["data"]
    assert sum(row["records"] for row in runs) == 5, runs


async def test_header_auth_is_the_default_and_the_key_stays_out_of_the_url(sandbox, receiver):
    async with client_for(sandbox) as client:
        await send_webhook_records(client, WebhookRequest(
            api_key="hook-key-123456", url=receiver.url, records=ORDERS[:2],
            options=WebhookOptions(include_headers=True, force_schema_detection=True),
        ))
    sent = receiver.requests[0]
    assert sent["headers"]["Authorization"] == "Basic " + base64.b64encode(b"hook-key-123456").decode()
    assert sent["query"] == {"include_headers": ["true"], "force_schema_detection": ["true"]}
    assert sent["headers"]["Content-Type"] == "application/json" and sent["body"] == ORDERS[:2]


async def test_query_auth_only_when_asked(sandbox, receiver):
    async with client_for(sandbox) as client:
        source_id, key = await _webhook_source(client)
        result = await send_webhook_records(
            client, WebhookRequest(api_key=key, source_id=source_id, records=ORDERS[:1], auth="query")
        )
        await send_webhook_records(client, WebhookRequest(api_key="hook-key-abcdef", url=receiver.url,
                                                          records=ORDERS[:1], auth="query"))
    assert result.processed == 1
    assert receiver.requests[0]["query"] == {"api_key": ["hook-key-abcdef"]}
    assert "Authorization" not in receiver.requests[0]["headers"]


async def test_a_wrong_key_is_refused_without_showing_any_key(sandbox):
    async with client_for(sandbox) as client:
        source_id, key = await _webhook_source(client)
        wrong = "not-the-right-key-999"
        with pytest.raises(AuthenticationError) as caught:
            await send_webhook_records(client, WebhookRequest(api_key=wrong, source_id=source_id, records=ORDERS))
    error = caught.value
    assert error.status == 403 and "webhook API key" in error.hint
    shown = str(error) + json.dumps(error.to_dict())
    assert wrong not in shown and key not in shown


async def test_not_processed_is_retried_and_a_later_failure_reports_what_was_delivered(sandbox):
    with Receiver([503, 200]) as server:
        async with client_for(sandbox) as client:
            result = await send_webhook_records(
                client, WebhookRequest(api_key="hook-key-retry", url=server.url, records=ORDERS[:1])
            )
        assert result.processed == 1 and len(server.requests) == 2
    with Receiver([200, 500]) as server:
        async with client_for(sandbox) as client:
            with pytest.raises(ServerError) as caught:
                await send_webhook_records(
                    client, WebhookRequest(api_key="hook-key-retry", url=server.url, records=ORDERS, batch_size=3)
                )
        assert "already delivered 3 records" in caught.value.message
        assert len(server.requests) == 2  # a 500 may have been processed: never resent


async def test_options_and_one_xml_record_reach_the_records(sandbox):
    async with client_for(sandbox) as client:
        source_id, key = await _webhook_source(client)
        xml = await send_webhook_records(client, WebhookRequest(
            api_key=key, source_id=source_id, xml="<root><order_id>9</order_id><status>NEW</status></root>",
            options=WebhookOptions(include_headers=True, include_url_params=True),
        ))
        # XML values are text, so the JSON record uses text too: one schema for both pushes.
        await send_webhook_records(client, WebhookRequest(
            api_key=key, source_id=source_id, records=[{"order_id": "10", "status": "NEW"}],
            options=WebhookOptions(force_schema_detection=True),
        ))
    assert xml.processed == 1 and xml.batches == 1 and xml.dataset_id is not None
    with sandbox.client() as api:
        samples = api.get(f"data_sets/{xml.dataset_id}/samples").json()
    pushed = next(record for record in samples if str(record.get("order_id")) == "9")
    assert pushed["status"] == "NEW" and pushed["_url_params"] == {"include_headers": "true",
                                                                    "include_url_params": "true"}
    assert "authorization" not in {name.lower() for name in pushed["_headers"]}
    assert key not in json.dumps(samples)


async def test_a_source_that_is_not_active_is_refused_before_and_after_sending(sandbox):
    async with client_for(sandbox) as client:
        source_id, key = await _webhook_source(client, activate=False)
        with pytest.raises(WebhookSourceNotActive) as looked_up:
            await send_webhook_records(client, WebhookRequest(api_key=key, source_id=source_id, records=ORDERS))
        url = f"{sandbox.base_url.removesuffix('/nexla-api')}/webhook/{source_id}"
        with pytest.raises(WebhookSourceNotActive) as sent:
            await send_webhook_records(client, WebhookRequest(api_key=key, url=url, records=ORDERS))
    for error in (looked_up.value, sent.value):
        assert "activate the source first" in error.message and error.resource_id == str(source_id)
        assert not error.retryable and f"/data_sources/{source_id}/activate" in error.hint
    assert "INIT" in looked_up.value.message


async def test_paused_source_500_and_bodyless_refusals(sandbox):
    with Receiver([500], paused=True) as server:
        async with client_for(sandbox) as client:
            with pytest.raises(WebhookSourceNotActive, match="Webhook source 5 is PAUSED"):
                await send_webhook_records(client, WebhookRequest(api_key="hook-key-pause", url=server.url,
                                                                  records=ORDERS[:1]))
    with Receiver([403, 404]) as server:
        async with client_for(sandbox) as client:
            with pytest.raises(AuthenticationError) as refused:
                await send_webhook_records(client, WebhookRequest(api_key="hook-key-bad", url=server.url,
                                                                  records=ORDERS[:1]))
            with pytest.raises(NexlaError) as missing:
                await send_webhook_records(client, WebhookRequest(api_key="hook-key-bad", url=server.url,
                                                                  records=ORDERS[:1]))
    assert refused.value.status == 403 and "webhook API key" in refused.value.hint
    assert missing.value.status == 404 and "nexla_rest" in missing.value.hint


async def test_a_source_that_is_not_a_webhook_is_refused(sandbox):
    async with client_for(sandbox) as client:
        created = await client.post("/data_sources", json={"name": "plain", "source_type": "s3"})
        with pytest.raises(ValueError, match=f"source_id {created['id']}.*not a webhook source"):
            await send_webhook_records(client, WebhookRequest(api_key="k" * 10, source_id=created["id"], records=ORDERS))
        with pytest.raises(NexlaError) as missing:
            await send_webhook_records(client, WebhookRequest(api_key="k" * 10, source_id=999999, records=ORDERS))
    assert missing.value.status == 404


def test_bad_requests_name_the_field():
    with pytest.raises(pydantic.ValidationError, match="url must not carry api_key"):
        WebhookRequest(api_key="abcdefgh", url="https://h.example/webhook/1?api_key=abcdefgh", records=ORDERS)
    with pytest.raises(pydantic.ValidationError, match="give source_id"):
        WebhookRequest(api_key="abcdefgh", records=ORDERS)
    with pytest.raises(pydantic.ValidationError, match="records"):
        WebhookRequest(api_key="abcdefgh", source_id=1, records=[])
    with pytest.raises(pydantic.ValidationError, match="api_key is empty"):
        WebhookRequest(api_key=" ", source_id=1, records=ORDERS)
    with pytest.raises(pydantic.ValidationError, match="give records .* or xml"):
        WebhookRequest(api_key="abcdefgh", source_id=1, records=ORDERS, xml="<root/>")
    with pytest.raises(pydantic.ValidationError, match="xml is not well-formed"):
        WebhookRequest(api_key="abcdefgh", source_id=1, xml="<root><id>1</root>")
    with pytest.raises(pydantic.ValidationError, match="xml must not declare a DOCTYPE"):
        WebhookRequest(api_key="abcdefgh", source_id=1, xml='<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>')
    assert [len(chunk) for chunk in batched(ORDERS, 2)] == [2, 2, 1]


async def test_read_only_mode_sends_nothing(sandbox, receiver):
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.service_key, "NEXLA_AUDIT_LOG": "",
           "NEXLA_READ_ONLY": "1"}
    async with AsyncNexlaClient(Settings.from_env(env=env)) as client:
        with pytest.raises(ReadOnlyError):
            await send_webhook_records(client, WebhookRequest(api_key="hook-key-ro", url=receiver.url, records=ORDERS))
    assert receiver.requests == []
