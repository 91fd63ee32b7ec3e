"""Flows toolset: inspect a flow's tree, activate, pause, copy, delete."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import flows
from nexla_ops.operations.flows import (
    CopyOptions,
    CopyResult,
    DeleteRequest,
    DeleteResult,
    FlowControlResult,
    FlowSummary,
    FlowTarget,
)

from ..confirm import DeleteApproval, decide
from ..registry import ToolName
from ..runtime import invoke
from .params import Confirm, FlowKind, ResourceId

WholeTree = Annotated[
    bool, Field(description="Act on the whole flow (false: this resource only).")
]


async def get_flow(ctx: Context, kind: FlowKind, id: ResourceId) -> Annotated[CallToolResult, FlowSummary]:
    """The flow a resource belongs to: its nodes (kind, id, name, status, parent), credentials and counts.
    Use before activating, pausing, copying or deleting."""
    return await invoke(ctx, ToolName.GET_FLOW, lambda client, _: flows.get_flow(client, kind, id))


async def activate_flow(
    ctx: Context, kind: FlowKind, id: ResourceId, whole_tree: WholeTree = True
) -> Annotated[CallToolResult, FlowControlResult]:
    """Activate a flow (or one resource of it) so it runs on its schedule; returns the flow after the change."""
    return await invoke(
        ctx,
        ToolName.ACTIVATE_FLOW,
        lambda client, _: flows.activate(client, FlowTarget(kind=kind, id=id, whole_tree=whole_tree)),
    )


async def pause_flow(
    ctx: Context, kind: FlowKind, id: ResourceId, whole_tree: WholeTree = True
) -> Annotated[CallToolResult, FlowControlResult]:
    """Pause a flow (or one resource of it); nothing runs until it is activated again."""
    return await invoke(
        ctx,
        ToolName.PAUSE_FLOW,
        lambda client, _: flows.pause(client, FlowTarget(kind=kind, id=id, whole_tree=whole_tree)),
    )


async def copy_flow(
    ctx: Context,
    flow_id: Annotated[int, Field(ge=1, description="Root node id (or any node id) of the flow to copy.")],
    reuse_data_credentials: Annotated[
        bool, Field(description="The copy uses the same credentials instead of copies of them.")
    ] = False,
    copy_access_controls: Annotated[bool, Field(description="Copy the sharing (accessors) too.")] = False,
    copy_dependent_data_flows: Annotated[bool, Field(description="Also copy flows that depend on this one.")] = False,
) -> Annotated[CallToolResult, CopyResult]:
    """Copy a flow; the copy starts paused. Returns the new flow's summary."""
    return await invoke(
        ctx,
        ToolName.COPY_FLOW,
        lambda client, _: flows.copy_flow(
            client,
            flow_id,
            CopyOptions(
                reuse_data_credentials=reuse_data_credentials,
                copy_access_controls=copy_access_controls,
                copy_dependent_data_flows=copy_dependent_data_flows,
            ),
        ),
    )


async def delete_resource(
    ctx: Context,
    kind: FlowKind,
    id: ResourceId,
    approval: DeleteApproval,
    whole_flow: Annotated[
        bool, Field(description="Delete the resource's whole flow (false: only this resource).")
    ] = True,
    confirm: Confirm = False,
    confirm_name: Annotated[
        str | None, Field(description="Exact name of what is deleted (resource or flow root).")
    ] = None,
    pause_first: Annotated[bool, Field(description="Pause it first if active, instead of refusing.")] = False,
) -> Annotated[CallToolResult, DeleteResult]:
    """Delete a flow or one resource; cannot be undone. The user types the exact name when the client
    can ask; else pass confirm=true and confirm_name (from get_flow). Refuses while active unless
    pause_first=true."""

    async def run(client, _):
        decision = decide(approval, confirm=confirm, confirm_name=confirm_name)
        request = DeleteRequest(
            kind=kind, id=id, whole_flow=whole_flow, confirm=decision.confirm,
            confirm_name=decision.confirm_name, pause_first=pause_first,
        )
        return await flows.delete(client, request)

    return await invoke(ctx, ToolName.DELETE_RESOURCE, run)
