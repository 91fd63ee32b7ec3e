"""The tool table: every tool with its toolset, title and behaviour hints, in listing order.

Hints are set explicitly per tool (see :mod:`nexla_mcp.registry` for the defaults' rationale);
the table is validated when this module is imported.
"""

from __future__ import annotations

from .registry import ToolName as N
from .registry import Toolset as S
from .registry import ToolSpec, mutating, read_only, validate_registry
from .tools import access, batch, connectors, credentials, deploy, discover, flows, logs, monitor, projects, runs, transforms

ALL_TOOLS: list[ToolSpec] = [
    read_only(N.QUICKSTART, S.DISCOVER, "Check the connection and orient", discover.quickstart),
    read_only(N.LIST_RESOURCES, S.DISCOVER, "List resources", discover.list_resources),
    read_only(N.GET_RESOURCE, S.DISCOVER, "Get one resource", discover.get_resource),
    read_only(N.GET_FLOW, S.FLOWS, "Get a flow's tree summary", flows.get_flow),
    mutating(N.ACTIVATE_FLOW, S.FLOWS, "Activate a flow", flows.activate_flow, destructive=False, idempotent=True),
    mutating(N.PAUSE_FLOW, S.FLOWS, "Pause a flow", flows.pause_flow, destructive=False, idempotent=True),
    mutating(N.RUN_FLOW, S.FLOWS, "Run a flow now", runs.run_flow, destructive=False),
    mutating(N.COPY_FLOW, S.FLOWS, "Copy a flow", flows.copy_flow, destructive=False, idempotent=False),
    mutating(N.DELETE_RESOURCE, S.FLOWS, "Delete a flow or resource", flows.delete_resource, idempotent=True),
    mutating(N.MANAGE_PROJECT, S.FLOWS, "Manage a project's flows", projects.manage_project, destructive=False),
    mutating(N.COPY_FLOW_TO_PROJECT, S.FLOWS, "Copy a flow into a project", projects.copy_flow_to_project,
             destructive=False),
    read_only(N.DESCRIBE_CONNECTOR, S.DEPLOY, "Describe a connector", connectors.describe_connector, open_world=False),
    read_only(N.PREVIEW_SOURCE, S.DEPLOY, "Preview files and records", connectors.preview_source),
    read_only(N.VALIDATE_DEPLOYMENT, S.DEPLOY, "Validate a flow spec", deploy.validate_deployment),
    read_only(N.PLAN_DEPLOYMENT, S.DEPLOY, "Plan a deployment (dry run)", deploy.plan_deployment),
    mutating(N.APPLY_DEPLOYMENT, S.DEPLOY, "Apply a deployment", deploy.apply_deployment, idempotent=True),
    mutating(N.DESTROY_DEPLOYMENT, S.DEPLOY, "Destroy a deployment", deploy.destroy_deployment, idempotent=True),
    read_only(N.CHECK_HEALTH, S.MONITOR, "Check flow health", monitor.check_health),
    read_only(N.GET_DAILY_METRICS, S.MONITOR, "Daily metrics", monitor.get_daily_metrics),
    read_only(N.GET_RUN_SUMMARIES, S.MONITOR, "Recent runs", monitor.get_run_summaries),
    read_only(N.GET_LOGS, S.LOGS, "Read run logs", logs.get_logs),
    read_only(N.TRIAGE_FLOW, S.LOGS, "Triage a failed run", logs.triage_flow),
    read_only(N.LIST_ACCESS, S.ACCESS, "List who has access", access.list_access),
    mutating(N.GRANT_ACCESS, S.ACCESS, "Grant access", access.grant_access, destructive=False, idempotent=True),
    mutating(N.REVOKE_ACCESS, S.ACCESS, "Revoke access", access.revoke_access, idempotent=True),
    read_only(N.PROBE_CREDENTIAL, S.CREDENTIALS, "Probe a credential", credentials.probe_credential),
    mutating(N.ROTATE_CREDENTIAL, S.CREDENTIALS, "Rotate a credential", credentials.rotate_credential),
    mutating(N.RUN_BATCH, S.BATCH, "Batch operation", batch.run_batch),
    read_only(N.VALIDATE_TRANSFORM, S.TRANSFORMS, "Validate a transform", transforms.validate_transform),
]

validate_registry(ALL_TOOLS)
