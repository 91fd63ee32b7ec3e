"""The tool table: every tool with its toolset, title and behaviour hints, in listing order.

Hints are set explicitly per tool (see :mod:`nexla_mcp.registry` for the defaults' rationale);
the table is validated when this module is imported. Each tool names its module under
``nexla_mcp.tools``; the module is imported when the tool is first called.
"""

from __future__ import annotations

from .registry import ToolName as N
from .registry import Toolset as S
from .registry import ToolSpec, mutating, read_only, validate_registry

ALL_TOOLS: list[ToolSpec] = [
    read_only(N.QUICKSTART, S.DISCOVER, "Check the connection and orient", "discover"),
    read_only(N.LIST_RESOURCES, S.DISCOVER, "List resources", "discover"),
    read_only(N.GET_RESOURCE, S.DISCOVER, "Get one resource", "discover"),
    read_only(N.GET_FLOW, S.FLOWS, "Get a flow's tree summary", "flows"),
    mutating(N.ACTIVATE_FLOW, S.FLOWS, "Activate a flow", "flows", destructive=False, idempotent=True),
    mutating(N.PAUSE_FLOW, S.FLOWS, "Pause a flow", "flows", destructive=False, idempotent=True),
    mutating(N.RUN_FLOW, S.FLOWS, "Run a flow now", "runs", destructive=False),
    mutating(N.COPY_FLOW, S.FLOWS, "Copy a flow", "flows", destructive=False, idempotent=False),
    mutating(N.DELETE_RESOURCE, S.FLOWS, "Delete a flow or resource", "flows", idempotent=True),
    read_only(N.LIST_PROJECT_FLOWS, S.FLOWS, "List a project's flows", "projects"),
    mutating(N.MANAGE_PROJECT, S.FLOWS, "Manage a project's flows", "projects", destructive=False),
    mutating(N.COPY_FLOW_TO_PROJECT, S.FLOWS, "Copy a flow into a project", "projects", destructive=False),
    read_only(N.DESCRIBE_CONNECTOR, S.DEPLOY, "Describe a connector", "connectors", open_world=False),
    read_only(N.PREVIEW_SOURCE, S.DEPLOY, "Preview files and records", "connectors"),
    read_only(N.VALIDATE_DEPLOYMENT, S.DEPLOY, "Validate a flow spec", "deploy"),
    read_only(N.PLAN_DEPLOYMENT, S.DEPLOY, "Plan a deployment (dry run)", "deploy"),
    mutating(N.APPLY_DEPLOYMENT, S.DEPLOY, "Apply a deployment", "deploy", idempotent=True),
    mutating(N.DESTROY_DEPLOYMENT, S.DEPLOY, "Destroy a deployment", "deploy", idempotent=True),
    read_only(N.CHECK_HEALTH, S.MONITOR, "Check flow health", "monitor"),
    read_only(N.GET_DAILY_METRICS, S.MONITOR, "Daily metrics", "monitor"),
    read_only(N.GET_RUN_SUMMARIES, S.MONITOR, "Recent runs", "monitor"),
    read_only(N.GET_LOGS, S.LOGS, "Read run logs", "logs"),
    read_only(N.TRIAGE_FLOW, S.LOGS, "Triage a failed run", "logs"),
    read_only(N.LIST_ACCESS, S.ACCESS, "List who has access", "access"),
    mutating(N.GRANT_ACCESS, S.ACCESS, "Grant access", "access", destructive=False, idempotent=True),
    mutating(N.REVOKE_ACCESS, S.ACCESS, "Revoke access", "access", idempotent=True),
    read_only(N.PROBE_CREDENTIAL, S.CREDENTIALS, "Probe a credential", "credentials"),
    mutating(N.ROTATE_CREDENTIAL, S.CREDENTIALS, "Rotate a credential", "credentials"),
    mutating(N.RUN_BATCH, S.BATCH, "Batch operation", "batch"),
    read_only(N.VALIDATE_TRANSFORM, S.TRANSFORMS, "Validate a transform", "transforms"),
]

validate_registry(ALL_TOOLS)
