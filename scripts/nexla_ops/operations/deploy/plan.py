"""Plan a deployment: the desired state (the spec) against what exists, as an ordered list of changes.

The plan is what apply executes, step by step, without a second diff. Each change carries the
exact request apply sends (``method``, ``endpoint``, ``body``); where a body needs the id of a
resource the plan itself creates first, the body holds the placeholder ``<id of PATH>`` and
``refs`` maps the body field to that change's ``path``, filled in when apply reaches it.

Order (parents before children, deletes last): project, credentials, source, the source's link
to the project, the detected nexset, the nexset chain, destinations, then removed destinations and
removed nexsets (deepest first). Planning sends only GET requests. Fields are compared only where
the spec says something: config keys the spec does not mention (server defaults) are not drift.
Credential secrets are never read back, so an existing credential of this deployment is always
``unchanged``; in a plan's output a credential's fields show their references (``{from_env: VAR}``,
``{from_keyring: NAME}``, ``{from_dotenv: ...}``, ``{from_user: LABEL}``: where the value will come
from, never the value) and secret-looking literals are redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer

from nexla_ops.operations.deploy.spec import (
    CredentialDef,
    CredentialRef,
    DestinationSpec,
    FlowSpec,
    NexsetSpec,
    SpecError,
    SpecIssue,
)
from nexla_ops.operations.deploy.state import Existing, credential_keys, discover, name_conflicts, parent_of
from nexla_ops.operations.deploy.validate import check_transform_spec, sent_transform
from nexla_ops.redaction import redact
from nexla_ops.secrets import as_secret_ref

Action = Literal["create", "update", "delete", "unchanged", "use", "detect", "conflict"]
MUTATING: tuple[Action, ...] = ("create", "update", "delete", "detect")


class FieldChange(BaseModel):
    """One field that differs: current value and the value the spec wants."""

    old: Any = None
    new: Any = None


class PlannedChange(BaseModel):
    """One step of the plan: what apply does to one resource, with the exact request it sends."""

    kind: str = Field(description="data_credentials, projects, data_sources, data_sets or data_sinks.")
    name: str
    path: str = Field(description="Where the resource is in the spec, e.g. nexsets[0]; removed.<kind>.<id> for a delete.")
    action: Action = Field(
        description="create, update, delete, unchanged, use (an existing credential by id), detect (the "
        "source's detected nexset, made by the server once the source ingests) or conflict."
    )
    id: int | None = Field(default=None, description="Id of the existing resource, when there is one.")
    changes: dict[str, FieldChange] = Field(default_factory=dict, description="For an update: each field that differs.")
    method: str | None = Field(
        default=None, description="POST, PUT or DELETE: the request apply sends (none for unchanged/use/detect)."
    )
    endpoint: str | None = Field(default=None, description="Request path, e.g. /data_sets or /data_sets/12.")
    body: dict[str, Any] | None = Field(default=None, description="The exact request body apply sends.")
    refs: dict[str, str] = Field(
        default_factory=dict,
        description="Body field (dotted) -> path of the earlier change whose new id fills it; 'id' for the endpoint's id.",
    )
    restore: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @field_serializer("body")
    def _shown_body(self, body: dict[str, Any] | None) -> dict[str, Any] | None:
        if body is None or self.kind != "data_credentials":
            return body
        fields = body.get("credentials") or {}
        shown = {k: v if _is_reference(v) else redact({k: v})[k] for k, v in fields.items()}
        return {**body, "credentials": shown}


def _is_reference(value: Any) -> bool:
    try:
        return as_secret_ref(value) is not None
    except ValueError:  # a malformed reference is shown redacted, like a literal
        return False


class DeployPlan(BaseModel):
    """Every change apply will make, in order. ``exit_code`` 5 when there are conflicts."""

    name: str
    tag: str
    flow_id: int | None = None
    flow_active: bool = Field(default=False, description="Whether any node of the flow is active now.")
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


def placeholder(path: str) -> str:
    """What a body shows for the id of a resource the plan creates first."""
    return f"<id of {path}>"


def matches(current: Any, wanted: Any) -> bool:
    """Whether the server's value already says what ``wanted`` says (keys the server adds are ignored)."""
    if isinstance(wanted, Mapping):
        return isinstance(current, Mapping) and all(k in current and matches(current[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(current, list) and len(current) == len(wanted) and all(map(matches, current, wanted))
    return bool(current == wanted)


def official_transform(nexset: NexsetSpec, spec: FlowSpec) -> dict[str, Any] | list[Any]:
    """The transform as deploy sends it: the one place a spec's transform becomes a request body.

    In the default official dialect that is Nexla's documented ``{version, data_maps, transforms,
    custom_config}`` (authoring operations converted); with ``transform_dialect: authoring`` the
    spec's transform as written, which only the local sandbox runs.
    """
    return sent_transform(nexset.transform, spec.transform_dialect)


def nexset_transform_body(nexset: NexsetSpec, spec: FlowSpec) -> dict[str, Any]:
    """The transform half of a nexset body, paired as the OpenAPI's ``DataSetMutable`` pairs it."""
    if nexset.transform is not None:
        return {"has_custom_transform": False, "transform": official_transform(nexset, spec)}
    return {"has_custom_transform": True, "transform_id": nexset.transform_id}


def transform_issues(spec: FlowSpec) -> list[SpecIssue]:
    """Every inline transform problem that leaves the plan without a body to send (as validate names them)."""
    return [issue for index, nexset in enumerate(spec.nexsets) if nexset.transform is not None
            for issue in check_transform_spec(f"nexsets[{index}]", nexset.transform, spec.transform_dialect)]


class _Builder:
    """Builds the ordered changes; ``ids`` holds each path's id (known now, or a placeholder)."""

    def __init__(self, spec: FlowSpec, existing: Existing, conflicts: list[dict[str, Any]]) -> None:
        self.spec = spec
        self.existing = existing
        self.conflict_keys = {(c["kind"], c["name"]) for c in conflicts}
        self.changes: list[PlannedChange] = []
        self.ids: dict[str, int | None] = {}
        self.credential_paths: dict[str, str] = {}  # path in spec -> path of the change that provides it

    def id_or_ref(self, path: str, refs: dict[str, str], field: str) -> int | str:
        known = self.ids.get(path)
        if known is not None:
            return known
        refs[field] = path
        return placeholder(path)

    def add(self, change: PlannedChange) -> PlannedChange:
        self.changes.append(change)
        self.ids[change.path] = change.id
        return change

    def conflict_or_create(self, kind: str, name: str) -> Action:
        return "conflict" if (kind, name) in self.conflict_keys else "create"

    def update_or_unchanged(
        self, kind: str, name: str, path: str, record: dict[str, Any], owned: dict[str, Any], refs: dict[str, str],
        config_key: str | None = None, config: dict[str, Any] | None = None,
    ) -> PlannedChange:
        """An update sending every field the spec owns when any of them differs, else unchanged."""
        current = {**record, "parent_data_set_id": parent_of(record)} if kind == "data_sets" else record
        diff = {k: FieldChange(old=current.get(k), new=v) for k, v in owned.items()
                if k in refs or not matches(current.get(k), v)}
        body = dict(owned)
        restore = {k: current.get(k) for k in owned}
        if config_key is not None and config is not None:
            old_config = record.get(config_key) or {}
            diff.update({f"{config_key}.{k}": FieldChange(old=old_config.get(k), new=v)
                         for k, v in config.items() if not matches(old_config.get(k), v)})
            body[config_key] = {**old_config, **config}
            restore[config_key] = old_config
        record_id = int(record["id"])
        if not diff:
            return self.add(PlannedChange(kind=kind, name=name, path=path, action="unchanged", id=record_id))
        return self.add(PlannedChange(kind=kind, name=name, path=path, action="update", id=record_id, changes=diff,
                                      method="PUT", endpoint=f"/{kind}/{record_id}", body=body, refs=refs, restore=restore))

    def project(self) -> None:
        spec, project = self.spec, self.existing.project
        if not spec.project:
            return
        if project is not None:
            self.add(PlannedChange(kind="projects", name=spec.project, path="project", action="unchanged", id=int(project["id"])))
            return
        self.add(PlannedChange(kind="projects", name=spec.project, path="project", action="create", method="POST",
                               endpoint="/projects", body={"name": spec.project, "description": "", "tags": [spec.tag]}))

    def credentials(self) -> None:
        first_by_name: dict[str, str] = {}
        for path, credential in credential_keys(self.spec):
            if isinstance(credential, CredentialRef):
                self.add(PlannedChange(kind="data_credentials", name=f"#{credential.id}", path=path, action="use", id=credential.id))
                self.credential_paths[path] = path
                continue
            if credential.name in first_by_name:
                self.credential_paths[path] = first_by_name[credential.name]
                continue
            first_by_name[credential.name] = path
            self.credential_paths[path] = path
            record = self.existing.credentials.get(credential.name)
            if record is not None:
                self.add(PlannedChange(kind="data_credentials", name=credential.name, path=path, action="unchanged", id=int(record["id"])))
                continue
            action = self.conflict_or_create("data_credentials", credential.name)
            self.add(PlannedChange(kind="data_credentials", name=credential.name, path=path, action=action,
                                   method="POST", endpoint="/data_credentials", body=credential_body(credential, self.spec.tag)))

    def credential_value(self, path: str, refs: dict[str, str], field: str) -> int | str:
        return self.id_or_ref(self.credential_paths[path], refs, field)

    def source(self) -> None:
        spec, record = self.spec, self.existing.source
        refs: dict[str, str] = {}
        owned: dict[str, Any] = {"source_type": spec.source.type,
                                 "data_credentials_id": self.credential_value("credential", refs, "data_credentials_id")}
        if spec.source.description is not None:
            owned["description"] = spec.source.description
        if record is not None:
            self.update_or_unchanged("data_sources", spec.source.name, "source", record, owned, refs,
                                     "source_config", spec.source.config)
            return
        body = {"name": spec.source.name, **owned, "source_config": dict(spec.source.config), "tags": [spec.tag]}
        self.add(PlannedChange(kind="data_sources", name=spec.source.name, path="source",
                               action=self.conflict_or_create("data_sources", spec.source.name),
                               method="POST", endpoint="/data_sources", body=body, refs=refs))

    def project_link(self) -> None:
        spec, existing = self.spec, self.existing
        if not spec.project or (existing.source is not None and existing.project_has_flow):
            return
        refs: dict[str, str] = {}
        project_id = self.id_or_ref("project", refs, "id")
        source_id = self.id_or_ref("source", refs, "data_flows.0.data_source_id")
        self.add(PlannedChange(
            kind="projects", name=spec.project, path="project.flows", action="update",
            id=project_id if isinstance(project_id, int) else None,
            changes={"data_flows": FieldChange(old=None, new=[{"data_source_id": source_id}])},
            method="PUT", endpoint=f"/projects/{project_id}/flows",
            body={"data_flows": [{"data_source_id": source_id}]}, refs=refs,
        ))

    def detected(self) -> None:
        detected = self.existing.detected
        name = f"{self.spec.source.name} (detected)"
        if detected is not None:
            self.add(PlannedChange(kind="data_sets", name=str(detected.get("name") or name), path="source.detected",
                                   action="unchanged", id=int(detected["id"])))
        else:
            self.add(PlannedChange(kind="data_sets", name=name, path="source.detected", action="detect"))

    def nexsets(self) -> None:
        parent_path = "source.detected"
        for index, nexset in enumerate(self.spec.nexsets):
            path = f"nexsets[{index}]"
            refs: dict[str, str] = {}
            owned: dict[str, Any] = {"parent_data_set_id": self.id_or_ref(parent_path, refs, "parent_data_set_id"),
                                     **nexset_transform_body(nexset, self.spec)}
            if nexset.description is not None:
                owned["description"] = nexset.description
            record = self.existing.nexsets.get(nexset.name)
            if record is not None:
                self.update_or_unchanged("data_sets", nexset.name, path, record, owned, refs)
            else:
                self.add(PlannedChange(kind="data_sets", name=nexset.name, path=path,
                                       action=self.conflict_or_create("data_sets", nexset.name), method="POST",
                                       endpoint="/data_sets", body={"name": nexset.name, **owned, "tags": [self.spec.tag]},
                                       refs=refs))
            parent_path = path

    def destinations(self) -> None:
        spec = self.spec
        positions = {n.name: f"nexsets[{i}]" for i, n in enumerate(spec.nexsets)}
        for index, sink in enumerate(spec.destinations):
            path = f"destinations[{index}]"
            refs: dict[str, str] = {}
            parent_name = sink_parent_name(spec, sink)
            feeding = positions[parent_name] if parent_name is not None else "source.detected"
            credential_path = f"{path}.credential" if sink.credential is not None else "credential"
            owned: dict[str, Any] = {
                "sink_type": sink.type,
                "data_set_id": self.id_or_ref(feeding, refs, "data_set_id"),
                "data_credentials_id": self.credential_value(credential_path, refs, "data_credentials_id"),
            }
            if sink.description is not None:
                owned["description"] = sink.description
            record = self.existing.sinks.get(sink.name)
            if record is not None:
                self.update_or_unchanged("data_sinks", sink.name, path, record, owned, refs, "sink_config", sink.config)
            else:
                body = {"name": sink.name, **owned, "sink_config": dict(sink.config), "tags": [spec.tag]}
                self.add(PlannedChange(kind="data_sinks", name=sink.name, path=path,
                                       action=self.conflict_or_create("data_sinks", sink.name), method="POST",
                                       endpoint="/data_sinks", body=body, refs=refs))

    def removed(self) -> None:
        for kind, records in (("data_sinks", self.existing.stale_sinks), ("data_sets", self.existing.stale_nexsets)):
            for record in records:
                record_id = int(record["id"])
                self.add(PlannedChange(kind=kind, name=str(record.get("name") or ""), path=f"removed.{kind}.{record_id}",
                                       action="delete", id=record_id, method="DELETE", endpoint=f"/{kind}/{record_id}"))

    def activation(self) -> Literal["activate", "already_active", "leave"]:
        statuses = self.existing.node_status
        all_active = bool(statuses) and all(s.upper() == "ACTIVE" for s in statuses.values())
        structural = any(c.action in MUTATING for c in self.changes if c.kind in ("data_sources", "data_sets", "data_sinks"))
        if not self.spec.activate:
            return "leave"
        return "already_active" if all_active and not structural else "activate"


def credential_body(credential: CredentialDef, tag: str) -> dict[str, Any]:
    """The create body of a credential; secrets stay ``{from_env: VAR}`` until apply sends it."""
    fields = {k: v.model_dump() if hasattr(v, "model_dump") else v for k, v in credential.fields.items()}
    body: dict[str, Any] = {"name": credential.name, "credentials_type": credential.type, "tags": [tag], "credentials": fields}
    if credential.description is not None:
        body["description"] = credential.description
    return body


def sink_parent_name(spec: FlowSpec, sink: DestinationSpec) -> str | None:
    """Name of the nexset feeding a destination (None = the source's detected nexset)."""
    if sink.from_ is not None:
        return sink.from_
    return spec.nexsets[-1].name if spec.nexsets else None


def build_plan(spec: FlowSpec, existing: Existing, conflicts: list[dict[str, Any]]) -> DeployPlan:
    """The plan for ``spec`` given what exists (pure: no request).

    Raises SpecError when a nexset's transform is invalid or has no official form: the plan would
    have no body to show for it.
    """
    issues = transform_issues(spec)
    if issues:
        raise SpecError(issues)
    builder = _Builder(spec, existing, conflicts)
    builder.project()
    builder.credentials()
    builder.source()
    builder.project_link()
    builder.detected()
    builder.nexsets()
    builder.destinations()
    builder.removed()
    return DeployPlan(name=spec.name, tag=spec.tag, flow_id=existing.flow_id, flow_active=existing.active, changes=builder.changes,
                      activate=builder.activation())


async def plan_deployment(client: Any, spec: FlowSpec) -> DeployPlan:
    """Every change apply would make (create / update / delete / unchanged per resource). GET requests only."""
    existing = await discover(client, spec)
    return build_plan(spec, existing, await name_conflicts(client, spec, existing))


__all__ = [
    "DeployPlan",
    "FieldChange",
    "PlannedChange",
    "build_plan",
    "credential_body",
    "matches",
    "nexset_transform_body",
    "official_transform",
    "placeholder",
    "plan_deployment",
    "sink_parent_name",
    "transform_issues",
]
