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
from .params import ResourceId


async def run_flow(
    ctx: Context,
    id: ResourceId,
    kind: Annotated[str, Field(description="flows (a node id) or data_sources, data_sets, data_sinks.")] = "flows",
    run_id: Annotated[int | None, Field(ge=1, description="Wait for this run instead of starting one.")] = None,
    wait: Annotated[bool, Field(description="Wait for the end (false: return once started).")] = True,
    timeout_s: Annotated[float, Field(gt=0, le=3600, description="Seconds to wait at most.")] = 300,
) -> Annotated[CallToolResult, RunResult]:
    """Run an active flow now and wait for the result (progress sent); a failed run is an error result.
    finished=false: still running, call again with run_id. Cancelling stops the wait, not the run."""
    request = RunRequest(kind=kind, id=id, run_id=run_id, wait=wait, timeout_s=timeout_s)
    return await invoke(
        ctx, ToolName.RUN_FLOW, lambda client, progress: run_now.run_flow(client, request, progress),
        # A run still going is not a failure yet: the caller waits again with run_id.
        failed=lambda result: result.finished and not result.succeeded,
    )
