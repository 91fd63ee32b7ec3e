"""Webhook push rules: which source takes records, with which key, and what options add to each record.

The caller is the webhook key, not a user: a source that is not a webhook source is 404, a missing
or wrong key 403, and a source that is not ACTIVE is refused with :class:`SourceNotActive`. Secrets
(the key, authorisation and cookie headers) never reach a record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from nexla_sandbox.errors import ApiError, bad_request
from nexla_sandbox.params import check_storable
from nexla_sandbox.runtime import Runtime

WEBHOOK_TYPES = {"nexla_rest"}
SECRET_HEADERS = {"authorization", "cookie", "x-api-key"}
SECRET_PARAMS = {"api_key"}


class SourceNotActive(Exception):
    """A push to a source that is not ACTIVE (Nexla answers 500 ``{error}``)."""


def push(runtime: Runtime, source_id: int, key: str | None, body: bytes, content_type: str, *,
         headers: Mapping[str, str] | None, url_params: Mapping[str, str] | None,
         force_schema_detection: bool) -> dict[str, Any]:
    """Store the records of a pushed body for the source's next run; ``headers`` / ``url_params`` (when
    given) are added to each record as ``_headers`` / ``_url_params`` without secrets.

    Returns ``{dataset_id, processed}``.
    """
    source = runtime.store.get("data_sources", source_id)
    if source is None or source.get("source_type") not in WEBHOOK_TYPES:
        raise ApiError(404, f"no webhook source {source_id}", resource_type="data_sources", resource_id=source_id)
    if not runtime.webhook_key_valid(source, key):
        raise ApiError(403, "webhook API key missing or invalid: pass ?api_key= or "
                            "Authorization: Basic base64(api_key)")
    if source.get("status") != "ACTIVE":
        raise SourceNotActive(f"Source #{source_id} is {source.get('status') or 'INIT'}")
    records = records_of(body, content_type)
    extras: dict[str, Any] = {}
    if headers is not None:
        extras["_headers"] = {k: v for k, v in headers.items() if k.lower() not in SECRET_HEADERS}
    if url_params is not None:
        extras["_url_params"] = {k: v for k, v in url_params.items() if k not in SECRET_PARAMS}
    return runtime.accept_push(source, [{**record, **extras} for record in records], force_schema_detection)


def records_of(raw: bytes, content_type: str) -> list[dict]:
    """The records of a webhook body: one JSON object, a non-empty JSON array of objects, or one XML record."""
    text = raw.strip()
    if "xml" in content_type.lower() or text.startswith(b"<"):
        return [xml_record(text)]
    try:
        body = json.loads(text or b"null")
    except RecursionError:
        raise bad_request("webhook body is nested too deeply", "body") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise bad_request("webhook body must be JSON (one object or an array of objects) or XML", "body") from None
    check_storable(body)
    records = body if isinstance(body, list) else [body]
    if not records or not all(isinstance(item, dict) for item in records):
        raise bad_request("webhook body must be one JSON object or a non-empty array of objects", "body")
    return records


def xml_record(raw: bytes) -> dict:
    """One record from ``<root><field>value</field>...</root>`` (repeated elements become lists)."""
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise bad_request("webhook XML must not declare a DOCTYPE or entities", "body")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        raise bad_request(f"webhook body is not well-formed XML: {error}", "body") from None
    value = xml_value(root)
    record = value if isinstance(value, dict) else {root.tag: value}
    check_storable(record)
    return record


def xml_value(element: ElementTree.Element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    found: dict[str, Any] = {}
    for child in children:
        value = xml_value(child)
        if child.tag in found:
            previous = found[child.tag]
            found[child.tag] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            found[child.tag] = value
    return found
