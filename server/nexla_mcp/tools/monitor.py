"""Monitor toolset: health of every flow, run history, daily metrics (all read-only)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import health, metrics
from nexla_ops.operations.health import HealthCheckRequest, HealthReport, HealthThresholds
from nexla_ops.operations.health import ResourceRef as HealthResource
from nexla_ops.operations.metrics import DailyMetricsResult, RunSummariesResult

from ..registry import ToolName
from ..runtime import invoke
from .params import Cursor, FlowKind, ResourceId


async def get_daily_metrics(
    ctx: Context,
    kind: FlowKind,
    id: ResourceId,
    since: Annotated[date | None, Field(description="First day (YYYY-MM-DD); default 7 days ago.")] = None,
    until: Annotated[date | None, Field(description="Last day, inclusive (default: today).")] = None,
) -> Annotated[CallToolResult, DailyMetricsResult]:
    """Records, bytes and errors per day for a resource or flow, with totals and the error rate."""
    return await invoke(
        ctx,
        ToolName.GET_DAILY_METRICS,
        lambda client, _: metrics.daily_metrics(
            client, kind, id, since=since or metrics.default_since(), until=until
        ),
    )


async def get_run_summaries(
    ctx: Context,
    kind: FlowKind,
    id: ResourceId,
    limit: Annotated[int, Field(ge=1, le=200, description="Runs per page, newest first (default 20).")] = 20,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, RunSummariesResult]:
    """Recent runs of a resource or flow, newest first: status, times, duration, records, errors."""
    return await invoke(
        ctx,
        ToolName.GET_RUN_SUMMARIES,
        lambda client, _: metrics.run_summaries(client, kind, id, limit=limit, cursor=cursor),
    )


async def check_health(
    ctx: Context,
    flow_ids: Annotated[list[int], Field(description="Flows (root node ids) to check; default: every flow.")] = [],  # noqa: B006
    resources: Annotated[
        list[str], Field(description='Resources whose flows to check, as KIND:ID, e.g. "data_sources:12".')
    ] = [],  # noqa: B006 - pydantic copies defaults
    thresholds: Annotated[
        HealthThresholds | None, Field(description="SLA thresholds (default: the documented defaults).")
    ] = None,
    fail_on: Annotated[
        Literal["critical", "warning"], Field(description="Which verdict makes the overall check fail.")
    ] = "critical",
    max_flows_listed: Annotated[
        int, Field(ge=1, le=200, description="Flows listed in the report, unhealthy first (all are checked).")
    ] = 50,
) -> Annotated[CallToolResult, HealthReport]:
    """Health of every flow (or the selected ones): healthy / warning / critical with reasons
    (stale runs, error rate, paused or errored resources, failing credentials). Sends progress
    notifications while it works through many flows. Changes nothing and sends no alert."""
    return await invoke(
        ctx,
        ToolName.CHECK_HEALTH,
        lambda client, progress: health.check_health(
            client,
            HealthCheckRequest(
                flow_ids=flow_ids,
                resources=[HealthResource.parse(item) for item in resources],
                thresholds=thresholds or HealthThresholds(),
                fail_on=fail_on,
                max_flows_listed=max_flows_listed,
            ),
            progress,
        ),
        paging_hint="The flow list was cut to fit the size limit; counts cover every flow. Lower max_flows_listed.",
    )
