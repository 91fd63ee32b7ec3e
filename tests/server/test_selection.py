"""Tool selection: toolsets, allow/deny lists, read-only wins, unknown names fail closed."""

from __future__ import annotations

import pytest

from nexla_mcp.catalog import ALL_TOOLS
from nexla_mcp.registry import ToolName, Toolset
from nexla_mcp.selection import SelectionError, select_tools, split_names


def names(specs) -> set[str]:
    return {spec.name.value for spec in specs}


def test_default_exposes_every_tool() -> None:
    assert names(select_tools(ALL_TOOLS)) == {name.value for name in ToolName}


def test_every_tool_has_explicit_hints_and_a_toolset() -> None:
    for spec in ALL_TOOLS:
        hints = spec.annotations
        assert isinstance(spec.toolset, Toolset)
        assert hints.title, spec.name
        for value in (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint, hints.open_world_hint):
            assert isinstance(value, bool), spec.name


def test_toolsets_select_their_tools_only() -> None:
    chosen = select_tools(ALL_TOOLS, toolsets=["logs", "access"])
    assert {spec.toolset for spec in chosen} == {Toolset.LOGS, Toolset.ACCESS}
    assert names(select_tools(ALL_TOOLS, toolsets=["all"])) == names(ALL_TOOLS)


def test_allow_list_alone_exposes_only_named_tools() -> None:
    assert names(select_tools(ALL_TOOLS, tools=["get_flow", "get_logs"])) == {"get_flow", "get_logs"}


def test_allow_list_adds_to_toolsets_and_deny_list_removes() -> None:
    chosen = names(select_tools(ALL_TOOLS, toolsets=["logs"], tools=["get_flow"], exclude_tools=["get_logs"]))
    assert chosen == {"triage_flow", "get_flow"}


def test_read_only_wins_over_allow_list() -> None:
    chosen = select_tools(ALL_TOOLS, tools=["delete_resource", "get_flow"], read_only=True)
    assert names(chosen) == {"get_flow"}
    assert all(spec.read_only for spec in select_tools(ALL_TOOLS, read_only=True))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"toolsets": ["everything"]}, "unknown toolset 'everything'"),
        ({"tools": ["drop_database"]}, "unknown tool 'drop_database' in --tools"),
        ({"exclude_tools": ["nope"]}, "unknown tool 'nope' in --exclude-tools"),
        ({"tools": ["delete_resource"], "read_only": True}, "leaves no tools"),
    ],
)
def test_bad_selection_fails_closed(kwargs, needle) -> None:
    with pytest.raises(SelectionError, match=needle):
        select_tools(ALL_TOOLS, **kwargs)


def test_split_names_accepts_commas_and_lists() -> None:
    assert split_names(" a, b,,c ") == ["a", "b", "c"]
    assert split_names(["a,b", "c"]) == ["a", "b", "c"]
    assert split_names(None) == []
