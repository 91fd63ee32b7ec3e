"""Destroy a deployment: pause its flow, then delete everything it created, children first.

Only resources carrying the deployment's tag are deleted (those the spec no longer names too).
A credential given by id is never touched, nor is a project that existed before (only the
flow's link to it goes with the source). Each delete is retried on temporary failures.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from nexla_ops.errors import NexlaError
from nexla_ops.operations.deploy.apply import ResourceRef, UndoFailure
from nexla_ops.operations.deploy.recovery import delete_resource, retrying
from nexla_ops.operations.deploy.spec import FlowSpec
from nexla_ops.operations.deploy.state import discover, has_tag
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress


class DestroyResult(BaseModel):
    """What was paused and deleted; ``not_deleted`` lists failures by id (exit code 1)."""

    name: str
    paused_flow_id: int | None = None
    deleted: list[ResourceRef] = Field(default_factory=list)
    not_deleted: list[UndoFailure] = Field(default_factory=list)
    found: bool = Field(description="False when nothing of this deployment existed.")

    @property
    def exit_code(self) -> int:
        return 1 if self.not_deleted else 0


async def destroy_deployment(
    client: Any, spec: FlowSpec, *, confirm: bool, progress: ProgressCallback = no_progress
) -> DestroyResult:
    """Delete the resources of ``spec``'s deployment (found by name and tag). Needs ``confirm=True``."""
    if not confirm:
        raise OperationRefused(
            f"destroying deployment {spec.name!r} deletes its flow and data resources; it needs confirmation.",
            hint="Pass confirm=True (deploy_flow.py destroy --yes); run plan first to see what exists.",
        )
    await progress(ProgressEvent(step="destroy", message=f"finding the resources of {spec.name!r}"))
    existing = await discover(client, spec)
    order: list[ResourceRef] = []
    for sink in [*existing.sinks.values(), *existing.stale_sinks]:
        order.append(ResourceRef(kind="data_sinks", id=int(sink["id"]), name=sink.get("name")))
    for nexset in existing.stale_nexsets:
        order.append(ResourceRef(kind="data_sets", id=int(nexset["id"]), name=nexset.get("name")))
    for nexset in reversed([existing.nexsets[n.name] for n in spec.nexsets if n.name in existing.nexsets]):
        order.append(ResourceRef(kind="data_sets", id=int(nexset["id"]), name=nexset.get("name")))
    if existing.source is not None:
        if existing.detected is not None:
            order.append(ResourceRef(kind="data_sets", id=int(existing.detected["id"]), name=existing.detected.get("name")))
        order.append(ResourceRef(kind="data_sources", id=int(existing.source["id"]), name=existing.source.get("name")))
    for record in existing.credentials.values():
        order.append(ResourceRef(kind="data_credentials", id=int(record["id"]), name=record.get("name")))
    if existing.project is not None and has_tag(existing.project, spec.tag):
        order.append(ResourceRef(kind="projects", id=int(existing.project["id"]), name=existing.project.get("name")))
    result = DestroyResult(name=spec.name, found=bool(order))
    if existing.flow_id is not None and existing.active:
        await progress(ProgressEvent(step="destroy", message=f"pausing flow {existing.flow_id}"))
        flow_id = existing.flow_id
        await retrying(client, lambda: client.put(f"/flows/{flow_id}/pause", params={"all": 1}))
        result.paused_flow_id = existing.flow_id
    for index, ref in enumerate(order, start=1):
        if ref.kind == "projects" and await _project_has_other_flows(client, ref.id):
            continue
        await progress(ProgressEvent(step="destroy", message=f"deleting {ref.kind} {ref.id}", current=index, total=len(order)))
        try:
            await delete_resource(client, ref.kind, ref.id)
            result.deleted.append(ref)
        except NexlaError as error:
            result.not_deleted.append(UndoFailure(kind=ref.kind, id=ref.id, action="delete", error=error.message))
    return result


async def _project_has_other_flows(client: Any, project_id: int) -> bool:
    tree = await client.get(f"/projects/{project_id}/flows") or {}
    return bool(tree.get("flows"))


__all__ = ["DestroyResult", "destroy_deployment"]
