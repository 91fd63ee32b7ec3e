"""Plan a deployment: compare the spec with what exists and list create / update / unchanged.

Planning sends only GET requests. Fields are compared only where the spec says something:
config keys the spec does not mention (server defaults) are not drift. Credential secrets are
never read back, so an existing credential of this deployment is always ``unchanged``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.operations.deploy.spec import CredentialDef, CredentialRef, DestinationSpec, FlowSpec, NexsetSpec
from nexla_ops.operations.deploy.state import Existing, credential_keys, discover, name_conflicts

Action = Literal["create", "update", "unchanged", "use", "conflict"]


class FieldChange(BaseModel):
    """One field that differs: current value and the value the spec wants."""

    old: Any = None
    new: Any = None


class PlannedChange(BaseModel):
    """What apply will do to one resource."""

    kind: str = Field(description="data_credentials, projects, data_sources, data_sets or data_sinks.")
    name: str
    path: str = Field(description="Where the resource is in the spec, e.g. nexsets[0].")
    action: Action = Field(description="create, update, unchanged, use (an existing credential by id) or conflict.")
    id: int | None = Field(default=None, description="Id of the existing resource, when there is one.")
    changes: dict[str, FieldChange] = Field(default_factory=dict)


class DeployPlan(BaseModel):
    """The diff between the spec and the server. ``exit_code`` 5 when there are conflicts."""

    name: str
    tag: str
    flow_id: int | None = None
    changes: list[PlannedChange]
    activate: Literal["activate", "already_active", "leave"] = "leave"

    @property
    def conflicts(self) -> list[PlannedChange]:
        return [c for c in self.changes if c.action == "conflict"]

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.action] = out.get(change.action, 0) + 1
        return out

    @property
    def unchanged(self) -> bool:
        """True when apply would change nothing."""
        return all(c.action in ("unchanged", "use") for c in self.changes) and self.activate != "activate"

    @property
    def exit_code(self) -> int:
        return 5 if self.conflicts else 0


def _subset_diff(current: dict[str, Any] | None, wanted: dict[str, Any], prefix: str) -> dict[str, FieldChange]:
    current = current or {}
    return {
        f"{prefix}.{key}": FieldChange(old=current.get(key), new=value)
        for key, value in wanted.items()
        if current.get(key) != value
    }


def _field_diff(record: dict[str, Any], wanted: dict[str, Any]) -> dict[str, FieldChange]:
    return {key: FieldChange(old=record.get(key), new=value) for key, value in wanted.items() if record.get(key) != value}


def source_fields(spec: FlowSpec, credential_id: int | None) -> dict[str, Any]:
    """Top-level fields of the source the spec wants (config compared key by key)."""
    wanted: dict[str, Any] = {"source_type": spec.source.type}
    if credential_id is not None:
        wanted["data_credentials_id"] = credential_id
    if spec.source.description is not None:
        wanted["description"] = spec.source.description
    return wanted


def nexset_fields(nexset: NexsetSpec, parent_id: int | None) -> dict[str, Any]:
    wanted: dict[str, Any] = {}
    if parent_id is not None:
        wanted["parent_data_set_id"] = parent_id
    if nexset.transform is not None:
        wanted["transform"] = nexset.transform
    else:
        wanted["transform_id"] = nexset.transform_id
    if nexset.description is not None:
        wanted["description"] = nexset.description
    return wanted


def sink_fields(sink: DestinationSpec, data_set_id: int | None, credential_id: int | None) -> dict[str, Any]:
    wanted: dict[str, Any] = {"sink_type": sink.type}
    if data_set_id is not None:
        wanted["data_set_id"] = data_set_id
    if credential_id is not None:
        wanted["data_credentials_id"] = credential_id
    if sink.description is not None:
        wanted["description"] = sink.description
    return wanted


def current_parent(nexset: dict[str, Any]) -> int | None:
    if nexset.get("parent_data_set_id"):
        return int(nexset["parent_data_set_id"])
    parents = nexset.get("parent_data_sets") or []
    return int(parents[0]["id"]) if parents and parents[0].get("id") else None


def _comparable_nexset(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "parent_data_set_id": current_parent(record)}


def credential_id_for(path_credential: CredentialRef | CredentialDef | None, existing: Existing) -> int | None:
    """The id a credential spec resolves to right now (None when it is still to be created)."""
    if path_credential is None:
        return None
    if isinstance(path_credential, CredentialRef):
        return path_credential.id
    record = existing.credentials.get(path_credential.name)
    return int(record["id"]) if record else None


def sink_parent_name(spec: FlowSpec, sink: DestinationSpec) -> str | None:
    """Name of the nexset feeding a destination (None = the source's detected nexset)."""
    if sink.from_ is not None:
        return sink.from_
    return spec.nexsets[-1].name if spec.nexsets else None


def build_plan(spec: FlowSpec, existing: Existing, conflicts: list[dict[str, Any]]) -> DeployPlan:
    """The plan for ``spec`` given what exists (pure: no request)."""
    changes: list[PlannedChange] = []
    conflict_keys = {(c["kind"], c["name"]) for c in conflicts}
    if spec.project:
        project = existing.project
        changes.append(PlannedChange(
            kind="projects", name=spec.project, path="project", action="unchanged" if project else "create",
            id=project.get("id") if project else None,
        ))
    seen_credentials: set[str] = set()
    for path, credential in credential_keys(spec):
        if isinstance(credential, CredentialRef):
            changes.append(PlannedChange(kind="data_credentials", name=f"#{credential.id}", path=path, action="use", id=credential.id))
            continue
        if credential.name in seen_credentials:
            continue
        seen_credentials.add(credential.name)
        record = existing.credentials.get(credential.name)
        action: Action = "unchanged" if record else ("conflict" if ("data_credentials", credential.name) in conflict_keys else "create")
        changes.append(PlannedChange(kind="data_credentials", name=credential.name, path=path, action=action,
                                     id=record.get("id") if record else None))
    flow_credential = credential_id_for(spec.credential, existing)
    source = existing.source
    if source is None:
        action = "conflict" if ("data_sources", spec.source.name) in conflict_keys else "create"
        changes.append(PlannedChange(kind="data_sources", name=spec.source.name, path="source", action=action))
    else:
        diff = _field_diff(source, source_fields(spec, flow_credential))
        diff.update(_subset_diff(source.get("source_config"), spec.source.config, "source_config"))
        changes.append(PlannedChange(kind="data_sources", name=spec.source.name, path="source",
                                     action="update" if diff else "unchanged", id=source["id"], changes=diff))
    parent_id = int(existing.detected["id"]) if existing.detected else None
    ids: dict[str | None, int | None] = {None: parent_id}
    for index, nexset in enumerate(spec.nexsets):
        record = existing.nexsets.get(nexset.name)
        path = f"nexsets[{index}]"
        if record is None:
            action = "conflict" if ("data_sets", nexset.name) in conflict_keys else "create"
            changes.append(PlannedChange(kind="data_sets", name=nexset.name, path=path, action=action))
            parent_id = None
        else:
            diff = _field_diff(_comparable_nexset(record), nexset_fields(nexset, parent_id))
            changes.append(PlannedChange(kind="data_sets", name=nexset.name, path=path,
                                         action="update" if diff else "unchanged", id=record["id"], changes=diff))
            parent_id = int(record["id"])
        ids[nexset.name] = parent_id
    for index, sink in enumerate(spec.destinations):
        record = existing.sinks.get(sink.name)
        path = f"destinations[{index}]"
        if record is None:
            action = "conflict" if ("data_sinks", sink.name) in conflict_keys else "create"
            changes.append(PlannedChange(kind="data_sinks", name=sink.name, path=path, action=action))
            continue
        credential = credential_id_for(sink.credential, existing) if sink.credential else flow_credential
        diff = _field_diff(record, sink_fields(sink, ids.get(sink_parent_name(spec, sink)), credential))
        diff.update(_subset_diff(record.get("sink_config"), sink.config, "sink_config"))
        changes.append(PlannedChange(kind="data_sinks", name=sink.name, path=path,
                                     action="update" if diff else "unchanged", id=record["id"], changes=diff))
    all_active = bool(existing.node_status) and all(s.upper() == "ACTIVE" for s in existing.node_status.values())
    structural = any(c.action in ("create", "update") for c in changes if c.kind in ("data_sources", "data_sets", "data_sinks"))
    if not spec.activate:
        activation = "leave"
    elif all_active and not structural:
        activation = "already_active"
    else:
        activation = "activate"
    if spec.project and existing.source is not None and not existing.project_has_flow:
        changes.append(PlannedChange(kind="projects", name=spec.project, path="project.flows", action="update",
                                     id=existing.project.get("id") if existing.project else None,
                                     changes={"data_flows": FieldChange(old=None, new={"data_source_id": existing.source["id"]})}))
    return DeployPlan(name=spec.name, tag=spec.tag, flow_id=existing.flow_id, changes=changes, activate=activation)


async def plan_deployment(client: Any, spec: FlowSpec) -> DeployPlan:
    """Diff the spec against the server: create / update / unchanged per resource. GET requests only."""
    existing = await discover(client, spec)
    return build_plan(spec, existing, await name_conflicts(client, spec, existing))


__all__ = ["DeployPlan", "FieldChange", "PlannedChange", "build_plan", "plan_deployment"]
