"""Apply a deployment: validate, plan, create or update each resource, activate, verify.

Idempotent: resources this spec created before are found by name and the tag
``nexla-ops:<spec name>`` and updated in place; applying an unchanged spec sends no mutating
request. Any failure (or cancellation, or Ctrl-C) rolls back: the flow is paused, everything this
apply created is deleted in reverse order, updated fields are restored, and whatever could not be
undone is reported by id.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.errors import NexlaError, NotFoundError
from nexla_ops.operations.deploy.plan import (
    DeployPlan,
    build_plan,
    current_parent,
    nexset_fields,
    sink_fields,
    sink_parent_name,
    source_fields,
)
from nexla_ops.operations.deploy.spec import CredentialRef, FlowSpec, SpecIssue, resolve_fields
from nexla_ops.operations.deploy.state import Existing, credential_keys, discover, name_conflicts, read_flow
from nexla_ops.operations.deploy.validate import ValidationReport, probe, validate_deployment
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress

STEPS = ("validate", "plan", "project", "credentials", "source", "discovery", "nexsets", "destinations", "activate", "verify")


class DeployFailure(NexlaError):
    """A deployment step failed; ``step`` names it. Raised inside apply and turned into a result."""

    default_hint = "See the rollback report; fix the cause and apply again."

    def __init__(self, step: str, message: str, **kwargs: Any) -> None:
        self.step = step
        super().__init__(f"{step}: {message}", **kwargs)


class ResourceRef(BaseModel):
    kind: str
    id: int
    name: str | None = None


class UndoFailure(BaseModel):
    """Something rollback could not undo: do it by hand."""

    kind: str
    id: int
    action: str
    error: str


class RollbackReport(BaseModel):
    """What rollback did."""

    paused: list[ResourceRef] = Field(default_factory=list)
    deleted: list[ResourceRef] = Field(default_factory=list)
    restored: list[ResourceRef] = Field(default_factory=list)
    not_undone: list[UndoFailure] = Field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.not_undone


class DeployResult(BaseModel):
    """Outcome of apply. ``status``: applied, unchanged, invalid (nothing done) or rolled_back."""

    name: str
    status: Literal["applied", "unchanged", "invalid", "rolled_back"]
    flow_id: int | None = None
    source_id: int | None = None
    resources: list[ResourceRef] = Field(default_factory=list, description="Every resource of the deployment.")
    created: list[ResourceRef] = Field(default_factory=list)
    updated: list[ResourceRef] = Field(default_factory=list)
    active: bool = False
    plan: DeployPlan | None = None
    validation: ValidationReport | None = None
    failed_step: str | None = None
    error: dict[str, Any] | None = None
    rollback: RollbackReport | None = None

    @property
    def exit_code(self) -> int:
        if self.status in ("applied", "unchanged"):
            return 0
        if self.status == "invalid":
            return 5
        return int((self.error or {}).get("exit_code") or 1)


@dataclass
class Journal:
    """What this apply changed, in order, so rollback can undo it."""

    created: list[ResourceRef] = field(default_factory=list)
    updated: list[tuple[ResourceRef, dict[str, Any]]] = field(default_factory=list)
    project_links: list[tuple[int, int]] = field(default_factory=list)  # (project id, source id)
    flow_was_active: bool = False
    flow_id: int | None = None
    source_id: int | None = None


async def _emit(progress: ProgressCallback, step: str, message: str) -> None:
    current = STEPS.index(step) + 1 if step in STEPS else None
    await progress(ProgressEvent(step=step, message=message, current=current, total=len(STEPS)))


async def wait_for_detected_nexset(
    client: Any, source_id: int, timeout_s: float, *, activate_if_idle: bool = True, initial_delay_s: float = 0.2
) -> tuple[dict[str, Any], bool]:
    """Poll the source (expand=1) with exponential backoff until its detected nexset appears.

    Returns (nexset brief, whether the source was activated to start discovery). Raises
    DeployFailure('discovery') at the deadline. Nexla detects nexsets once a source ingests, so an
    idle (never activated) source is activated after the first empty poll.
    """
    deadline = time.monotonic() + timeout_s
    delay = initial_delay_s
    activated = False
    while True:
        source = await client.get(f"/data_sources/{source_id}", params={"expand": 1})
        data_sets = (source or {}).get("data_sets") or []
        if data_sets:
            return data_sets[0], activated
        if activate_if_idle and not activated and str(source.get("status") or "").upper() != "ACTIVE":
            await client.put(f"/data_sources/{source_id}/activate")
            activated = True
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeployFailure(
                "discovery", f"source {source_id} detected no nexset within {timeout_s:g} s",
                hint="Check the source path and that files exist there; raise discovery_timeout_s for slow sources.",
            )
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 2, 5.0)


class _Apply:
    def __init__(self, client: Any, spec: FlowSpec, progress: ProgressCallback) -> None:
        self.client = client
        self.spec = spec
        self.progress = progress
        self.journal = Journal()
        self.step = "validate"
        self.resources: list[ResourceRef] = []
        self.new_credentials: dict[str, dict[str, Any]] = {}

    async def run(self, existing: Existing, plan: DeployPlan) -> None:
        spec, tag, journal = self.spec, self.spec.tag, self.journal
        journal.flow_was_active = existing.active
        journal.flow_id = existing.flow_id
        self.step = "project"
        project_id: int | None = None
        if spec.project:
            if existing.project is None:
                await _emit(self.progress, "project", f"creating project {spec.project!r}")
                project = await self.client.post("/projects", json={"name": spec.project, "description": "", "tags": [tag]})
                self._created("projects", project)
            else:
                project = existing.project
            project_id = int(project["id"])
        self.step = "credentials"
        credential_ids: dict[str, int] = {}
        for path, credential in credential_keys(spec):
            if isinstance(credential, CredentialRef):
                credential_ids[path] = credential.id
                continue
            record = existing.credentials.get(credential.name) or self.new_credentials.get(credential.name)
            if record is None:
                await _emit(self.progress, "credentials", f"creating credential {credential.name!r}")
                body = {
                    "name": credential.name, "credentials_type": credential.type, "tags": [tag],
                    "credentials": resolve_fields(credential.fields, f"{path}.fields"),
                }
                if credential.description is not None:
                    body["description"] = credential.description
                record = await self.client.post("/data_credentials", json=body)
                self._created("data_credentials", record)
                self.new_credentials[credential.name] = record
            credential_ids[path] = int(record["id"])
        for path, credential_id in credential_ids.items():
            ok, message = await probe(self.client, credential_id)
            if not ok:
                raise DeployFailure("credentials", f"{path}: credential {credential_id} failed its probe: {message}",
                                    hint="Check the credential fields (and the environment variables they come from).")
        flow_credential = credential_ids["credential"]
        self.step = "source"
        source = existing.source
        changes = {c.path: c for c in plan.changes}
        if source is None:
            await _emit(self.progress, "source", f"creating source {spec.source.name!r}")
            body = {"name": spec.source.name, "source_config": spec.source.config, "tags": [tag],
                    **source_fields(spec, flow_credential)}
            source = await self.client.post("/data_sources", json=body)
            self._created("data_sources", source)
        elif changes["source"].action == "update":
            await _emit(self.progress, "source", f"updating source {source['id']}")
            body = {**source_fields(spec, flow_credential), "source_config": {**(source.get("source_config") or {}), **spec.source.config}}
            await self._update("data_sources", source, body)
        else:
            await _emit(self.progress, "source", f"source {source['id']} unchanged")
        source_id = int(source["id"])
        journal.source_id = source_id
        self.resources.append(ResourceRef(kind="data_sources", id=source_id, name=spec.source.name))
        if project_id is not None and (existing.source is None or not existing.project_has_flow):
            await self.client.put(f"/projects/{project_id}/flows", json={"data_flows": [{"data_source_id": source_id}]})
            journal.project_links.append((project_id, source_id))
        self.step = "discovery"
        detected = existing.detected
        if detected is None:
            await _emit(self.progress, "discovery", f"waiting up to {spec.discovery_timeout_s:g} s for source {source_id} to detect its nexset")
            detected, _ = await wait_for_detected_nexset(self.client, source_id, spec.discovery_timeout_s)
            if existing.source is None:
                self._created("data_sets", detected)
        parent_id = int(detected["id"])
        self.resources.append(ResourceRef(kind="data_sets", id=parent_id, name=detected.get("name")))
        ids: dict[str | None, int] = {None: parent_id}
        self.step = "nexsets"
        for index, nexset in enumerate(spec.nexsets):
            record = existing.nexsets.get(nexset.name)
            wanted = nexset_fields(nexset, parent_id)
            if record is None:
                await _emit(self.progress, "nexsets", f"creating nexset {nexset.name!r}")
                body = {"name": nexset.name, "has_custom_transform": True, "tags": [tag], **wanted}
                record = await self.client.post("/data_sets", json=body)
                self._created("data_sets", record)
            elif any(record.get(k) != v for k, v in wanted.items() if k != "parent_data_set_id") or current_parent(record) != parent_id:
                await _emit(self.progress, "nexsets", f"updating nexset {record['id']}")
                await self._update("data_sets", {**record, "parent_data_set_id": current_parent(record)},
                                   {"has_custom_transform": True, **wanted})
            parent_id = int(record["id"])
            ids[nexset.name] = parent_id
            self.resources.append(ResourceRef(kind="data_sets", id=parent_id, name=nexset.name))
        self.step = "destinations"
        for index, sink in enumerate(spec.destinations):
            credential_id = credential_ids.get(f"destinations[{index}].credential", flow_credential)
            wanted = sink_fields(sink, ids[sink_parent_name(spec, sink)], credential_id)
            record = existing.sinks.get(sink.name)
            if record is None:
                await _emit(self.progress, "destinations", f"creating destination {sink.name!r}")
                body = {"name": sink.name, "sink_config": sink.config, "tags": [tag], **wanted}
                record = await self.client.post("/data_sinks", json=body)
                self._created("data_sinks", record)
            else:
                config = {**(record.get("sink_config") or {}), **sink.config}
                if any(record.get(k) != v for k, v in wanted.items()) or config != (record.get("sink_config") or {}):
                    await _emit(self.progress, "destinations", f"updating destination {record['id']}")
                    await self._update("data_sinks", record, {**wanted, "sink_config": config})
            self.resources.append(ResourceRef(kind="data_sinks", id=int(record["id"]), name=sink.name))
        self.step = "activate"
        tree = await read_flow(self.client, source_id)
        flow_id = int((tree.get("flows") or [{}])[0].get("id") or 0) or None
        journal.flow_id = flow_id
        statuses = _statuses(tree)
        if spec.activate and flow_id is not None and any(s != "ACTIVE" for s in statuses.values()):
            await _emit(self.progress, "activate", f"activating flow {flow_id}")
            await self.client.put(f"/flows/{flow_id}/activate", params={"all": 1})
        elif not spec.activate and existing.source is None and flow_id is not None and any(s == "ACTIVE" for s in statuses.values()):
            # Discovery activated the new source; the spec asked for an inactive flow.
            await self.client.put(f"/flows/{flow_id}/pause", params={"all": 1})
        self.step = "verify"
        await _emit(self.progress, "verify", "checking the flow tree")
        await self.verify(source_id)

    def _created(self, kind: str, record: dict[str, Any]) -> None:
        self.journal.created.append(ResourceRef(kind=kind, id=int(record["id"]), name=record.get("name")))

    async def _update(self, kind: str, record: dict[str, Any], body: dict[str, Any]) -> None:
        restore = {key: record.get(key) for key in body}
        await self.client.put(f"/{kind}/{record['id']}", json=body)
        self.journal.updated.append((ResourceRef(kind=kind, id=int(record["id"]), name=record.get("name")), restore))

    async def verify(self, source_id: int) -> None:
        tree = await read_flow(self.client, source_id)
        present = {(kind, id) for kind, id in _statuses(tree)}
        missing = [f"{r.kind} {r.id} ({r.name})" for r in self.resources if (r.kind, r.id) not in present]
        if missing:
            raise DeployFailure("verify", f"not in the flow tree of source {source_id}: {', '.join(missing)}")
        if self.spec.activate:
            inactive = [f"{kind} {id}" for (kind, id), status in _statuses(tree).items() if status != "ACTIVE"]
            if inactive:
                raise DeployFailure("verify", f"not active after activation: {', '.join(inactive)}",
                                    hint="Check the flow's logs (get_resource_logs.py --triage) for why it did not start.")


def _statuses(tree: dict[str, Any]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    stack = list(tree.get("flows") or [])
    while stack:
        node = stack.pop()
        for key, kind in (("data_source_id", "data_sources"), ("data_set_id", "data_sets"), ("data_sink_id", "data_sinks")):
            if node.get(key):
                out[(kind, int(node[key]))] = str(node.get("status") or "").upper()
        stack.extend(node.get("children") or [])
    return out


async def rollback(client: Any, journal: Journal, progress: ProgressCallback = no_progress) -> RollbackReport:
    """Undo what ``journal`` records: pause, delete created (reverse order), restore updated.

    Never raises for API errors: each failure is listed in ``not_undone`` with its id.
    """
    report = RollbackReport()
    created_flow = [r for r in journal.created if r.kind in ("data_sources", "data_sets", "data_sinks")]
    if created_flow or journal.updated:
        await _emit(progress, "rollback", "pausing the flow")
        if journal.flow_id is not None or journal.source_id is not None:
            path = f"/flows/{journal.flow_id}/pause" if journal.flow_id else f"/data_sources/{journal.source_id}/pause"
            try:
                await client.put(path, params={"all": 1})
                report.paused.append(ResourceRef(kind="flows" if journal.flow_id else "data_sources",
                                                 id=journal.flow_id or journal.source_id or 0))
            except NotFoundError:
                pass
            except NexlaError as error:
                for ref in created_flow:
                    try:
                        await client.put(f"/{ref.kind}/{ref.id}/pause")
                    except NexlaError:
                        continue
                report.not_undone.append(UndoFailure(kind="flows", id=journal.flow_id or journal.source_id or 0,
                                                     action="pause", error=error.message))
    for ref in reversed(journal.created):
        await _emit(progress, "rollback", f"deleting {ref.kind} {ref.id}")
        try:
            await client.delete(f"/{ref.kind}/{ref.id}")
            report.deleted.append(ref)
        except NotFoundError:
            report.deleted.append(ref)
        except NexlaError as error:
            report.not_undone.append(UndoFailure(kind=ref.kind, id=ref.id, action="delete", error=error.message))
    created_sources = {r.id for r in journal.created if r.kind == "data_sources"}
    for project_id, source_id in journal.project_links:
        if source_id in created_sources:
            continue
        try:
            await client.delete(f"/projects/{project_id}/flows", json={"data_flows": [{"data_source_id": source_id}]})
        except NexlaError as error:
            report.not_undone.append(UndoFailure(kind="projects", id=project_id, action="unlink flow", error=error.message))
    for ref, fields in reversed(journal.updated):
        await _emit(progress, "rollback", f"restoring {ref.kind} {ref.id}")
        try:
            await client.put(f"/{ref.kind}/{ref.id}", json=fields)
            report.restored.append(ref)
        except NexlaError as error:
            report.not_undone.append(UndoFailure(kind=ref.kind, id=ref.id, action="restore", error=error.message))
    if journal.flow_was_active and journal.flow_id is not None and report.paused:
        try:
            await client.put(f"/flows/{journal.flow_id}/activate", params={"all": 1})
        except NexlaError as error:
            report.not_undone.append(UndoFailure(kind="flows", id=journal.flow_id, action="reactivate", error=error.message))
    return report


def _error_dict(error: BaseException) -> dict[str, Any]:
    to_dict = getattr(error, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {"type": type(error).__name__, "message": str(error), "exit_code": 1}


async def apply_deployment(client: Any, spec: FlowSpec, progress: ProgressCallback = no_progress) -> DeployResult:
    """Validate, plan and apply ``spec``; verify; roll back on any failure.

    Returns ``status="invalid"`` (nothing sent but GETs) when validation or conflicts stop it,
    ``"unchanged"`` when everything already matched, ``"applied"`` on success, and
    ``"rolled_back"`` with ``failed_step``, ``error`` and the ``rollback`` report on failure.
    Cancellation and KeyboardInterrupt roll back too, then propagate.
    """
    await _emit(progress, "validate", f"validating deployment {spec.name!r}")
    report = await validate_deployment(client, spec)
    if not report.ok:
        return DeployResult(name=spec.name, status="invalid", validation=report,
                            error={"message": "; ".join(f"{i.path}: {i.message}" for i in report.issues), "exit_code": 5})
    await _emit(progress, "plan", "comparing the spec with what exists")
    existing = await discover(client, spec)
    plan = build_plan(spec, existing, await name_conflicts(client, spec, existing))
    if plan.conflicts:
        issues = [SpecIssue(path=c.path, message=f"a {c.kind} named {c.name!r} exists but was not created by this deployment")
                  for c in plan.conflicts]
        report.issues.extend(issues)
        report.ok = False
        return DeployResult(name=spec.name, status="invalid", validation=report, plan=plan,
                            error={"message": "; ".join(f"{i.path}: {i.message}" for i in issues), "exit_code": 5})
    runner = _Apply(client, spec, progress)
    try:
        await runner.run(existing, plan)
    except (Exception, asyncio.CancelledError, KeyboardInterrupt) as error:
        await _emit(progress, "rollback", f"{runner.step} failed; rolling back")
        undo = await asyncio.shield(rollback(client, runner.journal, progress)) if isinstance(error, asyncio.CancelledError) \
            else await rollback(client, runner.journal, progress)
        if not isinstance(error, Exception):
            raise
        return DeployResult(
            name=spec.name, status="rolled_back", plan=plan, validation=report, failed_step=runner.step,
            error=_error_dict(error), rollback=undo, source_id=runner.journal.source_id,
        )
    journal = runner.journal
    status = "applied" if journal.created or journal.updated or journal.project_links or plan.activate == "activate" else "unchanged"
    tree = await read_flow(client, journal.source_id) if journal.source_id else {}
    return DeployResult(
        name=spec.name, status=status, flow_id=journal.flow_id, source_id=journal.source_id,
        resources=runner.resources, created=journal.created, updated=[ref for ref, _ in journal.updated],
        active=bool(_statuses(tree)) and all(s == "ACTIVE" for s in _statuses(tree).values()),
        plan=plan, validation=report,
    )


__all__ = [
    "DeployFailure",
    "DeployResult",
    "Journal",
    "ResourceRef",
    "RollbackReport",
    "UndoFailure",
    "apply_deployment",
    "rollback",
    "wait_for_detected_nexset",
]
