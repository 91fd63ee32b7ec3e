"""Run control: run a flow now and wait for the result; a cancelled wait never cancels the run."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import run_now
from nexla_ops.operations.run_now import RunRequest, RunResult

from ..registry import ToolName
from ..runtime import invoke
from .params import FlowKind, ResourceId


async def run_flow(
    ctx: Context,
    id: ResourceId,
    kind: FlowKind = "flows",
    run_id: Annotated[int | None, Field(ge=1, description="Wait for this run instead of starting one.")] = None,
    wait: Annotated[bool, Field(description="Wait for the run to end (false: return once started).")] = True,
    timeout_s: Annotated[float, Field(gt=0, le=3600, description="Stop waiting after this long.")] = 300,
) -> Annotated[CallToolResult, RunResult]:
    """Run an active flow now and wait for its result, with progress. finished=false: still running; call
    again with run_id. Cancelling the call stops the wait, not the run."""
    request = RunRequest(kind=kind, id=id, run_id=run_id, wait=wait, timeout_s=timeout_s)
    return await invoke(ctx, ToolName.RUN_FLOW, lambda client, progress: run_now.run_flow(client, request, progress))
