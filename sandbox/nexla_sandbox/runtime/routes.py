"""HTTP routes the runtime serves: samples, daily/run/flow metrics, run logs, run-now and the webhook.

Shapes follow Nexla's OpenAPI (`reference/nexla-openapi.json`). Authentication is the app's (the user
arrives in `request.state.user`); permissions go through `request.app.state.access.require`. Errors
are raised as `nexla_sandbox.errors.ApiError`, which the app's exception handler renders.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import flag, integer, page_window
from nexla_sandbox.routes.common import check_storable
from nexla_sandbox.state.flows import FlowIndex, root_of

if TYPE_CHECKING:
    from . import Runtime

RESOURCE_TYPES = ("data_sources", "data_sets", "data_sinks")
LOG_RESOURCE_TYPES = {"data_sources": "SOURCE", "data_sets": "DATASET", "data_sinks": "SINK"}
LOG_SEVERITIES = {"WARN": "WARNING"}
MAX_SAMPLES = 500


def api_routes(runtime: Runtime) -> list[BaseRoute]:
    handlers = _Handlers(runtime)
    routes: list[BaseRoute] = [
        Route("/data_sets/{id:int}/samples", handlers.samples, methods=["GET"]),
        Route("/_sandbox/sources/{id:int}/run", handlers.run_now, methods=["POST"]),
    ]
    for kind in RESOURCE_TYPES:
        routes += [
            Route(f"/{kind}/{{id:int}}/metrics", handlers.daily, methods=["GET"]),
            Route(f"/{kind}/{{id:int}}/metrics/run_summary", handlers.run_summary, methods=["GET"]),
            Route(f"/data_flows/{kind}/{{id:int}}/metrics", handlers.flow_metrics, methods=["GET"]),
            Route(f"/data_flows/{kind}/{{id:int}}/logs", handlers.logs, methods=["GET"]),
            # nexla-sdk 1.0.8 (flows.get_metrics/get_logs, metrics.get_flow_metrics/get_flow_logs) uses these paths.
            Route(f"/{kind}/{{id:int}}/flow/metrics", handlers.flow_metrics, methods=["GET"]),
            Route(f"/{kind}/{{id:int}}/flow/logs", handlers.logs, methods=["GET"]),
        ]
    return routes


def webhook_routes(runtime: Runtime) -> list[BaseRoute]:
    return [Route("/webhook/{id:int}", _Handlers(runtime).webhook, methods=["POST"])]


def _kind_of(request: Request) -> str:
    segments = request.url.path.split("/")
    return next(segment for segment in segments if segment in RESOURCE_TYPES)


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def _day(query: Any, name: str, required: bool) -> date | None:
    raw = query.get(name)
    if not raw:
        if required:
            raise bad_request(f"Query parameter '{name}' is required (YYYY-MM-DD)", name)
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise bad_request(f"Query parameter '{name}' must be a date like 2025-01-31", name) from None


def _required_int(query: Any, name: str) -> int:
    value = integer(query, name, None)
    if value is None:
        raise bad_request(f"Query parameter '{name}' is required"
                          + (" (epoch milliseconds)" if name == "from" else ""), name)
    return value


def _meta(page: int, per_page: int, total: int) -> dict[str, int]:
    return {"currentPage": page, "pageCount": max(1, math.ceil(total / per_page)) if total else 0,
            "totalCount": total}


class _Handlers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store

    def _resource(self, request: Request, kind: str) -> dict:
        return request.app.state.access.require(request.state.user, kind, request.path_params["id"], "read")

    def _source_of(self, kind: str, record: dict) -> dict | None:
        return record if kind == "data_sources" else root_of(self.store, kind, record)

    async def samples(self, request: Request) -> JSONResponse:
        record = self._resource(request, "data_sets")
        count = min(integer(request.query_params, "count", 10, minimum=1) or 10, MAX_SAMPLES)
        with_meta = flag(request.query_params, "include_metadata")
        flag(request.query_params, "live")  # accepted for the SDK; samples are always computed now
        records = self.runtime.samples(record, count)
        if not with_meta:
            return JSONResponse(records)
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        wrapped = [
            {"rawMessage": item,
             "nexlaMetaData": {"timestamp": stamp, "source": "sandbox", "data_set_id": record["id"], "offset": n}}
            for n, item in enumerate(records)
        ]
        return JSONResponse(wrapped)

    async def daily(self, request: Request) -> JSONResponse:
        kind = _kind_of(request)
        record = self._resource(request, kind)
        start = _day(request.query_params, "from", True)
        assert start is not None  # required=True raises instead of answering None
        end = _day(request.query_params, "to", False)
        days: dict[str, dict[str, int]] = defaultdict(lambda: {"records": 0, "size": 0, "errors": 0})
        for row in self.runtime.ledger.metrics(kind, record["id"]):
            day = datetime.fromtimestamp(row["started_at"], UTC).date()
            if day < start or (end is not None and day > end):
                continue
            totals = days[day.isoformat()]
            for name in ("records", "size", "errors"):
                totals[name] += row[name]
        metrics = [{"time": day, **days[day]} for day in sorted(days)]
        return JSONResponse({"status": 200, "metrics": metrics})

    async def run_summary(self, request: Request) -> JSONResponse:
        kind = _kind_of(request)
        record = self._resource(request, kind)
        page, size = page_window(request.query_params, "size")
        orderby = request.query_params.get("orderby") or "runId"
        if orderby not in ("runId", "lastWritten"):
            raise bad_request("Query parameter 'orderby' must be runId or lastWritten", "orderby")
        source = self._source_of(kind, record)
        detected = self.runtime.detected_id(source["id"]) if source else None
        items = [
            {"runId": row["run_id"], "lastWritten": int(row["ended_at"] * 1000),
             "dataSetId": row["data_set_id"] or detected or 0,
             "records": row["records"], "size": row["size"], "errors": row["errors"]}
            for row in self.runtime.ledger.metrics(kind, record["id"])
        ]
        items.sort(key=lambda item: (item[orderby], item["runId"]), reverse=True)
        window = items[(page - 1) * size:page * size]
        return JSONResponse({"status": 200, "metrics": {"data": window, "meta": _meta(page, size, len(items))}})

    async def flow_metrics(self, request: Request) -> JSONResponse:
        kind = _kind_of(request)
        record = self._resource(request, kind)
        start = _day(request.query_params, "from", False)
        end = _day(request.query_params, "to", False)
        page, per_page = page_window(request.query_params)
        members = FlowIndex.build(self.store).members(kind, record)
        rows = []
        for member_kind, items in members.items():
            for item in items:
                for row in self.runtime.ledger.metrics(member_kind, item["id"]):
                    day = datetime.fromtimestamp(row["started_at"], UTC).date()
                    if (start is None or day >= start) and (end is None or day <= end):
                        rows.append(row)
        run_ids = sorted({row["run_id"] for row in rows}, reverse=True)
        chosen = set(run_ids[(page - 1) * per_page:page * per_page])
        data: dict[str, dict[str, Any]] = {}
        for row in sorted(rows, key=lambda r: r["run_id"]):
            if row["run_id"] not in chosen:
                continue
            entry = data.setdefault(str(row["resource_id"]), {
                "records": 0, "size": 0, "errors": 0, "runId": row["run_id"],
                "resource_type": row["resource_type"], "runs": [],
            })
            for name in ("records", "size", "errors"):
                entry[name] += row[name]
            entry["runId"] = row["run_id"]
            entry["reporting_date"] = _iso(row["ended_at"])
            entry["runs"].append({"runId": row["run_id"], "records": row["records"], "size": row["size"],
                                  "errors": row["errors"], "status": row["status"]})
        return JSONResponse({"status": 200, "message": "Ok",
                             "metrics": {"data": data, "meta": _meta(page, per_page, len(run_ids))}})

    async def logs(self, request: Request) -> JSONResponse:
        kind = _kind_of(request)
        record = self._resource(request, kind)
        run_id = _required_int(request.query_params, "run_id")
        start = _required_int(request.query_params, "from")
        end = integer(request.query_params, "to", None)
        page, per_page = page_window(request.query_params)
        source = self._source_of(kind, record)
        entries = []
        for row in self.runtime.ledger.logs(source["id"]) if source else []:
            if kind != "data_sources" and (row["resource_type"], row["resource_id"]) != (kind, record["id"]):
                continue
            stamp = int(row["timestamp"] * 1000)
            if row["run_id"] != run_id or stamp < start or (end is not None and stamp > end):
                continue
            entries.append({
                "timestamp": stamp, "resource_id": row["resource_id"],
                "resource_type": LOG_RESOURCE_TYPES[row["resource_type"]], "log": row["message"],
                "log_type": "SUMMARY" if row["message"].startswith(f"Run {row['run_id']} finished") else "LOG",
                "severity": LOG_SEVERITIES.get(row["level"], row["level"]),
            })
        window = entries[(page - 1) * per_page:page * per_page]
        meta = {"current_page": page, "pages_count": max(1, math.ceil(len(entries) / per_page)) if entries else 0,
                "total_count": len(entries), "org_id": record.get("org_id"), "run_id": run_id}
        return JSONResponse({"status": 200, "message": "Ok", "logs": {"data": window, "meta": meta}})

    async def run_now(self, request: Request) -> JSONResponse:
        source_id = request.path_params["id"]
        if self.store.get("data_sources", source_id) is None:
            raise not_found("data_sources", source_id)
        result = await run_in_threadpool(self.runtime.run_now, source_id)
        return JSONResponse(result)

    async def webhook(self, request: Request) -> JSONResponse:
        """Nexla's send_one_record / send_many_records: a record (JSON or XML) or a JSON array of records."""
        source_id = request.path_params["id"]
        source = self.store.get("data_sources", source_id)
        if source is None or source.get("source_type") != "nexla_rest":
            raise ApiError(404, f"no webhook source {source_id}", resource_type="data_sources",
                           resource_id=source_id)
        if not self.runtime.webhook_key_valid(source, _presented_key(request)):
            raise ApiError(403, "webhook API key missing or invalid: pass ?api_key= or "
                                "Authorization: Basic base64(api_key)")
        if source.get("status") != "ACTIVE":
            return JSONResponse({"error": f"Source #{source_id} is {source.get('status') or 'INIT'}"}, status_code=500)
        records = _webhook_records(await request.body(), request.headers.get("content-type", ""))
        query = request.query_params
        extras: dict[str, Any] = {}
        if flag(query, "include_headers"):
            extras["_headers"] = {k: v for k, v in request.headers.items() if k.lower() not in SECRET_HEADERS}
        if flag(query, "include_url_params"):
            extras["_url_params"] = {k: v for k, v in query.items() if k != "api_key"}
        records = [{**record, **extras} for record in records]
        accepted = await run_in_threadpool(self.runtime.accept_push, source, records,
                                           flag(query, "force_schema_detection"))
        return JSONResponse({"datasetId": accepted["dataset_id"], "processed": accepted["processed"]})


SECRET_HEADERS = {"authorization", "cookie", "x-api-key"}


def _webhook_records(raw: bytes, content_type: str) -> list[dict]:
    """The records of a webhook body: one JSON object, a non-empty JSON array of objects, or one XML record."""
    text = raw.strip()
    if "xml" in content_type.lower() or text.startswith(b"<"):
        return [_xml_record(text)]
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


def _xml_record(raw: bytes) -> dict:
    """One record from ``<root><field>value</field>...</root>`` (repeated elements become lists)."""
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise bad_request("webhook XML must not declare a DOCTYPE or entities", "body")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        raise bad_request(f"webhook body is not well-formed XML: {error}", "body") from None
    value = _xml_value(root)
    record = value if isinstance(value, dict) else {root.tag: value}
    check_storable(record)
    return record


def _xml_value(element: ElementTree.Element) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    found: dict[str, Any] = {}
    for child in children:
        value = _xml_value(child)
        if child.tag in found:
            previous = found[child.tag]
            found[child.tag] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            found[child.tag] = value
    return found


def _presented_key(request: Request) -> str | None:
    key = request.query_params.get("api_key")
    if key:
        return key
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            return base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None
