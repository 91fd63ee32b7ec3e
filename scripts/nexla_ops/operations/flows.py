"""Flow control: summarise a flow tree, activate or pause it, copy it, delete it safely.

A target is any flow resource (source, nexset, destination) or a flow node id (kind ``flows``).
Whole-tree actions go through the flow's root node (``/flows/{id}/...?all=1``); single-resource
actions go to the resource itself.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from nexla_ops.domain import FlowNode, FlowTree
from nexla_ops.domain.flows import ACTIVE_STATUSES
from nexla_ops.errors import NexlaError, NotFoundError
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.operations.guidance import current_face, step
from nexla_ops.redaction import redact
from nexla_ops.resources import FLOW_RESOURCE_KINDS, ResourceKind, parse_kind



def _flow_kind(value: Any) -> ResourceKind:
    kind = parse_kind(value)
    if kind not in (*FLOW_RESOURCE_KINDS, ResourceKind.FLOWS):
        raise ValueError(f"kind: {kind.value} is not part of a flow; use data_sources, data_sets, data_sinks or flows")
    return kind


class FlowNodeSummary(BaseModel):
    """One node of a flow tree."""

    node_id: int
    kind: ResourceKind
    id: int
    name: str | None = None
    status: str | None = None
    parent_node_id: int | None = None


class FlowSummary(BaseModel):
    """A flow tree flattened: its nodes, the credentials it uses, node counts by kind."""

    flow_id: int = Field(description="Root node id.")
    source_id: int | None = None
    name: str | None = None
    status: str | None = None
    project_id: int | None = None
    nodes: list[FlowNodeSummary]
    credentials: list[dict[str, Any]] = Field(default_factory=list, description="{id, name, type} of each.")
    counts: dict[str, int]

    @property
    def active(self) -> bool:
        return any((node.status or "").upper() in ACTIVE_STATUSES for node in self.nodes)


class FlowTarget(BaseModel):
    """What to activate or pause: a resource (or flow node id with kind ``flows``)."""

    kind: ResourceKind = Field(description="data_sources, data_sets, data_sinks (aliases accepted) or flows (a node id).")
    id: int
    whole_tree: bool = Field(default=True, description="false: this resource only.")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> ResourceKind:
        return _flow_kind(value)


class FlowControlResult(BaseModel):
    """The flow after an activate or pause."""

    action: str
    target: FlowTarget
    flow: FlowSummary


class CopyOptions(BaseModel):
    """Options of POST /flows/{id}/copy."""

    reuse_data_credentials: bool = Field(default=False, description="The copy uses the same credentials (else they are copied).")
    copy_access_controls: bool = Field(default=False, description="Copy the sharing (accessors) too.")
    copy_dependent_data_flows: bool = Field(default=False, description="Also copy flows that depend on this one.")
    owner_id: int | None = Field(default=None, description="Owner of the copy (default: you).")
    org_id: int | None = Field(default=None, description="Org of the copy (default: yours).")


class CopyResult(BaseModel):
    """The original flow id and the tree of the new copy."""

    original_flow_id: int
    new_flow: FlowSummary


class DeleteRequest(BaseModel):
    """Delete a resource or its whole flow. Needs ``confirm=True`` and ``confirm_name`` equal to its name."""

    kind: ResourceKind = Field(description="data_sources, data_sets, data_sinks or flows (a node id).")
    id: int
    whole_flow: bool = Field(default=True, description="Delete the flow the resource belongs to (else only this resource).")
    confirm: bool = Field(default=False, description="Must be true: deletion cannot be undone.")
    confirm_name: str | None = Field(default=None, description="Must equal the resource's (or flow root's) name.")
    pause_first: bool = Field(default=False, description="Pause active resources first instead of refusing.")

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> ResourceKind:
        return _flow_kind(value)


class DeleteResult(BaseModel):
    """What was paused and deleted."""

    paused: bool
    deleted: list[dict[str, Any]] = Field(description="[{kind, id, name}] of every deleted resource.")


async def pause_then_delete(client: Any, path: str, *, pause: bool, whole_flow: bool = False) -> bool:
    """Delete ``path`` (``/flows/{id}`` or a resource), pausing it first when ``pause`` is set.

    The one pause-then-delete path of the product (flow delete and batch delete): real Nexla
    refuses to delete what is active (405), so it is paused first; when the delete then fails,
    what was paused only to be deleted is activated again before the error propagates, so nothing
    is left half-done. Returns whether it paused. ``whole_flow`` pauses and restores every
    resource of the flow (``all=1``).
    """
    params = {"all": 1} if whole_flow else None
    if pause:
        await client.put(f"{path}/pause", params=params)
    try:
        await client.delete(path)
    except BaseException as error:
        if pause:
            try:
                await client.put(f"{path}/activate", params=params)
            except NexlaError as restore:
                error.add_note(f"{path} was paused for the delete and could not be activated again: {restore.message}")
        raise
    return pause


def summarize_tree(body: Any, flow_id: int | None = None) -> FlowSummary:
    """Flatten a flow-tree reply into a FlowSummary (the root holding ``flow_id``, else the first)."""
    tree = FlowTree.parse(body)
    root = tree.pick(flow_id)
    if root is None:
        raise NotFoundError("the flow tree is empty", status=404, resource_type="flows", resource_id=flow_id)
    nodes: list[FlowNodeSummary] = []
    for node in _breadth_first(root):
        resource = node.resource
        if resource is None:
            continue
        element = tree.element(*resource)
        nodes.append(FlowNodeSummary(
            node_id=node.id, kind=resource[0], id=resource[1], name=node.name or (element.name if element else None),
            status=node.status or (element.status if element else None), parent_node_id=node.parent_node_id,
        ))
    counts = {kind.value: sum(1 for n in nodes if n.kind == kind) for kind in FLOW_RESOURCE_KINDS}
    credentials = [{"id": c.id, "name": c.name, "type": c.credentials_type} for c in tree.data_credentials]
    return FlowSummary(
        flow_id=root.id, source_id=root.data_source_id, name=root.name, status=root.status,
        project_id=root.project_id, nodes=nodes, credentials=redact(credentials), counts=counts,
    )


def _breadth_first(root: FlowNode) -> list[FlowNode]:
    """Nodes level by level (the order a flow reads: source, its nexsets, then what follows)."""
    order, level = [], [root]
    while level:
        order.extend(level)
        level = [child for node in level for child in node.children]
    return order


async def _tree(client: Any, kind: ResourceKind, id: int) -> dict[str, Any]:
    path = f"/flows/{id}" if kind == ResourceKind.FLOWS else f"{kind.path}/{id}/flow"
    return await client.get(path)


async def get_flow(client: Any, kind: ResourceKind | str, id: int) -> FlowSummary:
    """The flow containing a resource (or node id), summarised."""
    resolved = _flow_kind(kind)
    return summarize_tree(await _tree(client, resolved, int(id)), int(id) if resolved == ResourceKind.FLOWS else None)


async def _control(client: Any, target: FlowTarget, action: str) -> FlowControlResult:
    if target.whole_tree:
        flow = await get_flow(client, target.kind, target.id)
        await client.put(f"/flows/{flow.flow_id}/{action}", params={"all": 1})
    else:
        if target.kind == ResourceKind.FLOWS:
            raise ValueError("whole_tree: a flow node id acts on the whole flow; give a resource kind to act on one resource")
        await client.put(f"{target.kind.path}/{target.id}/{action}")
    return FlowControlResult(action=action, target=target, flow=await get_flow(client, target.kind, target.id))


async def activate(client: Any, target: FlowTarget) -> FlowControlResult:
    """Activate the whole flow (default) or one resource; returns the flow afterwards."""
    return await _control(client, target, "activate")


async def pause(client: Any, target: FlowTarget) -> FlowControlResult:
    """Pause the whole flow (default) or one resource; returns the flow afterwards."""
    return await _control(client, target, "pause")


async def copy_flow(client: Any, flow_id: int, options: CopyOptions | None = None) -> CopyResult:
    """Copy a flow (by root node id, or any node id of it) with the given options."""
    flow = await get_flow(client, ResourceKind.FLOWS, flow_id)
    body = (options or CopyOptions()).model_dump(exclude_none=True)
    tree = await client.post(f"/flows/{flow.flow_id}/copy", json=body)
    return CopyResult(original_flow_id=flow.flow_id, new_flow=summarize_tree(tree))


async def delete(client: Any, request: DeleteRequest) -> DeleteResult:
    """Delete a flow (or one resource) after the confirmation checks; pauses first only if asked.

    Refuses (OperationRefused, nothing changed) without ``confirm=True``, when ``confirm_name``
    differs from the name, or while anything in scope is active and ``pause_first`` is false.
    """
    if request.kind == ResourceKind.FLOWS and not request.whole_flow:
        raise ValueError("whole_flow: a flow node id deletes the whole flow; give a resource kind to delete one resource")
    if request.whole_flow:
        flow = await get_flow(client, request.kind, request.id)
        name, scope = flow.name, [(n.kind, n.id, n.name, n.status) for n in flow.nodes]
        if name is None and flow.source_id is not None:
            name = (await client.get(f"/data_sources/{flow.source_id}")).get("name")
    else:
        record = await client.get(f"{request.kind.path}/{request.id}")
        name, scope = record.get("name"), [(request.kind, request.id, record.get("name"), record.get("status"))]
    what = f"flow {flow.flow_id}" if request.whole_flow else f"{request.kind.label} {request.id}"
    if not request.confirm:
        raise OperationRefused(
            f"deleting {what} ({name!r}) needs confirmation.",
            hint=f"Pass confirm=True and confirm_name={name!r} (script: --yes --confirm-name {name!r}).",
        )
    if request.confirm_name != name:
        given = "no confirm_name was given" if request.confirm_name is None else f"confirm_name {request.confirm_name!r} does not match"
        raise OperationRefused(
            f"{given}: deleting {what} needs its exact name ({name!r}).",
            hint=f"Pass confirm_name={name!r} (script: --confirm-name {name!r}), to make sure you delete the right thing.",
        )
    active = [(kind, id) for kind, id, _, status in scope if (status or "").upper() in ACTIVE_STATUSES]
    if active and not request.pause_first:
        listed = ", ".join(f"{kind.label} {id}" for kind, id in active)
        pause = step("pause_flow", {"kind": "flows", "id": flow.flow_id},
                     f"python scripts/flow_control.py pause --kind flows --id {flow.flow_id}")
        again = "pause_first=true" if current_face() == "mcp" else "--pause-first"
        raise OperationRefused(f"{what} is active ({listed}).",
                               hint=f"Pause it first ({pause}), or delete again with {again} to pause and delete in one step.")
    path = f"/flows/{flow.flow_id}" if request.whole_flow else f"{request.kind.path}/{request.id}"
    paused = await pause_then_delete(client, path, pause=bool(active), whole_flow=request.whole_flow)
    return DeleteResult(paused=paused, deleted=[{"kind": kind.value, "id": id, "name": nm} for kind, id, nm, _ in scope])


__all__ = [
    "CopyOptions",
    "CopyResult",
    "DeleteRequest",
    "DeleteResult",
    "FlowControlResult",
    "FlowNodeSummary",
    "FlowSummary",
    "FlowTarget",
    "activate",
    "copy_flow",
    "delete",
    "get_flow",
    "pause",
    "pause_then_delete",
    "summarize_tree",
]
