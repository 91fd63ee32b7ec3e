"""Flow health, run status, log search, account metrics, ``PUT /flows/{id}`` and run-now.

Beyond the REST OpenAPI, nexla-sdk 1.0.8 calls Nexla's monitoring endpoints; they answer here from
the runtime's run ledger:

* ``GET /health/org/all`` -> ``{status, org_id, from, to, total_flows, active_flows, paused_flows,
  healthy, warning, unhealthy, unknown}``; ``GET /health/org/flows`` -> ``{status, data: [flow health],
  meta: {page, size, total_count, pages_count}}`` (``health_status``, ``page``, ``size``,
  ``sort_by``, ``sort_order``); ``GET /health/flow/{id}`` -> one flow health object.
  A flow is ``HEALTHY`` when its last finished run had no errors, ``WARNING`` when it had record
  errors, ``UNHEALTHY`` when it failed, and ``UNKNOWN`` before its first run.
* ``POST /flows/{id}/logs_v2`` (body ``run_ids``, ``severity``, ``log_type``, ``search_string``;
  query ``from``/``to`` in epoch seconds, ``size``, ``sort``) -> ``{status, message, logs: {data, meta}}``.
* ``GET /flows/{id}/run_status/{run_id}`` -> ``{flow_id, run_id, status, records_in, records_out,
  errors, started_at, ended_at}``.
* ``GET /data_flows/metrics/active_flows_metrics`` -> ``{status, metrics: {active_flows, data: [...]}}``.

Account metrics (in the OpenAPI): ``/users/{id}/flows/account_metrics``, ``/orgs/{id}/flows/account_metrics``
(records and bytes read per day), ``/users/{id}/flows/dashboard`` (the last 24 h per resource) and
``/users/{id}/metrics`` (per day, ``resource_type`` SOURCE or SINK).

``PUT /flows/{id}`` updates the name and description of the flow's root source (admin code).
``POST /flows/{id}/run_now`` and ``POST /data_sources/{id}/run_now`` (PUT accepted too) run the
flow now and answer the run as ``run_status`` shows it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from starlette.routing import Route

from nexla_sandbox.backend.flows import anchor_of_node
from nexla_sandbox.backend.records import change
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import integer, page_window
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.flows import tree
from nexla_sandbox.routes.resources import list_scope
from nexla_sandbox.state.flows import root_of

HEALTH = ("HEALTHY", "WARNING", "UNHEALTHY", "UNKNOWN")
SEVERITY = {"INFO": "INFO", "WARN": "WARNING", "WARNING": "WARNING", "ERROR": "ERROR", "DEBUG": "INFO"}
RESOURCE = {"data_sources": "SOURCE", "data_sets": "DATASET", "data_sinks": "SINK"}


def iso(epoch: float | None) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds") if epoch else None


# Epoch seconds the API accepts in ``from``/``to``: 1970 up to the year 3000.
LATEST = 32503680000


def day_bounds(ctx: Ctx) -> tuple[float, float]:
    """(from, to) in epoch seconds from ``from``/``to`` (ISO dates or epoch seconds); default the last 30 days."""
    def parse(name: str, default: float) -> float:
        value = ctx.query.get(name)
        if value is None or value == "":
            return default
        try:
            if value.isdigit():
                stamp = float(value)
            else:
                parsed = datetime.fromisoformat(value)
                stamp = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError):
            stamp = -1.0
        if not 0 <= stamp <= LATEST:
            raise bad_request(f"'{name}' must be a date (YYYY-MM-DD), a UTC date-time or epoch seconds", name)
        return stamp
    now = time.time()
    return parse("from", now - 30 * 86400), parse("to", now)


def finished_runs(ctx: Ctx, source_id: int) -> list[dict]:
    return [r for r in ctx.runtime.ledger.runs(source_id) if r["status"] != "RUNNING"]


def health_of(ctx: Ctx, root: dict) -> dict:
    runs = finished_runs(ctx, root["id"])
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


def scoped_roots(ctx: Ctx) -> list[dict]:
    """Root sources the caller lists (``access_role`` as for lists), narrowed by ``org_id``/``owner_id``."""
    roots = ctx.store.list("data_sources", scope=list_scope(ctx, "data_sources"))
    for name in ("org_id", "owner_id"):
        wanted = integer(ctx.query, name)
        if wanted is not None:
            roots = [r for r in roots if r[name] == wanted]
    return roots


def org_health(ctx: Ctx) -> dict:
    """Counts of the caller's flows by state and health."""
    healths = [health_of(ctx, r) for r in scoped_roots(ctx)]
    start, end = day_bounds(ctx)
    return {"status": 200, "org_id": integer(ctx.query, "org_id") or ctx.user["org_id"],
            "from": iso(start), "to": iso(end), "total_flows": len(healths),
            "active_flows": sum(1 for h in healths if h["status"] == "ACTIVE"),
            "paused_flows": sum(1 for h in healths if h["status"] != "ACTIVE"),
            **{name.lower(): sum(1 for h in healths if h["health_status"] == name) for name in HEALTH}}


