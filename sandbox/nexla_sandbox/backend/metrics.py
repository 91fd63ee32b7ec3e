"""Run data rules: samples, daily/run/flow metrics and run logs of a flow resource, and run-now.

The runtime keeps the ledger; these functions check the caller's rights and shape its rows as
Nexla's OpenAPI (`reference/nexla-openapi.json`) documents them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.errors import bad_request, not_found
from nexla_sandbox.state.flows import FlowIndex, root_of

RESOURCE_TYPES = ("data_sources", "data_sets", "data_sinks")
LOG_RESOURCE_TYPES = {"data_sources": "SOURCE", "data_sets": "DATASET", "data_sinks": "SINK"}
LOG_SEVERITIES = {"WARN": "WARNING"}
MAX_SAMPLES = 500
RUN_ORDERS = ("runId", "lastWritten")


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def _meta(page: int, per_page: int, total: int) -> dict[str, int]:
    return {"currentPage": page, "pageCount": max(1, math.ceil(total / per_page)) if total else 0,
            "totalCount": total}


def _source_of(caller: Caller, kind: str, record: dict) -> dict | None:
    return record if kind == "data_sources" else root_of(caller.store, kind, record)


def samples(caller: Caller, data_set_id: int, count: int, with_meta: bool) -> list[dict]:
    """Up to ``count`` (at most MAX_SAMPLES) sample records of a nexset, computed now; wrapped with metadata on request."""
    record = caller.access.require(caller.user, "data_sets", data_set_id, "read")
    records = caller.runtime.samples(record, min(count, MAX_SAMPLES))
    if not with_meta:
        return records
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    return [{"rawMessage": item,
             "nexlaMetaData": {"timestamp": stamp, "source": "sandbox", "data_set_id": record["id"], "offset": n}}
            for n, item in enumerate(records)]


def daily(caller: Caller, kind: str, id: int, start: date, end: date | None) -> dict:
    """Records, size and errors per day from ``start`` to ``end`` (inclusive)."""
    record = caller.access.require(caller.user, kind, id, "read")
    days: dict[str, dict[str, int]] = defaultdict(lambda: {"records": 0, "size": 0, "errors": 0})
    for row in caller.runtime.ledger.metrics(kind, record["id"]):
        day = datetime.fromtimestamp(row["started_at"], UTC).date()
        if day < start or (end is not None and day > end):
            continue
        totals = days[day.isoformat()]
        for name in ("records", "size", "errors"):
            totals[name] += row[name]
    return {"status": 200, "metrics": [{"time": day, **days[day]} for day in sorted(days)]}


def run_summary(caller: Caller, kind: str, id: int, page: int, size: int, orderby: str) -> dict:
    """One row per run of the resource, newest first by ``orderby`` (runId or lastWritten), paged."""
    record = caller.access.require(caller.user, kind, id, "read")
    if orderby not in RUN_ORDERS:
        raise bad_request("Query parameter 'orderby' must be runId or lastWritten", "orderby")
    source = _source_of(caller, kind, record)
    detected = caller.runtime.detected_id(source["id"]) if source else None
    items = [
        {"runId": row["run_id"], "lastWritten": int(row["ended_at"] * 1000),
         "dataSetId": row["data_set_id"] or detected or 0,
         "records": row["records"], "size": row["size"], "errors": row["errors"]}
        for row in caller.runtime.ledger.metrics(kind, record["id"])
    ]
    items.sort(key=lambda item: (item[orderby], item["runId"]), reverse=True)
    window = items[(page - 1) * size:page * size]
    return {"status": 200, "metrics": {"data": window, "meta": _meta(page, size, len(items))}}


def flow_metrics(caller: Caller, kind: str, id: int, start: date | None, end: date | None,
                 page: int, per_page: int) -> dict:
    """Per-resource totals of the flow under a resource, over a page of its runs (newest first)."""
    record = caller.access.require(caller.user, kind, id, "read")
    members = FlowIndex.build(caller.store).members(kind, record)
    rows = []
    for member_kind, items in members.items():
        for item in items:
            for row in caller.runtime.ledger.metrics(member_kind, item["id"]):
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
    return {"status": 200, "message": "Ok", "metrics": {"data": data, "meta": _meta(page, per_page, len(run_ids))}}


def logs(caller: Caller, kind: str, id: int, run_id: int, start: int, end: int | None,
         page: int, per_page: int) -> dict:
    """The run's log entries for a resource (a source: its whole flow) from ``start`` to ``end`` (epoch ms)."""
    record = caller.access.require(caller.user, kind, id, "read")
    source = _source_of(caller, kind, record)
    entries = []
    for row in caller.runtime.ledger.logs(source["id"]) if source else []:
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
    return {"status": 200, "message": "Ok", "logs": {"data": window, "meta": meta}}


def run_now(caller: Caller, source_id: int) -> dict:
    """Run a source's flow now (operator endpoint) and return the finished run."""
    if caller.store.get("data_sources", source_id) is None:
        raise not_found("data_sources", source_id)
    return caller.runtime.run_now(source_id)
