"""Logs toolset: read a run's log lines, and triage why a run failed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import logs, triage
from nexla_ops.operations.logs import LogQuery, LogsResult
from nexla_ops.operations.triage import TriageReport, TriageRequest

from ..registry import ToolName
from ..runtime import invoke
from .params import Cursor, FlowKind, ResourceId

RunId = Annotated[int | None, Field(description="Run id (default: the latest run).")]


async def get_logs(
    ctx: Context,
    kind: FlowKind,
    id: ResourceId,
    run_id: RunId = None,
    level: Annotated[str | None, Field(description="Minimum level: DEBUG, INFO, WARN or ERROR.")] = None,
    since: Annotated[datetime | None, Field(description="Lines from this time on (ISO 8601).")] = None,
    until: Annotated[datetime | None, Field(description="Lines up to this time (ISO 8601).")] = None,
    tail: Annotated[int | None, Field(ge=1, le=1000, description="Only the last N matching lines.")] = None,
    limit: Annotated[int, Field(ge=1, le=500, description="Most lines per page.")] = 50,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, LogsResult]:
    """One run's log lines, oldest first, by level and time. Start with level=ERROR or tail=20; page with
    next_cursor. For "why did it fail" use triage_flow."""
    return await invoke(
        ctx,
        ToolName.GET_LOGS,
        lambda client, _: logs.get_logs(
            client,
            LogQuery(
                kind=kind, id=id, run_id=run_id, level=level, since=since, until=until, tail=tail,
                limit=limit, cursor=cursor,
            ),
        ),
        paging_hint="The log page was cut to fit the size limit; use tail, level=ERROR, a smaller limit or the cursor.",
    )


async def triage_flow(
    ctx: Context,
    kind: FlowKind,
    id: ResourceId,
    run_id: Annotated[int | None, Field(description="Run to triage (default: the latest failed run).")] = None,
    max_groups: Annotated[int, Field(ge=1, le=100, description="Most error groups returned.")] = 10,
) -> Annotated[CallToolResult, TriageReport]:
    """Explain a failed run: error groups with counts and times, affected resources, likely cause, next
    step (a tool call), the last successful run, and whether a newer run succeeded."""
    return await invoke(
        ctx,
        ToolName.TRIAGE_FLOW,
        lambda client, _: triage.triage(client, TriageRequest(kind=kind, id=id, run_id=run_id, max_groups=max_groups)),
    )
