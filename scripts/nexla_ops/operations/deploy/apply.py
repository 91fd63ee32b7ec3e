"""Apply a deployment: validate, plan, then execute the plan's changes in order; activate, verify.

Apply computes no diff of its own: it runs the plan's changes one by one, sending each change's
body (ids of resources created earlier in the run filled in), so what it creates, updates and
deletes is exactly what the plan announced. Idempotent: resources this spec created before are
found by name and the tag ``nexla-ops:<spec name>`` and updated in place; applying an unchanged
spec sends no mutating request. A create whose answer is lost is looked up and adopted (see
``recovery``). Any failure (or cancellation, or Ctrl-C) rolls back: the flow is paused, updated
fields are restored, everything this apply created is deleted children first (destinations,
nexsets deepest first, source, credentials, project), each step retried before it is given up,
and whatever could not be undone is reported by id. A replay-safe request that meets only
transient faults (429, 502/503/504, timeouts, dropped connections) is sent again within the retry
budget before its step is called failed (``recovery.retry_transient``): such a fault is no
reason to roll back.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

from nexla_ops.domain.errors import error_document
from nexla_ops.domain.flows import FlowTree
from nexla_ops.errors import NexlaError, NotFoundError
from nexla_ops.operations.deploy.plan import DeployPlan, PlannedChange, build_plan
from nexla_ops.operations.deploy.recovery import (
    PendingCreate,
    create_resource,
    delete_resource,
    find_created,
    retry_transient,
    retrying,
)
from nexla_ops.operations.deploy.spec import FlowSpec, SpecIssue, resolve_fields
from nexla_ops.operations.deploy.state import discover, name_conflicts, read_flow
from nexla_ops.operations.deploy.validate import ValidationReport, probe, validate_deployment
from nexla_ops.operations.guidance import step
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress

STEPS = ("validate", "plan", "project", "credentials", "source", "discovery", "nexsets", "destinations", "remove",
         "activate", "verify")
FLOW_KINDS = ("data_sources", "data_sets", "data_sinks")
# Children before parents: what rollback deletes first.
DELETE_ORDER = ("data_sinks", "data_sets", "data_sources", "data_credentials", "projects")


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
    id: int | None = Field(default=None, description="None only for a lost create that could not be looked up.")
    action: str
    error: str


class RollbackReport(BaseModel):
    """What rollback did, by id."""

    paused: list[ResourceRef] = Field(default_factory=list)
    deleted: list[ResourceRef] = Field(default_factory=list)
    restored: list[ResourceRef] = Field(default_factory=list)
    not_undone: list[UndoFailure] = Field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.not_undone

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> str:
        """One line naming by id what was undone and what was not."""
        parts = []
        if self.deleted:
            parts.append("deleted " + ", ".join(f"{r.kind} {r.id}" for r in self.deleted))
        if self.restored:
            parts.append("restored " + ", ".join(f"{r.kind} {r.id}" for r in self.restored))
        parts.append("not undone: " + (", ".join(f"{u.action} {u.kind} {u.id if u.id is not None else '?'}"
                                                  for u in self.not_undone) or "nothing"))
        return "; ".join(parts)


class DeployResult(BaseModel):
    """Outcome of apply. ``status``: applied, unchanged, invalid (nothing done) or rolled_back."""

    name: str
    status: Literal["applied", "unchanged", "invalid", "rolled_back"]
    flow_id: int | None = None
    source_id: int | None = None
    resources: list[ResourceRef] = Field(default_factory=list, description="Every resource of the deployment.")
    created: list[ResourceRef] = Field(default_factory=list)
    adopted: list[ResourceRef] = Field(
        default_factory=list, description="Created resources whose create answer was lost: found by name and tag, and kept."
    )
    updated: list[ResourceRef] = Field(default_factory=list)
    deleted: list[ResourceRef] = Field(default_factory=list, description="Resources the spec no longer names.")
    linked: list[ResourceRef] = Field(default_factory=list, description="Projects the flow was added to.")
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
    adopted: list[ResourceRef] = field(default_factory=list)
    updated: list[tuple[ResourceRef, dict[str, Any]]] = field(default_factory=list)
    deleted: list[ResourceRef] = field(default_factory=list)
    project_links: list[tuple[int, int]] = field(default_factory=list)  # (project id, source id)
    pending: list[PendingCreate] = field(default_factory=list)
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
        source = await retry_transient(client, lambda: client.get(f"/data_sources/{source_id}", params={"expand": 1}))
        data_sets = (source or {}).get("data_sets") or []
        if data_sets:
            return data_sets[0], activated
        if activate_if_idle and not activated and str(source.get("status") or "").upper() != "ACTIVE":
            await retry_transient(client, lambda: client.put(f"/data_sources/{source_id}/activate"))
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


def step_of(change: PlannedChange) -> str:
    """The apply step a change belongs to (named in progress events and in ``failed_step``)."""
    if change.action == "delete":
        return "remove"
    if change.path == "source.detected":
        return "discovery"
    if change.path == "project.flows":
        return "source"
    return {"projects": "project", "data_credentials": "credentials", "data_sources": "source",
            "data_sets": "nexsets", "data_sinks": "destinations"}[change.kind]


def _set(body: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.0.b`` inside ``body`` (numeric parts index lists)."""
    parts = dotted.split(".")
    target: Any = body
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(parts[-1])] = value
    else:
        target[parts[-1]] = value


