"""Async tasks (``/async_tasks``): discover task types, start one, wait for it, fetch its result.

Nexla's task statuses (``async_task_statuses`` in reference/nexla-openapi.json) are ``pending``,
``running``, ``completed``, ``failed`` and ``cancelled``: ``completed`` is success, ``failed`` and
``cancelled`` are failures, anything else is still in progress (compared case-insensitively).
A failed task's reason is its ``error`` field, which the OpenAPI types as an object and older
deployments send as text; both become one message. Its end time is ``stopped_at``.

An unknown task type is answered 404 (explain) or 400 (create) with no body to rely on, so the
error is built from ``GET /async_tasks/types`` instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from pydantic import BaseModel, Field, field_validator

from nexla_ops.client import AsyncNexlaClient
from nexla_ops.domain import AsyncTask
from nexla_ops.errors import ExitCode, NexlaError, NotFoundError, ValidationError
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress

SUCCESS_STATUSES = frozenset({"completed"})
FAILURE_STATUSES = frozenset({"failed", "cancelled"})
TERMINAL_STATUSES = SUCCESS_STATUSES | FAILURE_STATUSES


def is_terminal(status: str | None) -> bool:
    """True when ``status`` is in the success or failure set (case-insensitive)."""
    return (status or "").lower() in TERMINAL_STATUSES


def succeeded(status: str | None) -> bool:
    return (status or "").lower() in SUCCESS_STATUSES


class TaskTypes(BaseModel):
    types: list[str]


class TaskArguments(BaseModel):
    """The arguments a task type takes, as the API describes them."""

    type: str
    arguments: Any = Field(description="The API's description (usually a list of {name, type, required, description}).")


class TaskRequest(BaseModel):
    """A task to start: its type, its arguments and an optional priority."""

    type: str = Field(min_length=1, description="A task type from list_task_types, e.g. BulkPauseFlows.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Arguments per explain_task_arguments.")
    priority: int | None = None

    @field_validator("type")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("type is empty; pick one from list_task_types")
        return value.strip()


class TaskStatus(BaseModel):
    """A task's state: status, whether it is over and how it ended, and its result or error."""

    id: int
    type: str | None = None
    status: str | None = None
    terminal: bool
    succeeded: bool
    error: str | None = Field(None, description="Why it failed (the API's `error` field, as text).")
    progress: int | None = Field(None, description="Percent done, when the API reports it.")
    result: Any = None
    result_url: str | None = Field(None, description="Where the result can be downloaded, when the API says.")
    created_at: str | None = None
    finished_at: str | None = Field(None, description="When it stopped (the API's `stopped_at`).")
    polls: int = Field(0, description="Status reads spent waiting (0 when not waited on).")

    @property
    def exit_code(self) -> int:
        """5 (check failed) for a task that ended in failure, else 0."""
        return int(ExitCode.CHECK_FAILED) if self.terminal and not self.succeeded else int(ExitCode.OK)

    @classmethod
    def of(cls, body: Any, polls: int = 0) -> TaskStatus:
        task = AsyncTask.model_validate(body)
        stopped = task.stopped_at or task.finished_at
        return cls(
            id=task.id, type=task.type, status=task.status, terminal=is_terminal(task.status),
            succeeded=succeeded(task.status), error=_error_text(task.error), progress=task.progress,
            result=task.result, result_url=task.result_url,
            created_at=task.created_at.isoformat() if task.created_at else None,
            finished_at=stopped.isoformat() if stopped else None, polls=polls,
        )


def _error_text(error: Any) -> str | None:
    """One message from the ``error`` field: text as is, an object by its ``message`` (else as JSON)."""
    if error is None or error == "" or error == {}:
        return None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return error if isinstance(error, str) else json.dumps(error, sort_keys=True)


class TaskResult(BaseModel):
    id: int
    result: Any = Field(None, description="The task's result; null until it completed.")


class DownloadLink(BaseModel):
    id: int
    url: str
    expires_at: str | None = None


class Acknowledged(BaseModel):
    id: int
    acknowledged: bool = True


class TaskWaitTimeout(NexlaError):
    """The task did not reach a terminal status before the deadline; it may still finish."""

    default_hint = "Wait longer (a larger timeout) or check it later with get_task; nothing was cancelled."
    default_exit_code = ExitCode.TEMPORARY
    default_retryable = True


async def list_task_types(client: AsyncNexlaClient) -> TaskTypes:
    """Task types the server runs (``GET /async_tasks/types``)."""
    body = await client.get("/async_tasks/types")
    return TaskTypes(types=[str(t) for t in body or []])


async def _unknown_type(client: AsyncNexlaClient, task_type: str) -> str | None:
    """The message for a task type the server does not list, or None when it does list it."""
    known = (await list_task_types(client)).types
    if task_type in known:
        return None
    return f"Unknown async task type {task_type!r}; 'type' must be one of: {', '.join(known)}"


