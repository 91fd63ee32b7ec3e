"""Projects: create one, list its flows, add or remove flows.

Flows are named by flow node id (any node of the flow; the project holds the flow's root).
``PUT /projects/{id}/flows`` adds, ``DELETE`` removes, both with ``{"flows": [node ids]}``; a
DELETE without a body removes every flow, so an empty selection is refused before anything is
sent. Every change reads the project's flows back, so the result is what the API holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.errors import NexlaError
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.operations.flows import FlowSummary, get_flow, summarize_tree
from nexla_ops.resources import ResourceKind

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient

ProjectAction = Literal["create", "list_flows", "add_flows", "remove_flows"]
# The actions that change a project (the MCP tool manage_project; list_project_flows only reads).
ProjectChange = Literal["create", "add_flows", "remove_flows"]


class ProjectRequest(BaseModel):
    """One project action. ``create`` needs ``name``; the others need ``project_id``."""

    action: ProjectAction
    project_id: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, min_length=1)
    description: str | None = None
    flow_ids: list[int] = Field(default_factory=list, description="Flow node ids (any node of each flow).")


class ProjectFlow(BaseModel):
    flow_id: int
    name: str | None = None
    status: str | None = None
    source_id: int | None = None


class ProjectFlows(BaseModel):
    """A project and its flows."""

    project_id: int
    name: str | None = None
    flows: list[ProjectFlow]


class ProjectResult(ProjectFlows):
    """The project's flows after the action."""

    action: ProjectAction
    changed: list[int] = Field(default_factory=list, description="Flows added or removed.")


def _flows_of(tree: Any) -> list[ProjectFlow]:
    roots = (tree.get("flows") or []) if isinstance(tree, dict) else []
    out = []
    for root in roots:
        summary: FlowSummary = summarize_tree(tree, root.get("id"))
        out.append(ProjectFlow(flow_id=summary.flow_id, name=summary.name or _source_name(tree, summary.source_id),
                               status=summary.status, source_id=summary.source_id))
    return out


def _source_name(tree: dict[str, Any], source_id: int | None) -> str | None:
    for source in tree.get("data_sources") or []:
        if source.get("id") == source_id:
            return source.get("name")
    return None


async def project_flows(client: AsyncNexlaClient, project_id: int) -> list[ProjectFlow]:
    """The flows of a project (``GET /projects/{id}/flows``)."""
    return _flows_of(await client.get(f"/projects/{project_id}/flows"))


async def list_project_flows(client: AsyncNexlaClient, project_id: int) -> ProjectFlows:
    """The project's name and flows; reads only."""
    project = await client.get(f"/projects/{project_id}")
    return ProjectFlows(project_id=project_id, name=project.get("name"), flows=await project_flows(client, project_id))


async def _roots(client: AsyncNexlaClient, flow_ids: list[int]) -> list[int]:
    """Root node ids of the flows named by any of their node ids (each must exist)."""
    roots: list[int] = []
    for node_id in flow_ids:
        root = (await get_flow(client, ResourceKind.FLOWS, node_id)).flow_id
        if root not in roots:
            roots.append(root)
    return roots


async def manage_project(client: AsyncNexlaClient, request: ProjectRequest) -> ProjectResult:
    """Run one project action (see module doc)."""
    if request.action == "create":
        if not request.name:
            raise ValueError("name: a new project needs a name")
        roots = await _roots(client, request.flow_ids)
        body: dict[str, Any] = {"name": request.name, "description": request.description or ""}
        created = await client.post("/projects", json=body)
        project_id = int(created["id"])
        if roots:
            try:
                await client.put(f"/projects/{project_id}/flows", json={"flows": roots})
            except NexlaError as error:
                await client.delete(f"/projects/{project_id}")
                error.hint = f"Project {project_id} was created, then deleted again because adding its flows failed."
                raise
        return ProjectResult(action="create", project_id=project_id, name=created.get("name"),
                             flows=await project_flows(client, project_id), changed=roots)
    if request.project_id is None:
        raise ValueError(f"project_id: {request.action} needs the project's id")
    if request.action == "list_flows":
        listed = await list_project_flows(client, request.project_id)
        return ProjectResult(action="list_flows", **listed.model_dump())
    project = await client.get(f"/projects/{request.project_id}")
    before = await project_flows(client, request.project_id)
    if not request.flow_ids:
        raise OperationRefused(f"{request.action} needs at least one flow id.",
                               hint="Pass flow_ids (any node id of each flow); nothing was changed.")
    roots = await _roots(client, request.flow_ids)
    held = {flow.flow_id for flow in before}
    if request.action == "add_flows":
        changed = [root for root in roots if root not in held]
        if changed:
            await client.put(f"/projects/{request.project_id}/flows", json={"flows": changed})
    else:
        changed = [root for root in roots if root in held]
        if changed:
            await client.delete(f"/projects/{request.project_id}/flows", json={"flows": changed})
    after = await project_flows(client, request.project_id) if changed else before
    return ProjectResult(action=request.action, project_id=request.project_id, name=project.get("name"),
                         flows=after, changed=changed)


__all__ = [
    "ProjectAction", "ProjectChange", "ProjectFlow", "ProjectFlows", "ProjectRequest", "ProjectResult", "list_project_flows",
    "manage_project", "project_flows",
]
