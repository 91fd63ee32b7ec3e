"""Monitor toolset: run history, daily metrics, and (once per day or on demand) a health check."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import metrics
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
