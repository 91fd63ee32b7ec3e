"""Monitoring rules: flow health, run status, log search, account metrics, flow rename and run-now.

They answer from the runtime's run ledger. A flow is ``HEALTHY`` when its last finished run had no
errors, ``WARNING`` when it had record errors, ``UNHEALTHY`` when it failed, and ``UNKNOWN`` before
its first run. A flow's rights are its root source's (``nexla_sandbox.backend.flows``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.flows import flow_root
from nexla_sandbox.backend.orgs import member_org
from nexla_sandbox.backend.records import change, list_scope
from nexla_sandbox.backend.users import self_or_administered
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.state.flows import root_of

HEALTH = ("HEALTHY", "WARNING", "UNHEALTHY", "UNKNOWN")
SEVERITY = {"INFO": "INFO", "WARN": "WARNING", "WARNING": "WARNING", "ERROR": "ERROR", "DEBUG": "INFO"}
RESOURCE = {"data_sources": "SOURCE", "data_sets": "DATASET", "data_sinks": "SINK"}
METRIC_KINDS = {"SOURCE": "data_sources", "SINK": "data_sinks"}
DASHBOARD_LABELS = {"data_sources": "sources", "data_sets": "datasets", "data_sinks": "sinks"}


def iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds") if epoch else None


def finished_runs(caller: Caller, source_id: int) -> list[dict]:
    return [r for r in caller.runtime.ledger.runs(source_id) if r["status"] != "RUNNING"]


def health_of(caller: Caller, root: dict) -> dict:
    runs = finished_runs(caller, root["id"])
    last = runs[0] if runs else None
    status = "UNKNOWN" if last is None else "UNHEALTHY" if last["status"] == "FAILED" else \
        "WARNING" if last["errors"] else "HEALTHY"
    return {"flow_id": root["flow_node_id"], "data_source_id": root["id"], "name": root.get("name"),
            "status": root.get("status"), "health_status": status, "owner_id": root["owner_id"],
            "org_id": root["org_id"], "last_run_id": last["id"] if last else None,
            "last_run_status": last["status"] if last else None,
            "last_run_at": iso(last["ended_at"] or last["started_at"]) if last else None,
            "records": last["records_in"] if last else 0, "errors": last["errors"] if last else 0,
            "runs_count": len(runs)}


@dataclass(frozen=True)
class Scope:
    """Which flows a monitoring answer covers: as lists do (``access_role``), narrowed by org and owner."""

    access_role: str | None = None
    org_id: int | None = None
    owner_id: int | None = None


def scoped_roots(caller: Caller, scope: Scope) -> list[dict]:
    roots = caller.store.list("data_sources", scope=list_scope(caller, "data_sources", scope.access_role))
    for name, wanted in (("org_id", scope.org_id), ("owner_id", scope.owner_id)):
        if wanted is not None:
            roots = [r for r in roots if r[name] == wanted]
    return roots


def org_health(caller: Caller, scope: Scope, start: float, end: float) -> dict:
    """Counts of the caller's flows by state and health."""
    healths = [health_of(caller, r) for r in scoped_roots(caller, scope)]
    return {"status": 200, "org_id": scope.org_id or caller.user["org_id"],
            "from": iso(start), "to": iso(end), "total_flows": len(healths),
            "active_flows": sum(1 for h in healths if h["status"] == "ACTIVE"),
            "paused_flows": sum(1 for h in healths if h["status"] != "ACTIVE"),
            **{name.lower(): sum(1 for h in healths if h["health_status"] == name) for name in HEALTH}}