async def explain_task_arguments(client: AsyncNexlaClient, task_type: str) -> TaskArguments:
    """What ``task_type`` needs (``GET /async_tasks/explain_arguments/{type}``).

    Raises NotFoundError naming the known types when the server does not know ``task_type``.
    """
    name = task_type.strip()
    if not name:
        raise ValueError("task_type is empty; pick one from list_task_types")
    try:
        body = await client.get(f"/async_tasks/explain_arguments/{name}")
    except NotFoundError as error:
        unknown = await _unknown_type(client, name)
        if unknown is None:
            raise
        raise NotFoundError(unknown, status=error.status, resource_type="async_tasks", method=error.method,
                            path=error.path, hint="Pick a type from list_task_types.") from None
    described = body.get("args", body.get("arguments", body)) if isinstance(body, dict) else body
    return TaskArguments(type=name, arguments=described)


async def create_task(client: AsyncNexlaClient, request: TaskRequest) -> TaskStatus:
    """Start a task (``POST /async_tasks``); not retried, so it never starts twice.

    Raises ValidationError naming ``type`` and the known types when the server does not know it.
    """
    body: dict[str, Any] = {"type": request.type, "arguments": request.arguments}
    if request.priority is not None:
        body["priority"] = request.priority
    try:
        created = await client.post("/async_tasks", json=body)
    except (ValidationError, NotFoundError) as error:
        unknown = await _unknown_type(client, request.type)
        if unknown is None:
            raise
        raise ValidationError(unknown, status=error.status, resource_type="async_tasks", method=error.method,
                              path=error.path, hint="Pick a type from list_task_types.") from None
    return TaskStatus.of(created)


async def get_task(client: AsyncNexlaClient, task_id: int) -> TaskStatus:
    return TaskStatus.of(await client.get(f"/async_tasks/{task_id}"))


async def wait_for_task(
    client: AsyncNexlaClient,
    task_id: int,
    *,
    timeout_s: float = 300.0,
    initial_delay_s: float = 0.5,
    max_delay_s: float = 15.0,
    progress: ProgressCallback = no_progress,
) -> TaskStatus:
    """Poll the task with exponential backoff until its status is terminal.

    Returns the final :class:`TaskStatus` (check ``succeeded``; ``error`` says why not). Raises
    :class:`TaskWaitTimeout` (exit code 6) when ``timeout_s`` passes first.
    """
    if timeout_s <= 0 or initial_delay_s <= 0 or max_delay_s < initial_delay_s:
        raise ValueError("timeout_s and initial_delay_s must be > 0 and max_delay_s >= initial_delay_s")
    deadline = time.monotonic() + timeout_s
    delay, polls = initial_delay_s, 0
    while True:
        polls += 1
        status = TaskStatus.of(await client.get(f"/async_tasks/{task_id}"), polls=polls)
        await progress(ProgressEvent(step="wait", message=f"task {task_id}: {status.status}", current=polls))
        if status.terminal:
            return status
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TaskWaitTimeout(
                f"Async task {task_id} is still {status.status!r} after {timeout_s:g} s",
                resource_type="async_tasks", resource_id=task_id,
            )
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 2, max_delay_s)


async def get_task_result(client: AsyncNexlaClient, task_id: int) -> TaskResult:
    return TaskResult(id=task_id, result=await client.get(f"/async_tasks/{task_id}/result"))


async def get_download_link(client: AsyncNexlaClient, task_id: int) -> DownloadLink:
    """Where to download the result; the API answers a bare URL string or ``{url, expires_at}``."""
    body = await client.get(f"/async_tasks/{task_id}/download_link")
    if isinstance(body, str) and body:
        return DownloadLink(id=task_id, url=body)
    if isinstance(body, dict) and body.get("url"):
        expires = body.get("expires_at")
        return DownloadLink(id=task_id, url=str(body["url"]), expires_at=None if expires is None else str(expires))
    raise NexlaError(f"Async task {task_id} has no download link yet", resource_type="async_tasks",
                     resource_id=task_id, hint="Wait for the task to complete (wait_for_task), then ask again.")


async def acknowledge_task(client: AsyncNexlaClient, task_id: int) -> Acknowledged:
    """Mark the task as seen (``POST /async_tasks/{id}/acknowledge``; harmless to repeat)."""
    await client.post(f"/async_tasks/{task_id}/acknowledge", replay_safe=True)
    return Acknowledged(id=task_id)


__all__ = [
    "FAILURE_STATUSES", "SUCCESS_STATUSES", "TERMINAL_STATUSES", "Acknowledged", "DownloadLink", "TaskArguments",
    "TaskRequest", "TaskResult", "TaskStatus", "TaskTypes", "TaskWaitTimeout", "acknowledge_task", "create_task",
    "explain_task_arguments", "get_download_link", "get_task", "get_task_result", "is_terminal", "list_task_types",
    "succeeded", "wait_for_task",
]
