"""What every tool shares: the API client, the call wrapper, and the progress bridge.

A tool body is one line: ``return await invoke(ctx, ToolName.X, lambda client, progress: op(...))``.
:func:`invoke` tags audit lines with the tool name, has suggestions rendered as tool calls
(:mod:`nexla_ops.operations.guidance`), turns the operation's progress events into MCP
progress notifications, redacts and size-limits the result, and turns any failure into an
``isError`` result (see :mod:`nexla_mcp.errors`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from nexla_ops.audit import audit_context
from nexla_ops.operations.guidance import face
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent
from nexla_ops.redaction import scrub_text
from nexla_ops.secrets import mcp_policy, secret_policy

from .errors import error_payload
from .registry import ToolName
from .results import fit, to_json
from .tasks import current_task

if TYPE_CHECKING:
    from .secret_page import SecretDesk

logger = logging.getLogger("nexla_mcp")

Call = Callable[[Any, ProgressCallback], Awaitable[BaseModel]]


@dataclass
class AppState:
    """Lifespan state of one server: the API client every tool uses, the folder spec files are read from,
    the secrets typed by the user out of band (made on first use, see :mod:`nexla_mcp.secret_elicitation`)."""

    client: Any
    spec_dir: Path = field(default_factory=Path.cwd)
    secret_desk: SecretDesk | None = None


def app_state(ctx: Context) -> AppState:
    state = ctx.request_context.lifespan_context
    if not isinstance(state, AppState):
        raise RuntimeError("the server was started without its lifespan (no API client)")
    return state


class ProgressBridge:
    """An operation ``progress`` callback that sends MCP progress notifications.

    ``progress`` is a step counter (strictly increasing, as the protocol requires); each
    notification carries the step's message, with ``[current/total]`` when the operation counts.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._steps = 0

    async def __call__(self, event: ProgressEvent) -> None:
        self._steps += 1
        count = f" [{event.current}/{event.total}]" if event.current is not None and event.total else ""
        task = current_task()
        if task is not None:
            # A task's caller got its answer already; it reads progress from tasks/get.
            task.update(message=f"step {self._steps}: {event.step}{count}: {event.message}")
            return
        try:
            await self._ctx.report_progress(self._steps, None, f"{event.step}{count}: {event.message}")
        except Exception as exc:  # noqa: BLE001 - a lost notification must not fail the operation
            logger.debug("progress notification not sent: %s", type(exc).__name__)


def scrub(value: Any) -> Any:
    """``value`` with every known secret (service key, token, registered credential values) removed
    from its strings. Operations redact secret fields by name; this keeps the result's shape (so it
    still matches the output schema) while making sure no secret value slips through."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def success_result(result: BaseModel, *, paging_hint: str | None = None, is_error: bool = False) -> CallToolResult:
    """Structured content (scrubbed, size-limited) plus the same JSON as text for older clients.

    ``is_error`` marks an outcome that is a full result but not a success (a deployment that was
    invalid or rolled back), so a client never reads it as done.
    """
    payload = fit(scrub(result.model_dump(mode="json", by_alias=True)), hint=paging_hint)
    return CallToolResult(
        content=[TextContent(type="text", text=to_json(payload))], structured_content=payload, is_error=is_error
    )


def error_call_result(tool: str, payload: dict[str, Any]) -> CallToolResult:
    """An ``isError`` result carrying ``payload`` (see :mod:`nexla_mcp.errors`) as structured content and text."""
    logger.info("tool %s returned error %s", tool, payload["error"])
    return CallToolResult(
        content=[TextContent(type="text", text=to_json(payload))], structured_content=payload, is_error=True
    )


def error_result(exc: BaseException, tool: ToolName) -> CallToolResult:
    return error_call_result(tool.value, error_payload(exc, tool.value))


async def invoke(
    ctx: Context,
    tool: ToolName,
    call: Call,
    *,
    paging_hint: str | None = None,
    failed: Callable[[Any], bool] | None = None,
) -> CallToolResult:
    """Run one operation for ``tool`` and shape its outcome (see module doc).

    ``failed(result)`` says when a returned result is not a success (then ``isError`` is true).
    """
    try:
        # face("mcp"): next steps and hints come back as tool calls, not shell commands; secrets
        # reach only allowed variables (see nexla_ops.secrets).
        with audit_context(tool=tool.value), face("mcp"), secret_policy(mcp_policy()):
            result = await call(app_state(ctx).client, ProgressBridge(ctx))
    except Exception as exc:  # noqa: BLE001 - every failure becomes an isError result
        return error_result(exc, tool)
    return success_result(result, paging_hint=paging_hint, is_error=bool(failed and failed(result)))