class _Apply:
    """Runs a plan's changes in order; ``ids`` maps each change's path to the id it has now."""

    def __init__(self, client: Any, spec: FlowSpec, progress: ProgressCallback) -> None:
        self.client = client
        self.spec = spec
        self.progress = progress
        self.journal = Journal()
        self.step = "validate"
        self.resources: list[ResourceRef] = []
        self.ids: dict[str, int] = {}
        self.created_paths: set[str] = set()
        self.known_ids: dict[str, set[int]] = {}  # kind -> ids that are not a lost create of this run
        self.probed = False
        self.discovery_activated = False
        self.tree: dict[str, Any] = {}  # the flow tree verify read

    async def run(self, plan: DeployPlan) -> None:
        journal = self.journal
        journal.flow_was_active = plan.flow_active
        journal.flow_id = plan.flow_id
        for planned in plan.changes:
            if planned.id is not None:
                self.known_ids.setdefault(planned.kind, set()).add(planned.id)
        for change in plan.changes:
            self.step = step_of(change)
            if self.step not in ("project", "credentials") and not self.probed:
                await self.probe_credentials(plan)
            await self.execute(change)
        await self.activate(plan)
        self.step = "verify"
        await _emit(self.progress, "verify", "checking the flow tree")
        await self.verify(self.ids["source"])

    async def probe_credentials(self, plan: DeployPlan) -> None:
        self.probed = True
        for change in plan.changes:
            if change.kind != "data_credentials":
                continue
            credential_id = self.ids[change.path]
            verdict = await retry_transient(
                self.client, lambda credential_id=credential_id: probe(self.client, credential_id))  # type: ignore[misc]
            if verdict.failed:
                self.step = "credentials"
                raise DeployFailure("credentials", f"{change.path}: credential {credential_id} failed its probe: {verdict.message}",
                                    hint="Check the credential fields (and the environment variables they come from).")

    def request_body(self, change: PlannedChange) -> dict[str, Any]:
        """The change's body with the ids of resources created earlier in this run filled in."""
        body: dict[str, Any] = {**(change.body or {})}
        if "data_flows" in body:
            body["data_flows"] = [dict(entry) for entry in body["data_flows"]]
        for dotted, path in change.refs.items():
            if dotted != "id":
                _set(body, dotted, self.ids[path])
        if change.kind == "data_credentials" and "credentials" in body:
            body["credentials"] = resolve_fields(body["credentials"], f"{change.path}.fields")
        return body

    def target_id(self, change: PlannedChange) -> int:
        return self.ids[change.refs["id"]] if "id" in change.refs else int(change.id or 0)

    async def execute(self, change: PlannedChange) -> None:
        if change.action in ("unchanged", "use"):
            assert change.id is not None
            self.ids[change.path] = change.id
        elif change.action == "create":
            await self.create(change)
        elif change.action == "update":
            await self.update(change)
        elif change.action == "detect":
            await self.detect(change)
        elif change.action == "delete":
            await self.delete(change)
        if change.action != "delete" and change.kind in FLOW_KINDS:
            self.resources.append(ResourceRef(kind=change.kind, id=self.ids[change.path], name=change.name))
        if change.path == "source":
            self.journal.source_id = self.ids["source"]

    async def create(self, change: PlannedChange) -> None:
        await _emit(self.progress, self.step, f"creating {change.kind} {change.name!r}")
        body = self.request_body(change)

        async def note(message: str) -> None:
            await _emit(self.progress, self.step, message)

        known = self.known_ids.setdefault(change.kind, set())
        record, adopted = await create_resource(self.client, change.kind, body, known, self.journal.pending, note)
        ref = ResourceRef(kind=change.kind, id=int(record["id"]), name=record.get("name"))
        self.journal.created.append(ref)
        if adopted:
            await _emit(self.progress, self.step, f"the create's answer was lost; adopted {change.kind} {ref.id}")
            self.journal.adopted.append(ref)
        known.add(ref.id)
        self.ids[change.path] = ref.id
        self.created_paths.add(change.path)

    async def update(self, change: PlannedChange) -> None:
        target = self.target_id(change)
        body = self.request_body(change)
        if change.path == "project.flows":
            await _emit(self.progress, self.step, f"adding the flow to project {target}")
            await retry_transient(self.client, lambda: self.client.put(f"/projects/{target}/flows", json=body))
            self.journal.project_links.append((target, self.ids["source"]))
            return
        await _emit(self.progress, self.step, f"updating {change.kind} {target}")
        await retry_transient(self.client, lambda: self.client.put(f"/{change.kind}/{target}", json=body))
        self.journal.updated.append((ResourceRef(kind=change.kind, id=target, name=change.name), dict(change.restore)))
        self.ids[change.path] = target

    async def detect(self, change: PlannedChange) -> None:
        source_id = self.ids["source"]
        await _emit(self.progress, "discovery",
                    f"waiting up to {self.spec.discovery_timeout_s:g} s for source {source_id} to detect its nexset")
        detected, activated = await wait_for_detected_nexset(self.client, source_id, self.spec.discovery_timeout_s)
        self.discovery_activated = activated
        self.ids[change.path] = int(detected["id"])
        if "source" in self.created_paths:
            self.journal.created.append(ResourceRef(kind="data_sets", id=int(detected["id"]), name=detected.get("name")))

    async def delete(self, change: PlannedChange) -> None:
        assert change.id is not None
        await _emit(self.progress, "remove", f"deleting {change.kind} {change.id} ({change.name}): no longer in the spec")
        try:
            await retrying(self.client, lambda: self.client.put(f"/{change.kind}/{change.id}/pause"))
        except NotFoundError:
            return
        await delete_resource(self.client, change.kind, change.id)
        self.journal.deleted.append(ResourceRef(kind=change.kind, id=change.id, name=change.name))

    async def activate(self, plan: DeployPlan) -> None:
        self.step = "activate"
        client = self.client
        tree = await retry_transient(client, lambda: read_flow(client, self.ids["source"]))
        flow_id = int((tree.get("flows") or [{}])[0].get("id") or 0) or None
        self.journal.flow_id = flow_id
        if flow_id is None:
            return
        if plan.activate == "activate":
            await _emit(self.progress, "activate", f"activating flow {flow_id}")
            await retry_transient(client, lambda: client.put(f"/flows/{flow_id}/activate", params={"all": 1}))
        elif not self.spec.activate and self.discovery_activated:
            # Discovery activated the source; the spec asked for an inactive flow.
            await retry_transient(client, lambda: client.put(f"/flows/{flow_id}/pause", params={"all": 1}))

    async def verify(self, source_id: int) -> None:
        """Check the flow tree holds every resource (active when the spec says so); keeps the tree."""
        tree = await retry_transient(self.client, lambda: read_flow(self.client, source_id))
        self.tree = tree
        present = {(kind, id) for kind, id in _statuses(tree)}
        missing = [f"{r.kind} {r.id} ({r.name})" for r in self.resources if (r.kind, r.id) not in present]
        if missing:
            raise DeployFailure("verify", f"not in the flow tree of source {source_id}: {', '.join(missing)}")
        if self.spec.activate:
            inactive = [f"{kind} {id}" for (kind, id), status in _statuses(tree).items() if status != "ACTIVE"]
            if inactive:
                triage = step("triage_flow", {"kind": "data_sources", "id": source_id},
                              f"python scripts/get_resource_logs.py data_sources {source_id} --triage")
                raise DeployFailure("verify", f"not active after activation: {', '.join(inactive)}",
                                    hint=f"Check why it did not start: {triage}.")


