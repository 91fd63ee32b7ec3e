"""Run a flow now and wait for the run's result, with progress; stopping the wait never stops the run.

``POST /flows/{id}/run_now`` starts a run of the whole flow (Nexla's admin code has ``run_now``
on flows and data sources; it is not in the OpenAPI) and answers the run or its id. While the run
is not finished, ``GET /flows/{id}/run_status/{run_id}`` (the monitoring endpoint nexla-sdk uses)
is polled every ``poll_s`` seconds, each poll a progress event, until it ends or ``timeout_s``
passes. The run id is reported before the first wait, so a caller that gives up (timeout,
Ctrl-C, an MCP cancellation) can come back with ``run_id`` and wait again: nothing here ever
cancels the run itself.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from nexla_ops.errors import ExitCode
from nexla_ops.operations.flows import get_flow
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient

RUNNING = {"RUNNING", "PENDING", "QUEUED", "IN_PROGRESS", "PROCESSING", "STARTED", "INIT"}
SUCCEEDED = {"SUCCESS", "SUCCEEDED", "COMPLETED", "DONE", "OK"}


class RunRequest(BaseModel):
    """Which flow to run (or which run to wait for) and how long to wait."""

    kind: str = Field(default="flows", description="flows (a node id) or data_sources, data_sets, data_sinks.")
    id: int = Field(ge=1)
    run_id: int | None = Field(default=None, ge=1, description="Wait for this run instead of starting one.")
    wait: bool = True
    timeout_s: float = Field(default=300, gt=0, le=3600)
    poll_s: float = Field(default=5, gt=0, le=300)


class RunResult(BaseModel):
    """The run as last seen."""

    flow_id: int
    run_id: int | None = None
    status: str
    finished: bool
    records_in: int | None = None
    records_out: int | None = None
    errors: int | None = None
    error_message: str | None = None
    started_at: str | None = None
    ended_at: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.finished and self.status.upper() in SUCCEEDED

    @property
    def exit_code(self) -> int:
        """0 succeeded, 1 the run failed, 6 still running (wait again with the run id)."""
        if not self.finished:
            return int(ExitCode.TEMPORARY)
        return int(ExitCode.OK if self.succeeded else ExitCode.FAILED)


def _result(flow_id: int, body: Any, fallback_run: int | None) -> RunResult:
    body = body if isinstance(body, dict) else {}
    status = str(body.get("status") or "RUNNING").upper()
    run_id = body.get("run_id", body.get("runId", fallback_run))

    def count(name: str) -> int | None:
        value = body.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return RunResult(
        flow_id=flow_id, run_id=int(run_id) if run_id is not None else None, status=status,
        finished=status not in RUNNING, records_in=count("records_in"), records_out=count("records_out"),
        errors=count("errors"), error_message=body.get("error_message"), started_at=body.get("started_at"),
        ended_at=body.get("ended_at"),
    )


async def run_flow(
    client: AsyncNexlaClient, request: RunRequest, progress: ProgressCallback = no_progress
) -> RunResult:
    """Start a run of the flow (unless ``request.run_id``) and wait for it as asked (see module doc)."""
    flow_id = (await get_flow(client, request.kind, request.id)).flow_id
    if request.run_id is None:
        result = _result(flow_id, await client.post(f"/flows/{flow_id}/run_now"), None)
        await progress(ProgressEvent(step="run", message=f"run {result.run_id} of flow {flow_id} started"))
    else:
        result = _result(flow_id, await client.get(f"/flows/{flow_id}/run_status/{request.run_id}"), request.run_id)
    if result.run_id is None and not result.finished:
        return result
    deadline = time.monotonic() + request.timeout_s
    polls = 0
    while request.wait and not result.finished and time.monotonic() < deadline:
        await asyncio.sleep(min(request.poll_s, max(0.0, deadline - time.monotonic())))
        polls += 1
        result = _result(flow_id, await client.get(f"/flows/{flow_id}/run_status/{result.run_id}"), result.run_id)
        await progress(ProgressEvent(step="wait", message=f"run {result.run_id}: {result.status}", current=polls))
    done = "finished" if result.finished else "still running (wait again with run_id)"
    await progress(ProgressEvent(step="result", message=f"run {result.run_id} {done}: {result.status}"))
    return result


__all__ = ["RunRequest", "RunResult", "run_flow"]
