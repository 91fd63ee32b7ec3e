"""Projects and safe copies: list a project's flows (read-only), create one, add/remove flows, copy a flow into one."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BeforeValidator, Field

from nexla_ops.operations import projects, promotion
from nexla_ops.operations.projects import ProjectChange, ProjectFlows, ProjectRequest, ProjectResult
from nexla_ops.operations.promotion import DestinationOverride, PromotionRequest, PromotionResult

from ..registry import ToolName
from ..runtime import invoke
from .params import _split_csv

async def list_project_flows(
    ctx: Context, project_id: Annotated[int, Field(ge=1, description="The project.")]
) -> Annotated[CallToolResult, ProjectFlows]:
    """A project's name and flows (id, name, status, source)."""
    return await invoke(
        ctx, ToolName.LIST_PROJECT_FLOWS, lambda client, _: projects.list_project_flows(client, project_id)
    )


async def manage_project(
    ctx: Context,
    action: Annotated[ProjectChange, Field(description="What to do.")],
    project_id: Annotated[int | None, Field(ge=1, description="The project (not for create).")] = None,
    name: Annotated[str, Field(description="create: the project's name.")] = "",
    description: Annotated[str, Field(description="create: optional description.")] = "",
    flow_ids: Annotated[
        list[int], BeforeValidator(_split_csv), Field(description="Flow node ids to add/remove (create: optional).")
    ] = [],  # noqa: B006 - pydantic copies defaults
) -> Annotated[CallToolResult, ProjectResult]:
    """Create a project or add/remove flows; returns the project's flows after it (list_project_flows reads them)."""
    request = ProjectRequest(action=action, project_id=project_id, name=name or None, description=description or None,
                             flow_ids=flow_ids)
    return await invoke(ctx, ToolName.MANAGE_PROJECT, lambda client, _: projects.manage_project(client, request))


async def copy_flow_to_project(
    ctx: Context,
    flow_id: Annotated[int, Field(ge=1, description="Any node id of the flow to copy.")],
    project_id: Annotated[int | None, Field(ge=1, description="Project the copy goes into.")] = None,
    credential_map: Annotated[
        dict[int, int], Field(description="Original -> replacement credential id.")
    ] = {},  # noqa: B006 - pydantic copies defaults
    destination_overrides: Annotated[
        dict[int, DestinationOverride],
        Field(description="Original destination id -> {config: {path: ...}, credential_id}."),
    ] = {},  # noqa: B006 - pydantic copies defaults
    activate: Annotated[bool, Field(description="Activate the copy.")] = False,
    allow_same_destination: Annotated[
        bool, Field(description="Activate even if writing where the original writes.")
    ] = False,
) -> Annotated[CallToolResult, PromotionResult]:
    """Copy (promote) a flow into a project, swapping credentials and overriding destinations; refuses to
    activate a copy writing where the original writes."""
    request = PromotionRequest(
        flow_id=flow_id, project_id=project_id, credential_map=credential_map,
        destination_overrides=destination_overrides, activate=activate, allow_same_destination=allow_same_destination,
    )
    return await invoke(
        ctx, ToolName.COPY_FLOW_TO_PROJECT,
        lambda client, progress: promotion.copy_flow_to_project(client, request, progress),
    )
