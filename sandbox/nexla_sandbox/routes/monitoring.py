"""Flow health, run status, log search, account metrics, ``PUT /flows/{id}`` and run-now.

Beyond the REST OpenAPI, nexla-sdk 1.0.8 calls Nexla's monitoring endpoints; they answer here from
the runtime's run ledger (rules in ``nexla_sandbox.backend.monitoring``):

* ``GET /health/org/all`` -> ``{status, org_id, from, to, total_flows, active_flows, paused_flows,
  healthy, warning, unhealthy, unknown}``; ``GET /health/org/flows`` -> ``{status, data: [flow health],
  meta: {page, size, total_count, pages_count}}`` (``health_status``, ``page``, ``size``,
  ``sort_by``, ``sort_order``); ``GET /health/flow/{id}`` -> one flow health object.
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

from starlette.routing import Route

from nexla_sandbox.backend import monitoring
from nexla_sandbox.backend.monitoring import Scope
from nexla_sandbox.params import epoch_bounds, integer, page_window
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.flows import tree


def scope(ctx: Ctx) -> Scope:
    return Scope(ctx.query.get("access_role"), integer(ctx.query, "org_id"), integer(ctx.query, "owner_id"))


def descending(ctx: Ctx, name: str, default: str) -> bool:
    return (ctx.query.get(name) or default).lower().endswith("desc")


def org_health(ctx: Ctx) -> dict:
    """Counts of the caller's flows by state and health."""
    return monitoring.org_health(ctx, scope(ctx), *epoch_bounds(ctx.query))


def org_flows_health(ctx: Ctx) -> dict:
    """One health object per flow (filter ``health_status``; page with ``page``/``size``)."""
    return monitoring.org_flows_health(ctx, scope(ctx), ctx.query.get("health_status"),
                                       ctx.query.get("sort_by") or "flow_id", descending(ctx, "sort_order", "asc"),
                                       *page_window(ctx.query, "size"))


def flow_health(ctx: Ctx) -> dict:
    """Health of one flow."""
    return monitoring.flow_health(ctx, ctx.id())


def run_status(ctx: Ctx) -> dict:
    """Status of one run of a flow."""
    return monitoring.run_status(ctx, ctx.id(), ctx.id("run_id"))


def search_logs(ctx: Ctx) -> dict:
    """Search a flow's logs: body ``run_ids``, ``severity``, ``log_type``, ``search_string``; query ``from``/``to``/``size``/``sort``."""
    return monitoring.search_logs(ctx, ctx.id(), ctx.body_dict(), integer(ctx.query, "from"), integer(ctx.query, "to"),
                                  integer(ctx.query, "size", 100, minimum=1, maximum=1000) or 100,
                                  descending(ctx, "sort", "desc"))


def active_flows_metrics(ctx: Ctx) -> dict:
    """Active flows with what their runs read in the window (``from``/``to``, ``org_id``)."""
    return monitoring.active_flows_metrics(ctx, scope(ctx), *epoch_bounds(ctx.query))


def user_account_metrics(ctx: Ctx) -> dict:
    """Records and bytes the user's flows read, per day."""
    return monitoring.user_account_metrics(ctx, ctx.id(), *epoch_bounds(ctx.query))


def org_account_metrics(ctx: Ctx) -> dict:
    """Records and bytes the org's flows read, per day (org admin)."""
    return monitoring.org_account_metrics(ctx, ctx.id(), *epoch_bounds(ctx.query))


def dashboard(ctx: Ctx) -> dict:
    """The last 24 hours of the user's flows, per source, nexset and sink."""
    return monitoring.dashboard(ctx, ctx.id())


def user_metrics(ctx: Ctx) -> dict:
    """Per-day records, bytes and errors of the user's sources or sinks (``resource_type`` SOURCE or SINK)."""
    return monitoring.user_metrics(ctx, ctx.id(), ctx.query.get("resource_type") or "SOURCE",
                                   *epoch_bounds(ctx.query))


def update_flow(ctx: Ctx) -> dict:
    """Rename or describe a flow (its root source; admin role); answers the flow tree."""
    return tree(ctx, [monitoring.update_flow(ctx, ctx.id(), ctx.body_dict())])


def run_flow_now(ctx: Ctx) -> dict:
    """Run a flow now (operator role); answers the finished run."""
    return monitoring.run_flow_now(ctx, ctx.id())


def run_source_now(ctx: Ctx) -> dict:
    """Run a source's flow now (operator role); answers the finished run."""
    return monitoring.run_source_now(ctx, ctx.id())


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