def org_flows_health(ctx: Ctx) -> dict:
    """One health object per flow (filter ``health_status``; page with ``page``/``size``)."""
    healths = [health_of(ctx, r) for r in scoped_roots(ctx)]
    wanted = ctx.query.get("health_status")
    if wanted is not None:
        if wanted.upper() not in HEALTH:
            raise bad_request(f"'health_status' must be one of {', '.join(HEALTH)}", "health_status")
        healths = [h for h in healths if h["health_status"] == wanted.upper()]
    key = ctx.query.get("sort_by") or "flow_id"
    if healths and key not in healths[0]:
        raise bad_request(f"'sort_by' must be one of {', '.join(sorted(healths[0]))}", "sort_by")
    healths.sort(key=lambda h: (h[key] is None, str(h[key]) if not isinstance(h[key], int) else h[key]),
                 reverse=(ctx.query.get("sort_order") or "asc").lower() == "desc")
    page, size = page_window(ctx.query, "size")
    shown = healths[(page - 1) * size:page * size]
    return {"status": 200, "data": shown,
            "meta": {"page": page, "size": size, "total_count": len(healths),
                     "pages_count": max(1, -(-len(healths) // size))}}


def flow_root(ctx: Ctx, action: str = "read") -> dict:
    _, _, root = anchor_of_node(ctx, ctx.id())
    ctx.access.check(ctx.user, "data_sources", root, action, shown_kind="flows")
    return root


def flow_health(ctx: Ctx) -> dict:
    """Health of one flow."""
    return health_of(ctx, flow_root(ctx))


def run_status_of(ctx: Ctx, root: dict, run: dict) -> dict:
    return {"flow_id": root["flow_node_id"], "data_source_id": root["id"], "run_id": run["id"],
            "status": run["status"], "trigger": run.get("trigger"), "records_in": run["records_in"],
            "records_out": run["records_out"], "errors": run["errors"], "error_message": run.get("error_message"),
            "started_at": iso(run["started_at"]), "ended_at": iso(run["ended_at"])}


def run_status(ctx: Ctx) -> dict:
    """Status of one run of a flow."""
    root = flow_root(ctx)
    run = ctx.runtime.ledger.run(int(ctx.params["run_id"]))
    if run is None or run["data_source_id"] != root["id"]:
        raise not_found("runs", ctx.params["run_id"])
    return run_status_of(ctx, root, run)


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


def search_logs(ctx: Ctx) -> dict:
    """Search a flow's logs: body ``run_ids``, ``severity``, ``log_type``, ``search_string``; query ``from``/``to``/``size``/``sort``."""
    root = flow_root(ctx)
    body = ctx.body_dict()
    run_ids, severities, log_types = listed(body, "run_ids"), listed(body, "severity"), listed(body, "log_type")
    text = body.get("search_string")
    if text is not None and not isinstance(text, str):
        raise bad_request("'search_string' must be a string", "search_string")
    start, end = integer(ctx.query, "from"), integer(ctx.query, "to")
    entries = [log_entry(row) for row in ctx.runtime.ledger.logs(root["id"])]
    entries = [e for e in entries
               if (run_ids is None or e["run_id"] in run_ids)
               and (severities is None or e["severity"] in {SEVERITY.get(str(s).upper(), str(s).upper()) for s in severities})
               and (log_types is None or e["log_type"] in {str(t).upper() for t in log_types})
               and (text is None or text.lower() in e["log"].lower())
               and (start is None or e["timestamp"] >= start * 1000) and (end is None or e["timestamp"] <= end * 1000)]
    entries.sort(key=lambda e: e["timestamp"], reverse=(ctx.query.get("sort") or "desc").lower().endswith("desc"))
    size = integer(ctx.query, "size", 100, minimum=1, maximum=1000) or 100
    return {"status": 200, "message": "Ok",
            "logs": {"data": entries[:size], "meta": {"current_page": 1, "pages_count": 1 if entries else 0,
                                                      "total_count": len(entries), "org_id": root["org_id"]}}}


def active_flows_metrics(ctx: Ctx) -> dict:
    """Active flows with what their runs read in the window (``from``/``to``, ``org_id``)."""
    start, end = day_bounds(ctx)
    data = []
    for root in scoped_roots(ctx):
        if root.get("status") != "ACTIVE":
            continue
        runs = [r for r in finished_runs(ctx, root["id"]) if start <= (r["ended_at"] or r["started_at"]) <= end]
        data.append({"flow_id": root["flow_node_id"], "data_source_id": root["id"], "name": root.get("name"),
                     "runs": len(runs), "records": sum(r["records_in"] for r in runs),
                     "errors": sum(r["errors"] for r in runs)})
    return {"status": 200, "metrics": {"active_flows": len(data), "from": iso(start), "to": iso(end), "data": data}}


def runs_in(ctx: Ctx, roots: Iterable[dict], start: float, end: float) -> list[tuple[dict, dict]]:
    return [(root, run) for root in roots for run in finished_runs(ctx, root["id"])
            if start <= (run["ended_at"] or run["started_at"]) <= end]


def source_size(ctx: Ctx, run: dict) -> int:
    return sum(m["size"] for m in ctx.runtime.ledger.run_metrics(run["id"]) if m["resource_type"] == "data_sources")


def per_day(ctx: Ctx, pairs: list[tuple[dict, dict]], start: float, end: float) -> list[dict]:
    days: dict[str, dict[str, int]] = {}
    for _, run in pairs:
        day = datetime.fromtimestamp(run["ended_at"] or run["started_at"], UTC).date().isoformat()
        bucket = days.setdefault(day, {"records": 0, "size": 0})
        bucket["records"] += run["records_in"]
        bucket["size"] += source_size(ctx, run)
    return [{"data": totals, "start_time": f"{day}T00:00:00+00:00", "end_time": f"{day}T23:59:59+00:00"}
            for day, totals in sorted(days.items())]


def user_of_path(ctx: Ctx) -> dict:
    user = ctx.store.get("users", ctx.id())
    if user is None:
        raise not_found("users", ctx.id())
    if user["id"] != ctx.user["id"] and not (ctx.user.get("is_org_admin") and user["org_id"] == ctx.user["org_id"]):
        raise ApiError(403, f"Forbidden: metrics of user {user['id']} belong to that user or an org admin")
    return user


def owned_roots(ctx: Ctx, where: dict) -> list[dict]:
    return ctx.store.list("data_sources", where)


def user_account_metrics(ctx: Ctx) -> dict:
    """Records and bytes the user's flows read, per day."""
    user = user_of_path(ctx)
    start, end = day_bounds(ctx)
    return {"status": 200, "metrics": per_day(ctx, runs_in(ctx, owned_roots(ctx, {"owner_id": user["id"]}), start, end),
                                              start, end)}


def org_account_metrics(ctx: Ctx) -> dict:
    """Records and bytes the org's flows read, per day (org admin)."""
    from nexla_sandbox.routes.orgs import member_org

    org = member_org(ctx, ctx.id(), admin=True)
    start, end = day_bounds(ctx)
    return {"status": 200, "metrics": per_day(ctx, runs_in(ctx, owned_roots(ctx, {"org_id": org["id"]}), start, end),
                                              start, end)}


def dashboard(ctx: Ctx) -> dict:
    """The last 24 hours of the user's flows, per source, nexset and sink."""
    user = user_of_path(ctx)
    end = time.time()
    start = end - 86400
    found: dict[str, dict[str, Any]] = {"sources": {}, "datasets": {}, "sinks": {}}
    label = {"data_sources": "sources", "data_sets": "datasets", "data_sinks": "sinks"}
    for _, run in runs_in(ctx, owned_roots(ctx, {"owner_id": user["id"]}), start, end):
        for row in ctx.runtime.ledger.run_metrics(run["id"]):
            bucket = found[label[row["resource_type"]]].setdefault(
                str(row["resource_id"]), {"records": 0, "size": 0, "errors": 0, "runs": 0})
            bucket["records"] += row["records"]
            bucket["size"] += row["size"]
            bucket["errors"] += row["errors"]
            bucket["runs"] += 1
    return {"status": 200, "metrics": {**found, "start_time": iso(start), "end_time": iso(end)}}


def user_metrics(ctx: Ctx) -> dict:
    """Per-day records, bytes and errors of the user's sources or sinks (``resource_type`` SOURCE or SINK)."""
    user = user_of_path(ctx)
    wanted = (ctx.query.get("resource_type") or "SOURCE").upper()
    kinds = {"SOURCE": "data_sources", "SINK": "data_sinks"}
    if wanted not in kinds:
        raise bad_request("'resource_type' must be SOURCE or SINK", "resource_type")
    start, end = day_bounds(ctx)
    days: dict[str, dict[str, int]] = {}
    for _, run in runs_in(ctx, owned_roots(ctx, {"owner_id": user["id"]}), start, end):
        day = datetime.fromtimestamp(run["ended_at"] or run["started_at"], UTC).date().isoformat()
        for row in ctx.runtime.ledger.run_metrics(run["id"]):
            if row["resource_type"] == kinds[wanted]:
                bucket = days.setdefault(day, {"records": 0, "size": 0, "errors": 0})
                for name in bucket:
                    bucket[name] += row[name]
    return {"status": 200, "metrics": [{"time": day, **totals} for day, totals in sorted(days.items())]}


def update_flow(ctx: Ctx) -> dict:
    """Rename or describe a flow (its root source; admin role); answers the flow tree."""
    root = flow_root(ctx, "update")
    body = ctx.body_dict()
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
        change(ctx, "data_sources", root, fields)
    return tree(ctx, [ctx.get("data_sources", root["id"])])


def run_root(ctx: Ctx, root: dict) -> dict:
    if root.get("status") != "ACTIVE":
        raise ApiError(405, f"Flow {root['flow_node_id']} is not active; activate it before running it now",
                       resource_type="flows", resource_id=root["flow_node_id"])
    result = ctx.runtime.run_now(root["id"], trigger="run_now")
    run = ctx.runtime.ledger.run(int(result["run_id"]))
    assert run is not None
    return run_status_of(ctx, root, run)


def run_flow_now(ctx: Ctx) -> dict:
    """Run a flow now (operator role); answers the finished run."""
    return run_root(ctx, flow_root(ctx, "operate"))


def run_source_now(ctx: Ctx) -> dict:
    """Run a source's flow now (operator role); answers the finished run."""
    record = ctx.access.require(ctx.user, "data_sources", ctx.id(), "operate")
    root = root_of(ctx.store, "data_sources", record) or record
    return run_root(ctx, root)


def routes() -> list[Route]:
    return [
        route("/health/org/all", org_health, ["GET"]),
        route("/health/org/flows", org_flows_health, ["GET"]),
        route("/health/flow/{id:int}", flow_health, ["GET"]),
        route("/flows/{id:int}", update_flow, ["PUT"]),
        route("/flows/{id:int}/logs_v2", search_logs, ["POST"]),
        route("/flows/{id:int}/run_status/{run_id:int}", run_status, ["GET"]),
        route("/flows/{id:int}/run_now", run_flow_now, ["POST", "PUT"]),
        route("/data_sources/{id:int}/run_now", run_source_now, ["POST", "PUT"]),
        route("/data_flows/metrics/active_flows_metrics", active_flows_metrics, ["GET"]),
        route("/users/{id:int}/flows/account_metrics", user_account_metrics, ["GET"]),
        route("/users/{id:int}/flows/dashboard", dashboard, ["GET"]),
        route("/users/{id:int}/metrics", user_metrics, ["GET"]),
        route("/orgs/{id:int}/flows/account_metrics", org_account_metrics, ["GET"]),
    ]
