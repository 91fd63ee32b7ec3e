"""Long work as MCP tasks (the ``io.modelcontextprotocol/tasks`` extension), through the SDK's extension interface.

A 2026-07-28 connection has no stream resumption, so a long ``apply_deployment`` over HTTP dies
with its stream. As a task it does not: a ``tools/call`` for one of :data:`TASK_TOOLS` that asks
for a task (the ``task`` params field, or ``_meta["io.modelcontextprotocol/tasks"]``) returns at
once with ``resultType: "task"`` and a task id, and the call runs in the background. The client
then polls ``tasks/get`` (status, and the latest progress step as ``statusMessage``), reads the
final ``CallToolResult`` with ``tasks/result`` (which waits for the end), or stops it with
``tasks/cancel``. A call that does not ask for a task runs synchronously as before.

Cancelling cancels the tool's coroutine: operations stop at their next await and undo what they
started (``apply_deployment`` rolls back its journal, shielded from the cancellation) before the
task is marked ``cancelled``, so a cancelled task leaves nothing behind. The 2026 protocol has
no session to bind a task to, so a task id is an unguessable capability (96 random bits) that
only its creator learns; tasks are forgotten ``ttl`` milliseconds after they end.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    CancelTaskResult,
    GetTaskResult,
    RequestParams,
    Result,
    Task,
    TaskStatus,
    TextContent,
)

logger = logging.getLogger("nexla_mcp")

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
TASK_TOOLS = frozenset({"apply_deployment", "run_batch", "rotate_credential"})
DEFAULT_TTL_MS = 60 * 60 * 1000
POLL_INTERVAL_MS = 500
_TERMINAL: frozenset[TaskStatus] = frozenset({"completed", "failed", "cancelled"})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TaskCreated(Result):
    """The answer to a ``tools/call`` run as a task."""

    result_type: Literal["task"] = "task"
    task: Task


class TaskIdParams(RequestParams):
    task_id: str


@dataclass
class TaskRecord:
    """One task: its state, the tool's final result, and the coroutine running it."""

    task_id: str
    tool: str
    ttl: int
    status: TaskStatus = "working"
    status_message: str | None = None
    created_at: str = field(default_factory=_now)
    last_updated_at: str = field(default_factory=_now)
    result: CallToolResult | None = None
    runner: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, status: TaskStatus | None = None, message: str | None = None) -> None:
        if status is not None:
            self.status = status
        if message is not None:
            self.status_message = message
        self.last_updated_at = _now()

    def view(self) -> Task:
        return Task(
            task_id=self.task_id, status=self.status, status_message=self.status_message, created_at=self.created_at,
            last_updated_at=self.last_updated_at, ttl=self.ttl, poll_interval=POLL_INTERVAL_MS,
        )


_CURRENT: contextvars.ContextVar[TaskRecord | None] = contextvars.ContextVar("nexla_mcp_task", default=None)


def current_task() -> TaskRecord | None:
    """The task the running tool call belongs to, if it runs as one (progress goes to its status)."""
    return _CURRENT.get()


def _requested_ttl(params: CallToolRequestParams) -> int | None:
    """The ttl asked for (ms), ``DEFAULT_TTL_MS`` when a task is asked without one, ``None`` for a plain call."""
    if params.task is not None:
        return params.task.ttl or DEFAULT_TTL_MS
    meta: dict[str, Any] = dict(params.meta or {})
    asked = meta.get(TASKS_EXTENSION)
    if isinstance(asked, dict):
        ttl = asked.get("ttl")
        return ttl if isinstance(ttl, int) and ttl > 0 else DEFAULT_TTL_MS
    return None


class TasksExtension(Extension):
    """Runs :data:`TASK_TOOLS` as tasks on request and serves ``tasks/get|result|cancel``.

    There is no ``tasks/list``: with no session to scope it, it would hand every caller the ids
    that are each task's only protection.
    """

    identifier = TASKS_EXTENSION

    def __init__(self) -> None:
        self._tasks: dict[str, TaskRecord] = {}

    def settings(self) -> dict[str, Any]:
        return {"tools": sorted(TASK_TOOLS), "methods": ["tasks/get", "tasks/result", "tasks/cancel"]}

    def methods(self) -> Sequence[MethodBinding]:
        return (
            MethodBinding("tasks/get", TaskIdParams, self._get),
            MethodBinding("tasks/result", TaskIdParams, self._result),
            MethodBinding("tasks/cancel", TaskIdParams, self._cancel),
        )

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        ttl = _requested_ttl(params)
        if ttl is None or params.name not in TASK_TOOLS:
            return await call_next(ctx)
        self._forget_expired()
        record = TaskRecord(task_id=secrets.token_urlsafe(12), tool=params.name, ttl=ttl)
        self._tasks[record.task_id] = record
        record.runner = asyncio.create_task(self._run(record, ctx, call_next), name=f"mcp-task-{record.task_id}")
        logger.info("tool %s runs as task %s", params.name, record.task_id)
        return TaskCreated(task=record.view())

    async def _run(self, record: TaskRecord, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> None:
        _CURRENT.set(record)
        try:
            result = await call_next(ctx)
            final = result if isinstance(result, CallToolResult) else CallToolResult(content=[], is_error=True)
            record.result = final
            record.update("failed" if final.is_error else "completed")
        except asyncio.CancelledError:
            record.result = CallToolResult(
                content=[TextContent(type="text", text=f"{record.tool} was cancelled; what it started was undone")],
                is_error=True,
            )
            record.update("cancelled", "cancelled; what it started was undone")
        except Exception as exc:  # noqa: BLE001 - a crash ends the task as failed, never the server
            logger.exception("task %s crashed", record.task_id)
            record.result = CallToolResult(
                content=[TextContent(type="text", text=f"{record.tool} failed: {type(exc).__name__}")], is_error=True
            )
            record.update("failed")
        finally:
            record.done.set()

    def _find(self, task_id: str) -> TaskRecord:
        record = self._tasks.get(task_id)
        if record is None:
            raise MCPError(code=INVALID_PARAMS, message=f"no task {task_id!r} (it may have expired)")
        return record

    def _forget_expired(self) -> None:
        now = datetime.now(UTC)
        for task_id, record in list(self._tasks.items()):
            ended = datetime.fromisoformat(record.last_updated_at.replace("Z", "+00:00"))
            if record.status in _TERMINAL and (now - ended).total_seconds() * 1000 > record.ttl:
                del self._tasks[task_id]

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> HandlerResult:
        return GetTaskResult(**self._find(params.task_id).view().model_dump())

    async def _result(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> HandlerResult:
        record = self._find(params.task_id)
        await record.done.wait()
        assert record.result is not None
        return record.result

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> HandlerResult:
        record = self._find(params.task_id)
        if record.status in _TERMINAL:
            raise MCPError(code=INVALID_PARAMS, message=f"task {params.task_id!r} already ended ({record.status})")
        if record.runner is not None:
            record.runner.cancel()
        # Answer once the tool has stopped and undone its work, so "cancelled" means nothing is left.
        await record.done.wait()
        return CancelTaskResult(**record.view().model_dump())