def _statuses(tree: dict[str, Any]) -> dict[tuple[str, int], str]:
    """Each flow node's status by (kind, id), from the one flow-tree reader."""
    return {(node.resource[0].value, node.resource[1]): node.state
            for node in FlowTree.parse(tree).nodes() if node.resource is not None}


async def _undo(report: RollbackReport, kind: str, resource_id: int | None, action: str, operation: Any) -> bool:
    """Run one rollback step with retries; a failure is recorded by id instead of raised."""
    try:
        await operation()
        return True
    except NexlaError as error:
        report.not_undone.append(UndoFailure(kind=kind, id=resource_id, action=action, error=error.message))
        return False


async def rollback(client: Any, journal: Journal, progress: ProgressCallback = no_progress) -> RollbackReport:
    """Undo what ``journal`` records: pause, restore updated fields, unlink, delete created children first.

    Every step is retried on temporary failures (a 500 included) before it is given up. Never
    raises for API errors: each failure is listed in ``not_undone`` with its id.
    """
    report = RollbackReport()
    for entry in list(journal.pending):
        # A create whose answer was lost and that was not found then: look again before deleting.
        try:
            found = await retrying(client, lambda entry=entry: find_created(client, entry))  # type: ignore[misc]
        except NexlaError as error:
            report.not_undone.append(UndoFailure(kind=entry.kind, id=None, action=f"find {entry.describe()}",
                                                 error=error.message))
            continue
        if found is not None:
            journal.created.append(ResourceRef(kind=entry.kind, id=int(found["id"]), name=found.get("name")))
    created_flow = [r for r in journal.created if r.kind in FLOW_KINDS]
    if created_flow or journal.updated or journal.deleted:
        await _emit(progress, "rollback", "pausing the flow")
        if journal.flow_id is not None or journal.source_id is not None:
            kind = "flows" if journal.flow_id else "data_sources"
            target = journal.flow_id or journal.source_id or 0

            async def pause() -> None:
                try:
                    await client.put(f"/{kind}/{target}/pause", params={"all": 1})
                except NotFoundError:
                    return

            if await _undo(report, kind, target, "pause", lambda: retrying(client, pause)):
                report.paused.append(ResourceRef(kind=kind, id=target))
    for ref, fields in reversed(journal.updated):
        # Restores come before deletes: an updated child may point at a node this apply created.
        await _emit(progress, "rollback", f"restoring {ref.kind} {ref.id}")
        if await _undo(report, ref.kind, ref.id, "restore",
                       lambda ref=ref, fields=fields: retrying(client, lambda: client.put(f"/{ref.kind}/{ref.id}", json=fields))):
            report.restored.append(ref)
    created_sources = {r.id for r in journal.created if r.kind == "data_sources"}
    for project_id, source_id in journal.project_links:
        if source_id in created_sources:
            continue
        body = {"data_flows": [{"data_source_id": source_id}]}
        await _undo(report, "projects", project_id, "unlink flow",
                    lambda project_id=project_id, body=body: retrying(
                        client, lambda: client.delete(f"/projects/{project_id}/flows", json=body)))
    order = sorted(enumerate(journal.created), key=lambda item: (DELETE_ORDER.index(item[1].kind), -item[0]))
    for _, ref in order:
        await _emit(progress, "rollback", f"deleting {ref.kind} {ref.id}")
        if await _undo(report, ref.kind, ref.id, "delete", lambda ref=ref: delete_resource(client, ref.kind, ref.id)):
            report.deleted.append(ref)
    for ref in journal.deleted:
        report.not_undone.append(UndoFailure(kind=ref.kind, id=ref.id, action="recreate",
                                             error="deleted by this apply (no longer in the spec); apply the previous spec to recreate it"))
    if journal.flow_was_active and journal.flow_id is not None and report.paused:
        flow_id = journal.flow_id
        await _undo(report, "flows", flow_id, "reactivate",
                    lambda: retrying(client, lambda: client.put(f"/flows/{flow_id}/activate", params={"all": 1})))
    return report

