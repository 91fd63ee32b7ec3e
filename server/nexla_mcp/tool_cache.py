"""Publish the tools without importing them: schemas built once, cached, and tools loaded on first call.

Building a tool's input and output schemas means importing its module, the operations and result
models behind it (and through them pyarrow, yaml, the deploy code) and running pydantic's schema
generation: most of the server's start-up. The published part of every tool (description, input
and output schema) is therefore cached in one JSON file per *source fingerprint*: a hash of the
``mcp`` and ``pydantic`` versions and of every source file of ``nexla_ops`` and ``nexla_mcp``.
Any change to the code that could change a schema gives a new fingerprint, so a stale cache is
never read; it is rebuilt on the next start.

A cached tool is a :class:`LazyTool`: it answers ``tools/list`` from the cache and builds the real
tool (importing its module) the first time it is called, so arguments are still validated by the
tool's own pydantic model and results by its output model.

The cache lives in ``$NEXLA_MCP_CACHE_DIR``, else ``$XDG_CACHE_HOME/nexla-mcp``, else
``~/.cache/nexla-mcp``. A cache that cannot be read or written only costs start-up time.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from pydantic import PrivateAttr

from .apps import ui_meta
from .registry import ToolSpec

logger = logging.getLogger("nexla_mcp")

_PACKAGES = ("nexla_ops", "nexla_mcp")
_DISTRIBUTIONS = ("mcp", "pydantic", "pydantic-core")


class _UnusedArguments(ArgModelBase):
    """Placeholder argument model of a tool not loaded yet (the real one validates every call)."""


def cache_dir() -> Path:
    configured = os.environ.get("NEXLA_MCP_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nexla-mcp"


def _package_dir(name: str) -> Path:
    module = __import__(name)
    return Path(next(iter(module.__path__)))


def fingerprint() -> str:
    """A hash of everything a published schema depends on (see module doc)."""
    digest = hashlib.sha256()
    for distribution in _DISTRIBUTIONS:
        try:
            digest.update(f"{distribution}={importlib.metadata.version(distribution)}\n".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{distribution}=?\n".encode())
    for package in _PACKAGES:
        root = _package_dir(package)
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(root).as_posix()}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def _cache_file(key: str) -> Path:
    return cache_dir() / f"tools-{key}.json"


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {name: entry for name, entry in data.items() if _is_entry(entry)}


def _is_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("description"), str)
        and isinstance(entry.get("input_schema"), dict)
        and (entry.get("output_schema") is None or isinstance(entry.get("output_schema"), dict))
    )


def _write(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as out:
            json.dump(entries, out, separators=(",", ":"), sort_keys=True)
        os.replace(out.name, path)
    except OSError as exc:
        logger.debug("tool schema cache not written (%s): %s", path, exc)


class LazyTool(Tool):
    """A tool published from cached schemas; the real tool is built on its first call."""

    _spec: ToolSpec | None = PrivateAttr(default=None)
    _loaded: Tool | None = PrivateAttr(default=None)

    @classmethod
    def cached(cls, spec: ToolSpec, entry: dict[str, Any]) -> LazyTool:
        tool = cls(
            fn=_not_loaded,
            name=spec.name.value,
            title=spec.title,
            description=entry["description"],
            parameters=entry["input_schema"],
            fn_metadata=FuncMetadata(arg_model=_UnusedArguments, output_schema=entry["output_schema"]),
            is_async=True,
            annotations=spec.annotations,
            meta=ui_meta(spec.name.value),
        )
        tool._spec = spec
        return tool

    def load(self) -> Tool:
        """The real tool (imports its module the first time)."""
        if self._loaded is None:
            from .tool_server import tool_from_spec

            assert self._spec is not None
            self._loaded = tool_from_spec(self._spec)
        return self._loaded

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.load().run(arguments, context, convert_result=convert_result)


async def _not_loaded(**_: Any) -> Any:  # pragma: no cover - LazyTool.run never calls it
    raise RuntimeError("tool not loaded")


def _entry(tool: Tool) -> dict[str, Any]:
    return {"description": tool.description, "input_schema": tool.parameters, "output_schema": tool.output_schema}


def published_tools(specs: Iterable[ToolSpec]) -> list[Tool]:
    """Tools for ``specs`` in order: from the cache when it has them, else built (and then cached)."""
    from .tool_server import tool_from_spec

    specs = list(specs)
    path = _cache_file(fingerprint())
    entries = _read(path)
    tools: list[Tool] = []
    built = False
    for spec in specs:
        entry = entries.get(spec.name.value)
        if entry is not None:
            tools.append(LazyTool.cached(spec, entry))
            continue
        tool = tool_from_spec(spec)
        entries[spec.name.value] = _entry(tool)
        tools.append(tool)
        built = True
    if built:
        _write(path, entries)
    return tools