def org_flows_health(caller: Caller, scope: Scope, health_status: str | None, sort_by: str, descending: bool,
                     page: int, size: int) -> dict:
    """One health object per flow, filtered by ``health_status``, sorted and paged."""
    healths = [health_of(caller, r) for r in scoped_roots(caller, scope)]
    if health_status is not None:
        if health_status.upper() not in HEALTH:
            raise bad_request(f"'health_status' must be one of {', '.join(HEALTH)}", "health_status")
        healths = [h for h in healths if h["health_status"] == health_status.upper()]
    if healths and sort_by not in healths[0]:
        raise bad_request(f"'sort_by' must be one of {', '.join(sorted(healths[0]))}", "sort_by")
    healths.sort(key=lambda h: (h[sort_by] is None, str(h[sort_by]) if not isinstance(h[sort_by], int) else h[sort_by]),
                 reverse=descending)
    shown = healths[(page - 1) * size:page * size]
    return {"status": 200, "data": shown,
            "meta": {"page": page, "size": size, "total_count": len(healths),
                     "pages_count": max(1, -(-len(healths) // size))}}


def flow_health(caller: Caller, node_id: int) -> dict:
    """Health of one flow."""
    return health_of(caller, flow_root(caller, node_id, "read"))


def run_status_of(root: dict, run: dict) -> dict:
    return {"flow_id": root["flow_node_id"], "data_source_id": root["id"], "run_id": run["id"],
            "status": run["status"], "trigger": run.get("trigger"), "records_in": run["records_in"],
            "records_out": run["records_out"], "errors": run["errors"], "error_message": run.get("error_message"),
            "started_at": iso(run["started_at"]), "ended_at": iso(run["ended_at"])}


def run_status(caller: Caller, node_id: int, run_id: int) -> dict:
    """Status of one run of a flow."""
    root = flow_root(caller, node_id, "read")
    run = caller.runtime.ledger.run(run_id)
    if run is None or run["data_source_id"] != root["id"]:
        raise not_found("runs", run_id)
    return run_status_of(root, run)


def listed(body: dict, name: str) -> list | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request(f"'{name}' must be a list", name)
    return value


def log_entry(row: dict) -> dict:
    kind = row.get("resource_type") or "data_sources"
    return {"timestamp": int(row["timestamp"] * 1000), "resource_id": row["resource_id"],
            "resource_type": RESOURCE.get(kind, kind), "run_id": row.get("run_id"), "log": row["message"],
            "log_type": "SUMMARY" if (row.get("details") or {}).get("summary") else "LOG",
            "severity": SEVERITY.get(str(row["level"]).upper(), "INFO")}


def search_logs(caller: Caller, node_id: int, body: dict, start: int | None, end: int | None, size: int,
                descending: bool) -> dict:
    """A flow's logs matching the body's ``run_ids``, ``severity``, ``log_type`` and ``search_string``, from
    ``start`` to ``end`` (epoch seconds), at most ``size``."""
    root = flow_root(caller, node_id, "read")
    run_ids, severities, log_types = listed(body, "run_ids"), listed(body, "severity"), listed(body, "log_type")
    text = body.get("search_string")
    if text is not None and not isinstance(text, str):
        raise bad_request("'search_string' must be a string", "search_string")
    entries = [log_entry(row) for row in caller.runtime.ledger.logs(root["id"])]
    entries = [e for e in entries
               if (run_ids is None or e["run_id"] in run_ids)
               and (severities is None or e["severity"] in {SEVERITY.get(str(s).upper(), str(s).upper()) for s in severities})
               and (log_types is None or e["log_type"] in {str(t).upper() for t in log_types})
               and (text is None or text.lower() in e["log"].lower())
               and (start is None or e["timestamp"] >= start * 1000) and (end is None or e["timestamp"] <= end * 1000)]
    entries.sort(key=lambda e: e["timestamp"], reverse=descending)
    return {"status": 200, "message": "Ok",
            "logs": {"data": entries[:size], "meta": {"current_page": 1, "pages_count": 1 if entries else 0,
                                                      "total_count": len(entries), "org_id": root["org_id"]}}}


def active_flows_metrics(caller: Caller, scope: Scope, start: float, end: float) -> dict:
    """Active flows with what their runs read from ``start`` to ``end``."""
    data = []
    for root in scoped_roots(caller, scope):
        if root.get("status") != "ACTIVE":
            continue
        runs = [r for r in finished_runs(caller, root["id"]) if start <= (r["ended_at"] or r["started_at"]) <= end]
        data.append({"flow_id": root["flow_node_id"], "data_source_id": root["id"], "name": root.get("name"),
                     "runs": len(runs), "records": sum(r["records_in"] for r in runs),
                     "errors": sum(r["errors"] for r in runs)})
    return {"status": 200, "metrics": {"active_flows": len(data), "from": iso(start), "to": iso(end), "data": data}}


def runs_in(caller: Caller, roots: Iterable[dict], start: float, end: float) -> list[tuple[dict, dict]]:
    return [(root, run) for root in roots for run in finished_runs(caller, root["id"])
            if start <= (run["ended_at"] or run["started_at"]) <= end]


def source_size(caller: Caller, run: dict) -> int:
    return sum(m["size"] for m in caller.runtime.ledger.run_metrics(run["id"]) if m["resource_type"] == "data_sources")


def per_day(caller: Caller, pairs: list[tuple[dict, dict]]) -> list[dict]:
    days: dict[str, dict[str, int]] = {}
    for _, run in pairs:
        day = datetime.fromtimestamp(run["ended_at"] or run["started_at"], UTC).date().isoformat()
        bucket = days.setdefault(day, {"records": 0, "size": 0})
        bucket["records"] += run["records_in"]
        bucket["size"] += source_size(caller, run)
    return [{"data": totals, "start_time": f"{day}T00:00:00+00:00", "end_time": f"{day}T23:59:59+00:00"}
            for day, totals in sorted(days.items())]


def user_runs(caller: Caller, user_id: int, start: float, end: float) -> list[tuple[dict, dict]]:
    user = self_or_administered(caller, user_id, "metrics")
    return runs_in(caller, caller.store.list("data_sources", {"owner_id": user["id"]}), start, end)


def user_account_metrics(caller: Caller, user_id: int, start: float, end: float) -> dict:
    """Records and bytes the user's flows read, per day."""
    return {"status": 200, "metrics": per_day(caller, user_runs(caller, user_id, start, end))}


def org_account_metrics(caller: Caller, org_id: int, start: float, end: float) -> dict:
    """Records and bytes the org's flows read, per day (org admin)."""
    org = member_org(caller, org_id, admin=True)
    roots = caller.store.list("data_sources", {"org_id": org["id"]})
    return {"status": 200, "metrics": per_day(caller, runs_in(caller, roots, start, end))}


def dashboard(caller: Caller, user_id: int) -> dict:
    """The last 24 hours of the user's flows, per source, nexset and sink."""
    end = time.time()
    start = end - 86400
    found: dict[str, dict[str, Any]] = {label: {} for label in DASHBOARD_LABELS.values()}
    for _, run in user_runs(caller, user_id, start, end):
        for row in caller.runtime.ledger.run_metrics(run["id"]):
            bucket = found[DASHBOARD_LABELS[row["resource_type"]]].setdefault(
                str(row["resource_id"]), {"records": 0, "size": 0, "errors": 0, "runs": 0})
            for name in ("records", "size", "errors"):
                bucket[name] += row[name]
            bucket["runs"] += 1
    return {"status": 200, "metrics": {**found, "start_time": iso(start), "end_time": iso(end)}}


def user_metrics(caller: Caller, user_id: int, resource_type: str, start: float, end: float) -> dict:
    """Per-day records, bytes and errors of the user's sources or sinks (``resource_type`` SOURCE or SINK)."""
    pairs = user_runs(caller, user_id, start, end)
    wanted = resource_type.upper()
    if wanted not in METRIC_KINDS:
        raise bad_request("'resource_type' must be SOURCE or SINK", "resource_type")
    days: dict[str, dict[str, int]] = {}
    for _, run in pairs:
        day = datetime.fromtimestamp(run["ended_at"] or run["started_at"], UTC).date().isoformat()
        for row in caller.runtime.ledger.run_metrics(run["id"]):
            if row["resource_type"] == METRIC_KINDS[wanted]:
                bucket = days.setdefault(day, {"records": 0, "size": 0, "errors": 0})
                for name in bucket:
                    bucket[name] += row[name]
    return {"status": 200, "metrics": [{"time": day, **totals} for day, totals in sorted(days.items())]}


def update_flow(caller: Caller, node_id: int, body: dict) -> dict:
    """Rename or describe a flow (its root source; admin role); returns the root as it is now."""
    root = flow_root(caller, node_id, "update")
    fields: dict[str, Any] = {}
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"].strip():
            raise bad_request("'name' must be a non-empty string", "name")
        fields["name"] = body["name"]
    if "description" in body:
        if body["description"] is not None and not isinstance(body["description"], str):
            raise bad_request("'description' must be a string", "description")
        fields["description"] = body["description"] or ""
    unknown = sorted(set(body) - {"name", "description"})
    if unknown:
        raise bad_request(f"Unknown flow fields {unknown}: a flow's name and description can change here; "
                          "change its resources through their own endpoints", unknown[0])
    if fields:
        change(caller, "data_sources", root, fields)
    return caller.get("data_sources", root["id"])


def run_root(caller: Caller, root: dict) -> dict:
    if root.get("status") != "ACTIVE":
        raise ApiError(405, f"Flow {root['flow_node_id']} is not active; activate it before running it now",
                       resource_type="flows", resource_id=root["flow_node_id"])
    result = caller.runtime.run_now(root["id"], trigger="run_now")
    run = caller.runtime.ledger.run(int(result["run_id"]))
    assert run is not None
    return run_status_of(root, run)


def run_flow_now(caller: Caller, node_id: int) -> dict:
    """Run a flow now (operator role on its root); returns the finished run."""
    return run_root(caller, flow_root(caller, node_id, "operate"))


def run_source_now(caller: Caller, source_id: int) -> dict:
    """Run a source's flow now (operator role); returns the finished run."""
    record = caller.access.require(caller.user, "data_sources", source_id, "operate")
    return run_root(caller, root_of(caller.store, "data_sources", record) or record)
