"""Tools published from the schema cache are the same tools, loaded on first call; listing loads nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nexla_mcp import tool_cache
from nexla_mcp.app import ServerOptions, build_server
from nexla_mcp.tool_cache import LazyTool
from tests.helpers.mcp import ToolCaller, connect, offline_settings

HEAVY = ("pyarrow", "yaml", "nexla_ops.operations.deploy", "nexla_ops.transform", "nexla_ops.client", "nexla_mcp.tools")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEXLA_MCP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


async def _listing() -> list[dict]:
    async with connect(offline_settings()) as client:
        tools = (await client.list_tools()).tools
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]


async def test_a_warm_start_publishes_exactly_what_a_cold_start_built(cache: Path) -> None:
    cold = await _listing()
    (written,) = cache.glob("tools-*.json")
    assert set(json.loads(written.read_text())) == {tool["name"] for tool in cold}
    server = build_server(ServerOptions(), offline_settings())
    assert all(isinstance(tool, LazyTool) for tool in server._tool_manager.list_tools())
    assert await _listing() == cold


async def test_a_cached_tool_validates_its_arguments_and_runs_once_loaded(cache: Path) -> None:
    await _listing()
    async with connect(offline_settings(), ServerOptions(toolsets=("transforms",))) as client:
        caller = ToolCaller(client, (await client.list_tools()).tools)
        error = await caller.error("validate_transform", {"transform": {"operations": []}, "records": "nope"})
        assert error["error"] == "invalid_arguments" and "records" in error["message"]
        result = await caller.ok("validate_transform", {
            "transform": {"operations": [{"operation": "rename", "fields": {"a": "b"}}]}, "records": [{"a": 1}]})
        assert result["valid"] is True and result["records"] == [{"b": 1}]


def test_listing_tools_imports_no_operation_code(cache: Path) -> None:
    script = (
        "import sys, asyncio\n"
        "from nexla_mcp.app import build_server\n"
        "from tests.helpers.mcp import offline_settings\n"
        "asyncio.run(build_server(settings=offline_settings()).list_tools())\n"
        f"print([m for m in sys.modules if m.startswith({HEAVY!r})])\n"
    )
    env = {**os.environ, "NEXLA_MCP_CACHE_DIR": str(cache)}
    run = [sys.executable, "-c", script]
    cold = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120, check=True)
    assert "nexla_mcp.tools" in cold.stdout  # the first start builds the schemas
    warm = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120, check=True)
    assert warm.stdout.strip() == "[]", warm.stdout


async def test_an_unreadable_cache_is_rebuilt(cache: Path) -> None:
    cold = await _listing()
    (written,) = cache.glob("tools-*.json")
    written.write_text('{"quickstart": {"description": 1}', encoding="utf-8")
    assert await _listing() == cold
    assert json.loads(written.read_text())["quickstart"]["description"]


def test_the_fingerprint_follows_every_source_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    source = tmp_path / "pkg" / "sub" / "models.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(tool_cache, "_package_dir", lambda name: tmp_path / "pkg")
    before = tool_cache.fingerprint()
    source.write_text("x = 2\n")
    assert tool_cache.fingerprint() != before
