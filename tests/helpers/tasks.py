"""A client side of the tasks extension for tests: ask for a task, poll it, read its result, cancel it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Literal

from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.client.session import ClientSession
from mcp_types import CallToolResult, CancelTaskResult, GetTaskResult, Request, RequestParams, Result, Task

from nexla_mcp.tasks import TASKS_EXTENSION


class TaskCreated(Result):
    result_type: Literal["task"] = "task"
    task: Task


class TaskId(RequestParams):
    task_id: str


async def request(session: ClientSession, method: str, task_id: str, result_type: Any) -> Any:
    return await session.send_request(Request(method=method, params=TaskId(task_id=task_id)), result_type)


async def get(session: ClientSession, task_id: str) -> GetTaskResult:
    return await request(session, "tasks/get", task_id, GetTaskResult)


async def result(session: ClientSession, task_id: str) -> CallToolResult:
    return await request(session, "tasks/result", task_id, CallToolResult)


async def cancel(session: ClientSession, task_id: str) -> CancelTaskResult:
    return await request(session, "tasks/cancel", task_id, CancelTaskResult)


async def start(session: ClientSession, name: str, arguments: dict[str, Any], ttl: int = 60_000) -> Task:
    """Call ``name`` as a task; returns the created task (the call runs on in the server)."""
    created = await session.call_tool(name, arguments, meta={TASKS_EXTENSION: {"ttl": ttl}}, allow_claimed=True)
    assert isinstance(created, TaskCreated), created
    return created.task


class TasksClient(ClientExtension):
    """Resolves a task result by polling ``tasks/get`` and reading ``tasks/result``; records every status seen."""

    identifier = TASKS_EXTENSION

    def __init__(self) -> None:
        self.seen: list[GetTaskResult] = []

    def claims(self) -> Sequence[ResultClaim[Any]]:
        return (ResultClaim(result_type="task", model=TaskCreated, resolve=self._resolve),)

    async def _resolve(self, created: TaskCreated, ctx: ClaimContext) -> CallToolResult:
        while True:
            state = await get(ctx.session, created.task.task_id)
            self.seen.append(state)
            if state.status in ("completed", "failed", "cancelled"):
                return await result(ctx.session, created.task.task_id)
            await asyncio.sleep((state.poll_interval or 200) / 4000)
