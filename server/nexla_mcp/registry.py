"""Every tool the server can expose: its name, toolset, title and behaviour hints, in one table.

The table is the single source of truth for selection (toolsets, allow/deny lists, read-only mode)
and for the annotations clients use to decide when to ask a human. Hints are explicit on every
tool; :func:`mutating` starts from the cautious side (destructive, not idempotent, open world) so
a tool is only marked harmless on purpose. ``validate_registry`` runs at import time: a tool
without a toolset, a duplicate, or an inconsistent hint stops the server from loading.

A tool's function is named by its module under ``nexla_mcp.tools`` (the function has the tool's
name) and imported on first use, so listing tools never loads the operations behind them
(see :mod:`nexla_mcp.tool_cache`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mcp.types import ToolAnnotations


class Toolset(StrEnum):
    """Groups of tools chosen with ``--toolsets`` / ``NEXLA_MCP_TOOLSETS``."""

    DISCOVER = "discover"
    FLOWS = "flows"
    DEPLOY = "deploy"
    MONITOR = "monitor"
    LOGS = "logs"
    ACCESS = "access"
    CREDENTIALS = "credentials"
    BATCH = "batch"
    TRANSFORMS = "transforms"


class ToolName(StrEnum):
    """Every tool name the server knows; unknown names in a selection stop start-up."""

    QUICKSTART = "quickstart"
    LIST_RESOURCES = "list_resources"
    GET_RESOURCE = "get_resource"
    GET_FLOW = "get_flow"
    ACTIVATE_FLOW = "activate_flow"
    PAUSE_FLOW = "pause_flow"
    COPY_FLOW = "copy_flow"
    DELETE_RESOURCE = "delete_resource"
    VALIDATE_DEPLOYMENT = "validate_deployment"
    PLAN_DEPLOYMENT = "plan_deployment"
    APPLY_DEPLOYMENT = "apply_deployment"
    DESTROY_DEPLOYMENT = "destroy_deployment"
    CHECK_HEALTH = "check_health"
    GET_DAILY_METRICS = "get_daily_metrics"
    GET_RUN_SUMMARIES = "get_run_summaries"
    GET_LOGS = "get_logs"
    TRIAGE_FLOW = "triage_flow"
    LIST_ACCESS = "list_access"
    GRANT_ACCESS = "grant_access"
    REVOKE_ACCESS = "revoke_access"
    PROBE_CREDENTIAL = "probe_credential"
    ROTATE_CREDENTIAL = "rotate_credential"
    RUN_BATCH = "run_batch"
    VALIDATE_TRANSFORM = "validate_transform"
    DESCRIBE_CONNECTOR = "describe_connector"
    PREVIEW_SOURCE = "preview_source"
    LIST_PROJECT_FLOWS = "list_project_flows"
    MANAGE_PROJECT = "manage_project"
    COPY_FLOW_TO_PROJECT = "copy_flow_to_project"
    RUN_FLOW = "run_flow"


@dataclass(frozen=True)
class ToolSpec:
    """One tool: where its async function lives and everything a client is told about it.

    ``source`` is the module under ``nexla_mcp.tools`` holding a function named like the tool
    (imported when first needed), or the function itself.
    """

    name: ToolName
    toolset: Toolset
    title: str
    source: str | Callable[..., Any]
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool

    @property
    def module(self) -> str:
        """The module that defines the tool's function (what its cached schemas depend on)."""
        if callable(self.source):
            return self.source.__module__
        return f"nexla_mcp.tools.{self.source}"

    @property
    def fn(self) -> Callable[..., Any]:
        """The tool's function, imported on first use."""
        if callable(self.source):
            return self.source
        fn = getattr(importlib.import_module(self.module), self.name.value, None)
        if not callable(fn):
            raise RuntimeError(f"tool {self.name}: {self.module} has no function {self.name.value}")
        return fn

    @property
    def mutating(self) -> bool:
        """True when the tool can change something in Nexla (hidden in read-only mode)."""
        return not self.read_only

    @property
    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            title=self.title,
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world,
        )


def read_only(
    name: ToolName, toolset: Toolset, title: str, source: str | Callable[..., Any], *, open_world: bool = True
) -> ToolSpec:
    """A tool that only reads: never destructive, always safe to repeat."""
    return ToolSpec(
        name, toolset, title, source, read_only=True, destructive=False, idempotent=True, open_world=open_world
    )


def mutating(
    name: ToolName,
    toolset: Toolset,
    title: str,
    source: str | Callable[..., Any],
    *,
    destructive: bool = True,
    idempotent: bool = False,
    open_world: bool = True,
) -> ToolSpec:
    """A tool that changes Nexla; defaults assume the worst until stated otherwise."""
    return ToolSpec(
        name, toolset, title, source, read_only=False, destructive=destructive, idempotent=idempotent, open_world=open_world
    )


def validate_registry(specs: list[ToolSpec]) -> None:
    """Raise ``RuntimeError`` if the table is inconsistent (checked when the module loads)."""
    seen: set[ToolName] = set()
    for spec in specs:
        if spec.name in seen:
            raise RuntimeError(f"tool {spec.name} is registered twice")
        seen.add(spec.name)
        if not isinstance(spec.toolset, Toolset):
            raise RuntimeError(f"tool {spec.name} has no toolset")
        if not spec.title:
            raise RuntimeError(f"tool {spec.name} has no title")
        if spec.read_only and spec.destructive:
            raise RuntimeError(f"tool {spec.name} cannot be both read-only and destructive")
        if callable(spec.source) and spec.source.__name__ != spec.name.value:
            raise RuntimeError(f"tool {spec.name} is bound to function {spec.source.__name__}")
    missing = set(ToolName) - seen
    if missing:
        raise RuntimeError(f"tools without a registration: {', '.join(sorted(missing))}")
