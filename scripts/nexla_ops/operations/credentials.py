"""Credential probe and rotation.

Rotation replaces a credential with a new one under every source and destination that uses it,
without leaving anything half-switched:

1. read the old credential; take the new secret fields from environment variables (never from
   arguments, so no secret is on a command line or in a tool call);
2. create the new credential (same type; name ``<old name> (rotated <date>)`` by default) with the
   old one's non-secret fields (``credentials_non_secure_data``) under the fields given;
3. probe it: a failed probe stops here (the new credential is deleted);
4. find the dependents: ``referenced_resource_ids`` when the API returns it, otherwise a paginated
   scan of sources and destinations for ``data_credentials_id == old``;
5. pause the dependents that are active (the resource itself: that is what holds the credential);
6. switch each dependent over (``PUT {"data_credentials_id": new}``);
7. reactivate what was active;
8. verify: every dependent reads back on the new credential, active ones are active again, and a
   second probe of the new credential succeeds (real Nexla cannot trigger a run on demand);
9. retire the old credential (delete it, or keep it with ``keep_old``) only after all of the above.

Any failure in steps 3 to 8 rolls back: dependents are switched back to the old credential,
whatever was active is reactivated, and the new credential is deleted. Every step, including each
rollback action, is reported in :class:`RotationResult`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nexla_ops.errors import NexlaError, NotFoundError
from nexla_ops.domain import ErrorDocument, Probe, ProbeVerdict, error_document, probe_verdict
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress
from nexla_ops.operations.rotation_access import RotationDiff, carried_fields, copy_accessors, rotation_diff
from nexla_ops.secrets import EnvRef, SecretRef, UserRef, literal_secret_message, resolve_secret
from nexla_ops.resources import ResourceKind

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient

DEPENDENT_KINDS = (ResourceKind.SOURCES, ResourceKind.DESTINATIONS)
_SCAN_PAGE = 100


class ProbeResult(BaseModel):
    """Whether the API could connect with a credential: the one probe verdict of
    :mod:`nexla_ops.domain.probe` (an outage is ``unknown`` and retryable, never ``failed``)."""

    credential_id: int
    verdict: ProbeVerdict
    # The server's own status word when it gave one, else the verdict.
    status: str
    message: str | None = None
    verified: bool
    retryable: bool = False

    @property
    def exit_code(self) -> int:
        """0 passed; 6 (retry) when the API could not probe it now; 5 when it failed or cannot be verified."""
        if self.verified:
            return 0
        return 6 if self.retryable else 5

    @classmethod
    def of(cls, probe: Probe, body: Any = None) -> ProbeResult:
        word = body.get("status") if isinstance(body, Mapping) and isinstance(body.get("status"), str) else None
        status = word or ("success" if probe.passed else probe.verdict)
        return cls(credential_id=probe.credential_id, verdict=probe.verdict, status=status,
                   message=probe.message or None, verified=probe.passed, retryable=probe.retryable)


async def probe_credential(client: AsyncNexlaClient, credential_id: int) -> ProbeResult:
    """Probe a credential (``GET /data_credentials/{id}/probe``).

    Judged by :func:`nexla_ops.domain.probe_verdict`: ``{output}`` or a success status passes; an
    error status about the connection fails; an outage (5xx, 429, timeout, open circuit) is
    ``unknown`` and retryable. A missing credential (404) is raised.
    """
    try:
        body = await client.get(f"/data_credentials/{credential_id}/probe")
    except NotFoundError:
        raise
    except NexlaError as error:
        return ProbeResult.of(probe_verdict(credential_id, error))
    return ProbeResult.of(probe_verdict(credential_id, body), body)


class RotationRequest(BaseModel):
    """What to rotate and where the new secret fields come from.

    ``fields_from_env`` maps credential field -> environment variable holding its value;
    ``fields_from_user`` maps field -> what to ask the user, for a face that can ask out of band
    (``{from_user: LABEL}`` in :mod:`nexla_ops.secrets`); ``fields`` holds non-secret settings such
    as ``region``. The new credential also keeps every non-secret field of the old one not given
    here, so rotating a secret needs only the new secret.
    """

    model_config = ConfigDict(extra="forbid")

    credential_id: int = Field(gt=0)
    fields_from_env: dict[str, str] = Field(default_factory=dict)
    fields_from_user: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, Any] = Field(default_factory=dict, description="non-secret fields, e.g. region")
    name: str | None = Field(default=None, description="default: '<old name> (rotated <date>)'")
    keep_old: bool = False
    dry_run: bool = False

    @field_validator("fields_from_env", "fields_from_user")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for field, var in value.items():
            if not field.strip() or not var.strip():
                raise ValueError("entries map a FIELD to an environment variable (or a label), both non-empty")
        return value

    @field_validator("fields")
    @classmethod
    def _no_plain_secret(cls, value: dict[str, Any]) -> dict[str, Any]:
        # A secret given plainly has passed through a command line or the model: refuse it for every face.
        for field in sorted(value):
            if literal_secret_message(field):
                raise ValueError(
                    f"{field} looks secret: give it with fields_from_env (--fields-from-env {field}=ENV_VAR) "
                    "or, through the MCP server, fields_from_user (the user types it on a local page)"
                )
        return value


StepStatus = Literal["done", "failed", "skipped", "planned"]


class RotationStep(BaseModel):
    """One step of a rotation or of its rollback."""

    step: str
    status: StepStatus
    detail: str = ""
    resource_type: ResourceKind | None = None
    resource_id: int | None = None
    error: ErrorDocument | None = None


class Dependent(BaseModel):
    """A source or destination that uses the credential being rotated."""

    resource_type: ResourceKind
    id: int
    name: str | None = None
    status: str | None = None

    @property
    def active(self) -> bool:
        return (self.status or "").upper() == "ACTIVE"


class RotationResult(BaseModel):
    """How a rotation ended and every step taken.

    ``outcome``: ``rotated`` (all done), ``rotated_old_kept`` (done, old credential kept on
    request), ``retire_failed`` (switched over, but deleting the old credential failed),
    ``rolled_back`` (a step failed and everything was put back), ``rollback_incomplete`` (some
    rollback action failed: see the steps), or ``planned`` (dry run).
    """

    outcome: Literal[
        "rotated", "rotated_old_kept", "retire_failed", "rolled_back", "rollback_incomplete", "planned"
    ]
    old_credential_id: int
    new_credential_id: int | None = None
    new_credential_name: str | None = None
    dependents: list[Dependent]
    steps: list[RotationStep]
    error: ErrorDocument | None = Field(default=None, description="the failure that caused a rollback")
    diff: RotationDiff | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.outcome in ("rotated", "rotated_old_kept", "planned") else 1


def _secret_fields(request: RotationRequest, environ: Mapping[str, str]) -> dict[str, Any]:
    missing = [f"{var} (for {field})" for field, var in request.fields_from_env.items() if var not in environ]
    if missing:
        raise ValueError(
            f"environment variable(s) not set: {', '.join(missing)}; export them before rotating"
        )
    empty = [f"{var} (for {field})" for field, var in request.fields_from_env.items() if not environ[var]]
    if empty:
        raise ValueError(f"environment variable(s) are empty: {', '.join(empty)}")
    overlap = set(request.fields) & (set(request.fields_from_env) | set(request.fields_from_user))
    if overlap:
        raise ValueError(
            f"field(s) given both plainly and as a secret: {', '.join(sorted(overlap))}"
        )
    # Through resolve_secret, so the caller's secret policy applies (the MCP server allows only
    # its allowed variables, only into secret fields) and every value is registered for scrubbing.
    refs: dict[str, SecretRef] = {field: EnvRef(from_env=var) for field, var in request.fields_from_env.items()}
    refs.update({field: UserRef(from_user=label) for field, label in request.fields_from_user.items()})
    values = {field: resolve_secret(ref, field, environ) for field, ref in refs.items()}
    if not values and not request.fields:
        raise ValueError("no credential fields given: pass fields_from_env (FIELD=ENV_VAR) for every secret")
    return {**request.fields, **values}


async def _scan(client: AsyncNexlaClient, kind: ResourceKind, credential_id: int) -> list[Dependent]:
    return [
        Dependent(resource_type=kind, id=row["id"], name=row.get("name"), status=row.get("status"))
        # Every dependent, also those shared with the caller: without access_role only owned ones are listed.
        async for row in client.paginate(kind.path, params={"access_role": "collaborator"}, per_page=_SCAN_PAGE)
        if row.get("data_credentials_id") == credential_id
    ]


async def find_dependents(client: AsyncNexlaClient, credential: Mapping[str, Any]) -> list[Dependent]:
    """Sources and destinations using ``credential`` (``referenced_resource_ids`` or a scan)."""
    credential_id = int(credential["id"])
    refs = credential.get("referenced_resource_ids")
    if not isinstance(refs, Mapping):
        return [d for kind in DEPENDENT_KINDS for d in await _scan(client, kind, credential_id)]
    dependents: list[Dependent] = []
    for kind in DEPENDENT_KINDS:
        for resource_id in refs.get(kind.value) or []:
            try:
                row = await client.get(f"{kind.path}/{resource_id}")
            except NotFoundError:
                continue
            if row.get("data_credentials_id") == credential_id:
                dependents.append(
                    Dependent(
                        resource_type=kind, id=row["id"], name=row.get("name"), status=row.get("status")
                    )
                )
    return dependents


class _Rotation:
    """The state of one rotation run, so rollback knows exactly what to undo."""

    def __init__(self, client: AsyncNexlaClient, old_id: int, progress: ProgressCallback) -> None:
        self.client = client
        self.old_id = old_id
        self.progress = progress
        self.steps: list[RotationStep] = []
        self.new_id: int | None = None
        self.paused: list[Dependent] = []
        self.touched: list[Dependent] = []
        self.reactivated: list[Dependent] = []

    async def note(
        self,
        step: str,
        status: StepStatus,
        detail: str = "",
        dependent: Dependent | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.steps.append(
            RotationStep(
                step=step,
                status=status,
                detail=detail,
                resource_type=dependent.resource_type if dependent else None,
                resource_id=dependent.id if dependent else None,
                error=error_document(error) if error else None,
            )
        )
        where = f" {dependent.resource_type.label} {dependent.id}" if dependent else ""
        await self.progress(
            ProgressEvent(step=step, message=f"{status}{where}{': ' + detail if detail else ''}")
        )

    async def rollback(self) -> bool:
        """Undo in reverse: switch back, reactivate, delete the new credential. True if all worked."""
        complete = True
        for dep in self.reactivated:
            # Switch back with the resource paused, as during the forward switch.
            try:
                await self.client.put(f"{dep.resource_type.path}/{dep.id}/pause")
                await self.note("rollback: pause", "done", "", dep)
            except NexlaError as error:
                complete = False
                await self.note("rollback: pause", "failed", "", dep, error)
        for dep in reversed(self.touched):
            try:
                await self.client.put(
                    f"{dep.resource_type.path}/{dep.id}", json={"data_credentials_id": self.old_id}
                )
                await self.note("rollback: switch back", "done", f"to credential {self.old_id}", dep)
            except NexlaError as error:
                complete = False
                await self.note("rollback: switch back", "failed", "still on the new credential?", dep, error)
        for dep in self.paused:
            try:
                await self.client.put(f"{dep.resource_type.path}/{dep.id}/activate")
                await self.note("rollback: reactivate", "done", "", dep)
            except NexlaError as error:
                complete = False
                await self.note("rollback: reactivate", "failed", "left paused", dep, error)
        if self.new_id is not None:
            try:
                await self.client.delete(f"/data_credentials/{self.new_id}")
                await self.note("rollback: delete new credential", "done", f"credential {self.new_id}")
            except NotFoundError:
                await self.note(
                    "rollback: delete new credential", "done", f"credential {self.new_id} already gone"
                )
            except NexlaError as error:
                complete = False
                await self.note(
                    "rollback: delete new credential",
                    "failed",
                    f"credential {self.new_id} remains",
                    error=error,
                )
        return complete


def _default_name(old_name: str) -> str:
    return f"{old_name} (rotated {datetime.now(UTC).date().isoformat()})"


async def rotate_credential(
    client: AsyncNexlaClient,
    request: RotationRequest,
    progress: ProgressCallback = no_progress,
    *,
    environ: Mapping[str, str] | None = None,
) -> RotationResult:
    """Rotate a credential under every source and destination using it; roll back on any failure.

    ``environ`` (default ``os.environ``) supplies the values named in ``request.fields_from_env``.
    Raises ValueError for bad input and NexlaError when the old credential cannot be read or the
    new one cannot be created (nothing has changed then); later failures are rolled back and
    reported in the result (``outcome`` ``rolled_back``).
    """
    given = _secret_fields(request, os.environ if environ is None else environ)
    old = await client.get(f"/data_credentials/{request.credential_id}", params={"expand": 1})
    carried = carried_fields(old, given)
    fields = {**carried, **given}
    run = _Rotation(client, request.credential_id, progress)
    dependents = await find_dependents(client, old)
    name = request.name or _default_name(str(old.get("name") or f"credential {request.credential_id}"))
    await run.note("find dependents", "done", f"{len(dependents)} source(s)/destination(s) use it")
    if request.dry_run:
        for step, detail in (
            ("create new credential", f"{old.get('credentials_type')} credential named {name!r}"
             + (f", keeping {', '.join(sorted(carried))}" if carried else "")),
            ("copy accessors", "the old credential's accessors, same roles"),
            ("probe new credential", ""),
            ("pause", f"{sum(d.active for d in dependents)} active dependent(s)"),
            ("switch", f"{len(dependents)} dependent(s) to the new credential"),
            ("reactivate", "what was active"),
            ("verify", "dependents on the new credential, active again, probe passes"),
            (
                "retire old credential",
                "keep" if request.keep_old else f"delete credential {request.credential_id}",
            ),
        ):
            await run.note(step, "planned", detail)
        return RotationResult(
            outcome="planned",
            old_credential_id=request.credential_id,
            new_credential_name=name,
            dependents=dependents,
            steps=run.steps,
            diff=await rotation_diff(client, old, fields, {**carried, **request.fields}),
        )

    body = {"name": name, "credentials_type": old.get("credentials_type"), "credentials": fields}
    if old.get("tags"):
        body["tags"] = list(old["tags"])
    if old.get("description"):
        body["description"] = old["description"]
    created = await client.post("/data_credentials", json=body)
    run.new_id = int(created["id"])
    kept = f", kept {', '.join(sorted(carried))} from the old one" if carried else ""
    await run.note("create new credential", "done", f"credential {run.new_id}{kept}")

    failure: BaseException | None = None
    try:
        granted = await copy_accessors(client, request.credential_id, run.new_id)
        await run.note("copy accessors", "done", "; ".join(granted) or "none to copy")
        await _switch_over(run, dependents)
    except (NexlaError, _StepFailed) as error:
        failure = error
    if failure is not None:
        complete = await run.rollback()
        return RotationResult(
            outcome="rolled_back" if complete else "rollback_incomplete",
            old_credential_id=request.credential_id,
            new_credential_id=run.new_id,
            new_credential_name=name,
            dependents=dependents,
            steps=run.steps,
            error=ErrorDocument(error="check_failed", type="CheckFailed", message=str(failure), exit_code=5)
            if isinstance(failure, _StepFailed)
            else error_document(failure),
        )

    outcome: Literal["rotated", "rotated_old_kept", "retire_failed"] = "rotated"
    if request.keep_old:
        outcome = "rotated_old_kept"
        await run.note(
            "retire old credential", "skipped", f"credential {request.credential_id} kept as asked"
        )
    else:
        try:
            await client.delete(f"/data_credentials/{request.credential_id}")
            await run.note("retire old credential", "done", f"deleted credential {request.credential_id}")
        except NexlaError as error:
            outcome = "retire_failed"
            await run.note(
                "retire old credential",
                "failed",
                f"flows run on the new credential; delete credential {request.credential_id} later",
                error=error,
            )
    if request.name is None and outcome != "retire_failed":
        name = await _take_over_name(run, old, name, keep_old=request.keep_old)
    return RotationResult(
        outcome=outcome,
        old_credential_id=request.credential_id,
        new_credential_id=run.new_id,
        new_credential_name=name,
        dependents=dependents,
        steps=run.steps,
    )


async def _take_over_name(run: _Rotation, old: dict[str, Any], temporary_name: str, *, keep_old: bool) -> str:
    """Give the new credential the old one's name, so specs and people that name it keep working.

    The new credential already carries the old one's tags, so a deployment spec that created the old
    credential finds the new one on its next apply instead of switching the flows back. A kept old
    credential is renamed ``<name> (retired <date>)`` and loses those tags first. A failure here
    changes nothing that runs: the flows already use the new credential; the step says what to do.
    """
    client = run.client
    old_name = str(old.get("name") or "")
    if not old_name:
        return temporary_name
    try:
        if keep_old:
            retired = f"{old_name} (retired {datetime.now(UTC).date().isoformat()})"
            await client.put(f"/data_credentials/{run.old_id}", json={"name": retired, "tags": []})
        await client.put(f"/data_credentials/{run.new_id}", json={"name": old_name})
    except NexlaError as error:
        await run.note(
            "take over name", "failed", f"rename credential {run.new_id} to {old_name!r} by hand", error=error
        )
        return temporary_name
    await run.note("take over name", "done", f"credential {run.new_id} is now {old_name!r}")
    return old_name


class _StepFailed(Exception):
    """A check failed without an API error (probe not verified, read-back mismatch)."""


async def _put_step(
    run: _Rotation, step: str, dep: Dependent, suffix: str, body: dict[str, Any] | None = None, detail: str = ""
) -> None:
    """One PUT on a dependent, noted as a step; a failure is noted and re-raised for rollback."""
    try:
        await run.client.put(f"{dep.resource_type.path}/{dep.id}{suffix}", json=body)
    except NexlaError as error:
        await run.note(step, "failed", "", dep, error)
        raise
    await run.note(step, "done", detail, dep)


async def _switch_over(run: _Rotation, dependents: list[Dependent]) -> None:
    client = run.client
    assert run.new_id is not None
    try:
        probe = await probe_credential(client, run.new_id)
    except NexlaError as error:
        await run.note("probe new credential", "failed", "", error=error)
        raise
    if not probe.verified:
        await run.note("probe new credential", "failed", probe.message or probe.status)
        raise _StepFailed(f"the new credential did not verify ({probe.verdict}): {probe.message or probe.status}")
    await run.note("probe new credential", "done", probe.message or probe.status)

    for dep in dependents:
        if dep.active:
            await _put_step(run, "pause", dep, "/pause")
            run.paused.append(dep)

    for dep in dependents:
        # Recorded before the request: if it fails midway, rollback still switches it back.
        run.touched.append(dep)
        await _put_step(run, "switch", dep, "", {"data_credentials_id": run.new_id}, f"to credential {run.new_id}")

    for dep in list(run.paused):
        await _put_step(run, "reactivate", dep, "/activate")
        run.reactivated.append(dep)

    for dep in dependents:
        try:
            row = await client.get(f"{dep.resource_type.path}/{dep.id}")
        except NexlaError as error:
            await run.note("verify", "failed", "", dep, error)
            raise
        problems = []
        if row.get("data_credentials_id") != run.new_id:
            problems.append(f"uses credential {row.get('data_credentials_id')}")
        if dep.active and str(row.get("status", "")).upper() != "ACTIVE":
            problems.append(f"status {row.get('status')} (was ACTIVE)")
        if problems:
            await run.note("verify", "failed", "; ".join(problems), dep)
            raise _StepFailed(f"{dep.resource_type.label} {dep.id} " + "; ".join(problems))
        await run.note("verify", "done", "on the new credential", dep)
    try:
        probe = await probe_credential(client, run.new_id)
    except NexlaError as error:
        await run.note("verify", "failed", "second probe", error=error)
        raise
    if not probe.verified:
        await run.note("verify", "failed", f"second probe: {probe.message or probe.status}")
        raise _StepFailed(f"the new credential stopped verifying: {probe.message or probe.status}")
    await run.note("verify", "done", "new credential probes OK")


__all__ = [
    "Dependent",
    "ProbeResult",
    "RotationRequest",
    "RotationResult",
    "RotationStep",
    "find_dependents",
    "probe_credential",
    "rotate_credential",
]