async def apply_deployment(client: Any, spec: FlowSpec, progress: ProgressCallback = no_progress) -> DeployResult:
    """Validate, plan and apply ``spec``; verify; roll back on any failure.

    Returns ``status="invalid"`` (nothing sent but GETs) when validation or conflicts stop it,
    ``"unchanged"`` when everything already matched, ``"applied"`` on success, and
    ``"rolled_back"`` with ``failed_step``, ``error`` and the ``rollback`` report on failure.
    Cancellation and KeyboardInterrupt roll back too, then propagate.
    """
    await _emit(progress, "validate", f"validating deployment {spec.name!r}")
    # Validation and planning send only GETs: a transient fault is read again, not reported.
    report = await retry_transient(client, lambda: validate_deployment(client, spec))
    if not report.ok:
        return DeployResult(name=spec.name, status="invalid", validation=report,
                            error={"message": "; ".join(f"{i.path}: {i.message}" for i in report.issues), "exit_code": 5})
    await _emit(progress, "plan", "comparing the spec with what exists")
    existing = await retry_transient(client, lambda: discover(client, spec))
    plan = build_plan(spec, existing, await retry_transient(client, lambda: name_conflicts(client, spec, existing)))
    if plan.conflicts:
        issues = [SpecIssue(path=c.path, message=f"a {c.kind} named {c.name!r} exists but was not created by this deployment")
                  for c in plan.conflicts]
        report.issues.extend(issues)
        report.ok = False
        return DeployResult(name=spec.name, status="invalid", validation=report, plan=plan,
                            error={"message": "; ".join(f"{i.path}: {i.message}" for i in issues), "exit_code": 5})
    runner = _Apply(client, spec, progress)
    try:
        await runner.run(plan)
    except (Exception, asyncio.CancelledError, KeyboardInterrupt) as error:
        async def roll_back() -> RollbackReport:
            await _emit(progress, "rollback", f"{runner.step} failed; rolling back")
            return await rollback(client, runner.journal, progress)

        # A cancelled caller must still get everything undone: the whole rollback (its progress
        # message included, which is itself an await) runs shielded from the cancellation.
        undo = await asyncio.shield(roll_back()) if isinstance(error, asyncio.CancelledError) else await roll_back()
        if not isinstance(error, Exception):
            raise
        failure = error_document(error).as_json()
        failure["message"] = f"{failure.get('message')} (rolled back: {undo.summary})"
        return DeployResult(
            name=spec.name, status="rolled_back", plan=plan, validation=report, failed_step=runner.step,
            error=failure, rollback=undo, source_id=runner.journal.source_id,
        )
    journal = runner.journal
    changed = journal.created or journal.updated or journal.deleted or journal.project_links
    status = "applied" if changed or plan.activate == "activate" else "unchanged"
    tree = runner.tree
    return DeployResult(
        name=spec.name, status=status, flow_id=journal.flow_id, source_id=journal.source_id,
        resources=runner.resources, created=journal.created, adopted=journal.adopted,
        updated=[ref for ref, _ in journal.updated], deleted=journal.deleted,
        linked=[ResourceRef(kind="projects", id=project_id) for project_id, _ in journal.project_links],
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
