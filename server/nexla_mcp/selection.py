"""Which tools a server instance exposes: toolsets, allow and deny lists, and read-only mode.

Rules, in order:
1. Start from the tools of the chosen toolsets (``--toolsets`` / ``NEXLA_MCP_TOOLSETS``; ``all`` or
   nothing given = every toolset, unless ``--tools`` is given, which then starts from nothing).
2. Add every tool named in the allow list (``--tools`` / ``NEXLA_MCP_TOOLS``).
3. Remove every tool in the deny list (``--exclude-tools`` / ``NEXLA_MCP_EXCLUDE_TOOLS``).
4. Read-only mode (``--read-only`` / ``NEXLA_READ_ONLY``) removes every mutating tool, whatever
   the lists say.
An unknown toolset or tool name, or a selection that leaves nothing, is a :class:`SelectionError`:
the server refuses to start rather than guess (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .registry import ToolName, Toolset, ToolSpec

ALL = "all"


class SelectionError(ValueError):
    """The tool selection names something unknown or leaves no tool; start-up stops."""


def split_names(raw: str | Sequence[str] | None) -> list[str]:
    """``"a, b"`` or ``["a,b", "c"]`` -> ``["a", "b", "c"]`` (blank entries dropped)."""
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _parse_toolsets(names: Iterable[str]) -> set[Toolset]:
    chosen: set[Toolset] = set()
    valid = ", ".join([ALL, *(t.value for t in Toolset)])
    for name in names:
        if name.lower() == ALL:
            chosen.update(Toolset)
            continue
        try:
            chosen.add(Toolset(name.lower()))
        except ValueError:
            raise SelectionError(f"unknown toolset {name!r}; valid toolsets: {valid}") from None
    return chosen


def _parse_tools(names: Iterable[str], flag: str) -> set[ToolName]:
    chosen: set[ToolName] = set()
    for name in names:
        try:
            chosen.add(ToolName(name))
        except ValueError:
            valid = ", ".join(t.value for t in ToolName)
            raise SelectionError(f"unknown tool {name!r} in {flag}; valid tools: {valid}") from None
    return chosen


def select_tools(
    specs: Sequence[ToolSpec],
    *,
    toolsets: Sequence[str] = (),
    tools: Sequence[str] = (),
    exclude_tools: Sequence[str] = (),
    read_only: bool = False,
) -> list[ToolSpec]:
    """The tools to expose, in registry order; raises :class:`SelectionError` (see module doc)."""
    sets = _parse_toolsets(toolsets)
    allow = _parse_tools(tools, "--tools")
    deny = _parse_tools(exclude_tools, "--exclude-tools")
    if not toolsets and not tools:
        sets = set(Toolset)
    chosen = [
        spec
        for spec in specs
        if (spec.toolset in sets or spec.name in allow)
        and spec.name not in deny
        and not (read_only and spec.mutating)
    ]
    if not chosen:
        raise SelectionError(
            "the tool selection leaves no tools to expose; check --toolsets, --tools, --exclude-tools "
            "and --read-only"
        )
    return chosen
