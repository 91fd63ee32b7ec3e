"""The MCP server class: the SDK's ``MCPServer`` with compact published schemas and one error shape.

Two things the SDK does its own way are brought in line with the rest of the server here, once
for every tool instead of per tool:

- Arguments the SDK rejects before a tool runs (wrong type, missing, not one of an enum), calls
  to an unknown tool, and crashes outside a tool body (e.g. in a confirmation resolver) would
  come back as plain-text ``isError`` results. :meth:`NexlaServer.call_tool` turns them into the
  structured error every tool returns (``error``, ``message``, ``hint``, ``retryable``,
  ``retry_after_s``), naming the bad argument and what to send, never a stack trace.
- :func:`tool_from_spec` publishes input and output schemas rewritten by :mod:`nexla_mcp.schemas`
  (same instances accepted, a quarter smaller); arguments are still validated by the tool's own
  pydantic model.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pydantic
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, InputRequiredResult

from .apps import ui_meta
from .errors import argument_error_payload, error_payload, unknown_tool_payload
from .registry import ToolSpec
from .runtime import AppState, error_call_result
from .schemas import compact_input_schema, compact_output_schema

logger = logging.getLogger("nexla_mcp")


def tool_from_spec(spec: ToolSpec) -> Tool:
    """The SDK tool for ``spec``, with its title, annotations and compact published schemas."""
    # cleandoc: the docstring's indentation would otherwise be sent to every client.
    description = inspect.cleandoc(spec.fn.__doc__ or "")
    tool = Tool.from_function(
        spec.fn, name=spec.name.value, title=spec.title, description=description, annotations=spec.annotations,
        meta=ui_meta(spec.name.value),
    )
    metadata = tool.fn_metadata
    if metadata.output_schema is not None:
        metadata = metadata.model_copy(update={"output_schema": compact_output_schema(metadata.output_schema)})
    return tool.model_copy(update={"parameters": compact_input_schema(tool.parameters), "fn_metadata": metadata})


class NexlaServer(MCPServer[AppState]):
    """``MCPServer`` whose every failed tool call is a structured error result (see module doc).

    Takes the same arguments as ``MCPServer``; pass the tools (from :func:`tool_from_spec`) as ``tools``.
    """

    def __init__(self, *args: Any, tools: list[Tool], **kwargs: Any) -> None:
        super().__init__(*args, tools=tools, **kwargs)
        self._tools_by_name = {tool.name: tool for tool in tools}

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            return error_call_result(name, self._tool_error_payload(name, exc))

    def _tool_error_payload(self, name: str, exc: ToolError) -> dict[str, Any]:
        tool = self._tools_by_name.get(name)
        if tool is None:
            return unknown_tool_payload(name, list(self._tools_by_name))
        cause = exc.__cause__
        # The SDK raises a plain ToolError (not UnexpectedToolError) only when argument validation fails.
        if isinstance(cause, pydantic.ValidationError) and not isinstance(exc, UnexpectedToolError):
            return argument_error_payload(name, cause, tool.parameters)
        # A resolver (confirmation) or output check failed: report the cause like any tool failure.
        return error_payload(cause if isinstance(cause, Exception) else exc, name)
