"""Helpers for the MCP server tests: settings for the sandbox, an in-memory client, result checks."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from mcp import Client
from mcp.types import CallToolResult, Tool
from nexla_mcp.app import ServerOptions, build_server
from nexla_ops.config import Settings

ERROR_KEYS = {"error", "message", "hint", "retryable", "retry_after_s"}
# A suggestion rendered for MCP: ``tool {"argument": value}`` (see nexla_ops.operations.guidance.step).
SUGGESTED_CALL = re.compile(r"([a-z_]+) (\{.*?\})(?=$|[ ,;)])")


def settings_for(sandbox: Any, audit_log: Path | None = None, **overrides: Any) -> Settings:
    env = {
        "NEXLA_API_URL": sandbox.base_url,
        "NEXLA_SERVICE_KEY": sandbox.service_key,
        "NEXLA_AUDIT_LOG": str(audit_log) if audit_log else "",
    }
    return Settings.from_env(env=env, **overrides)


def offline_settings(**overrides: Any) -> Settings:
    """Settings for tests that never reach the API (tool listing, resources, prompts)."""
    env = {"NEXLA_API_URL": "http://127.0.0.1:9/nexla-api", "NEXLA_SERVICE_KEY": "unused", "NEXLA_AUDIT_LOG": ""}
    return Settings.from_env(env=env, **overrides)


def connect(settings: Settings, options: ServerOptions | None = None, **client_kwargs: Any) -> Client:
    """An in-memory MCP client for a freshly built server (use as ``async with``)."""
    return Client(build_server(options or ServerOptions(), settings), **client_kwargs)


class ToolCaller:
    """Calls tools and checks every structured result against the tool's published outputSchema."""

    def __init__(self, client: Client, tools: list[Tool]) -> None:
        self.client = client
        self.schemas = {tool.name: tool.output_schema for tool in tools}
        self.called: set[str] = set()

    async def ok(self, name: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        result = await self.client.call_tool(name, arguments or {}, **kwargs)
        assert not result.is_error, f"{name} failed: {text_of(result)}"
        assert result.structured_content is not None, name
        jsonschema.validate(result.structured_content, self.schemas[name])
        assert json.loads(text_of(result)) == result.structured_content
        self.called.add(name)
        return result.structured_content

    async def error(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.client.call_tool(name, arguments or {})
        assert result.is_error, f"{name} unexpectedly succeeded: {text_of(result)}"
        payload = result.structured_content
        assert payload is not None and ERROR_KEYS <= payload.keys(), text_of(result)
        return payload


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def suggested_calls(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Every ``tool {arguments}`` a next step or hint suggests, in order, arguments parsed."""
    return [(name, json.loads(arguments)) for name, arguments in SUGGESTED_CALL.findall(text)]
