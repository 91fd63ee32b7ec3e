"""Validate a deployment before anything changes: credentials, environment, transforms.

Checks, each reported with the spec path of the field at fault:

* every ``{from_env: VAR}`` credential field has its variable set;
* every credential the spec names by id (or that this deployment created before) probes OK;
* every inline transform is valid for the local engine (the error names the operation index and
  key, e.g. ``nexsets[0].transform.transforms[1]`` or, in the authoring form,
  ``nexsets[0].transform.operations[1].condition``) and, when the source already exists and its
  detected nexset has samples, the transform deploy sends runs on them with no record errors;
* with ``transform_dialect: official`` (the default) every authoring operation has an exact
  official construct (one issue per operation that has none); with ``authoring`` a warning says
  real Nexla does not document the form sent.

Only GET requests are sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.domain.probe import Probe, probe_verdict
from nexla_ops.errors import NexlaError
from nexla_ops.operations.deploy.spec import CredentialDef, CredentialRef, FlowSpec, SpecError, SpecIssue, resolve_fields
from nexla_ops.operations.deploy.state import credential_keys, discover
from nexla_ops.operations.transforms import fetch_samples
from nexla_ops.transform import (
    NoOfficialEquivalent,
    TransformSpecError,
    TransformSpecErrors,
    official_form,
    run_on_records,
    to_official,
    validate_transform,
)



class CredentialCheck(BaseModel):
    """Result of probing one credential."""

    path: str
    id: int | None = None
    status: str = Field(description="ok, failed, or pending (created by apply, probed then).")
    message: str = ""


class TransformCheck(BaseModel):
    """Result of checking one nexset's transform."""

    path: str
    valid: bool
    checked_on_samples: bool = False
    records_in: int | None = None
    records_out: int | None = None
    record_errors: int = 0
    message: str = ""


class ValidationReport(BaseModel):
    """Everything validate found; ``ok`` is false when any issue exists (exit code 5)."""

    name: str
    ok: bool
    issues: list[SpecIssue] = Field(default_factory=list)
    credentials: list[CredentialCheck] = Field(default_factory=list)
    transforms: list[TransformCheck] = Field(default_factory=list)
    # Not errors: what works on the sandbox but not on real Nexla (transform_dialect: authoring).
    warnings: list[SpecIssue] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 5


async def probe(client: Any, credential_id: int) -> Probe:
    """The verdict of GET /data_credentials/{id}/probe, by the one rule in ``nexla_ops.domain.probe``.

    A temporary failure (5xx, 429, timeout, open circuit) says nothing about the credential: it is
    raised, so deploy stops with a retryable error instead of blaming the credential.
    """
    try:
        reply = await client.get(f"/data_credentials/{credential_id}/probe")
    except NexlaError as error:
        if error.retryable:
            raise
        return probe_verdict(credential_id, error)
    return probe_verdict(credential_id, reply)


NO_EQUIVALENT_FIX = (
    "express it as official Jolt operations or a nexla.custom script (TRANSFORMS.md, \"What is sent to Nexla\"), "
    "or set transform_dialect: authoring for the local sandbox only"
)
AUTHORING_WARNING = (
    "transform_dialect is authoring: the authoring {version: 1, operations: [...]} form is sent as written; the "
    "local sandbox runs it but real Nexla does not document it, so deploy to real Nexla in the official form"
)


def operation_path(path: str, transform: Any, index: int | None, field: str | None = None) -> str:
    """``PATH.transform.transforms[N]`` for an official transform, ``.operations[N]`` for the authoring form."""
    where = f"{path}.transform"
    if index is None:
        return where
    try:
        authoring = official_form(transform) is None
    except TransformSpecError:
        authoring = False
    where += f".operations[{index}]" if authoring else f".transforms[{index}]"
    return f"{where}.{field}" if field and authoring else where


def _issues(path: str, transform: Any, error: TransformSpecError, fix: str = "") -> list[SpecIssue]:
    found = error.errors if isinstance(error, TransformSpecErrors) else [error]
    # A missing equivalent is the whole operation's, not one key's (its field is the operation's kind).
    return [SpecIssue(path=operation_path(path, transform, e.operation_index, None if fix else e.field),
                      message=f"{e.message}; {fix}" if fix else e.message) for e in found]


def check_transform_spec(path: str, transform: Any,
                         dialect: Literal["official", "authoring"] = "official") -> list[SpecIssue]:
    """Every problem of the transform deploy would send for ``path`` ([] when it is valid).

    In the official dialect an authoring operation with no exact official construct is a problem
    of its own, named with its index and kind and the way to express it instead.
    """
    try:
        if dialect == "authoring":
            validate_transform(transform)
        else:
            to_official(transform)
    except NoOfficialEquivalent as error:
        return _issues(path, transform, error, NO_EQUIVALENT_FIX)
    except TransformSpecError as error:
        return _issues(path, transform, error)
    return []


def sent_transform(transform: Any, dialect: Literal["official", "authoring"]) -> dict[str, Any] | list[Any]:
    """The transform as deploy sends it: the official body, or (authoring dialect) the spec's as written.

    Raises TransformSpecError when the transform is invalid or has no official form (check first).
    """
    if dialect == "authoring":
        return transform
    return to_official(transform).as_body()


def _bad_path(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = re.sub(r"^[a-z0-9]+://", "", value.strip())
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text):
        return f"must be relative to the bucket/container root; got absolute path {value!r}"
    if ".." in re.split(r"[\\/]+", text):
        return f"must not contain '..' segments; got {value!r}"
    return None


def check_paths(spec: FlowSpec) -> list[SpecIssue]:
    """Object-store paths (``config.path``) must stay inside their bucket: relative, no ``..``."""
    found = []
    configs = [("source.config", spec.source.config)]
    configs += [(f"destinations[{i}].config", d.config) for i, d in enumerate(spec.destinations)]
    for where, config in configs:
        problem = _bad_path(config.get("path"))
        if problem:
            found.append(SpecIssue(path=f"{where}.path", message=problem))
    return found


async def validate_deployment(client: Any, spec: FlowSpec, *, env: Mapping[str, str] | None = None) -> ValidationReport:
    """Validate ``spec`` against the environment and the server without changing anything."""
    issues: list[SpecIssue] = []
    for path, credential in credential_keys(spec):
        if isinstance(credential, CredentialDef):
            try:
                resolve_fields(credential.fields, f"{path}.fields", env)
            except SpecError as error:
                issues.extend(error.issues)
    issues.extend(check_paths(spec))
    existing = await discover(client, spec)
    checks: list[CredentialCheck] = []
    for path, credential in credential_keys(spec):
        if isinstance(credential, CredentialRef):
            credential_id: int | None = credential.id
        else:
            record = existing.credentials.get(credential.name)
            credential_id = int(record["id"]) if record else None
        if credential_id is None:
            checks.append(CredentialCheck(path=path, status="pending", message="created and probed by apply"))
            continue
        verdict = await probe(client, credential_id)
        checks.append(CredentialCheck(path=path, id=credential_id, status="failed" if verdict.failed else "ok",
                                      message=verdict.message))
        if verdict.failed:
            issues.append(SpecIssue(path=path, message=f"credential {credential_id} failed its probe: {verdict.message}"))
    samples: list[dict[str, Any]] | None = None
    if existing.detected is not None:
        samples = await fetch_samples(client, int(existing.detected["id"])) or None
    transforms: list[TransformCheck] = []
    for index, nexset in enumerate(spec.nexsets):
        path = f"nexsets[{index}]"
        if nexset.transform is None:
            transforms.append(TransformCheck(path=path, valid=True, message=f"reusable transform {nexset.transform_id}: not run locally"))
            samples = None
            continue
        found = check_transform_spec(path, nexset.transform, spec.transform_dialect)
        if found:
            issues.extend(found)
            transforms.append(TransformCheck(path=path, valid=False, message="; ".join(i.message for i in found)))
            samples = None
            continue
        if samples is None:
            transforms.append(TransformCheck(path=path, valid=True, message="valid; no samples to run it on yet"))
            continue
        sent = sent_transform(nexset.transform, spec.transform_dialect)
        result = run_on_records(sent, samples)
        output = result.records(json_safe_values=True)
        check = TransformCheck(path=path, valid=True, checked_on_samples=True, records_in=len(samples),
                               records_out=len(output), record_errors=result.error_count)
        if result.error_count:
            first = result.errors[0]
            where = operation_path(path, sent, first.operation_index)
            check.message = f"{result.error_count} record error(s) on samples; first: {first.message}"
            issues.append(SpecIssue(path=where, message=check.message))
        transforms.append(check)
        samples = output
    for conflict in existing.conflicts:
        issues.append(SpecIssue(
            path="source" if conflict["kind"] == "data_sources" else "credential",
            message=f"{conflict['kind']} {conflict['id']} is named {conflict['name']!r} but was not created by this "
                    f"deployment (no tag {spec.tag}); rename it or the spec's resource",
        ))
    warnings = [SpecIssue(path="transform_dialect", message=AUTHORING_WARNING)] \
        if spec.transform_dialect == "authoring" and any(n.transform is not None for n in spec.nexsets) else []
    return ValidationReport(name=spec.name, ok=not issues, issues=issues, credentials=checks, transforms=transforms,
                            warnings=warnings)


__all__ = [
    "CredentialCheck",
    "TransformCheck",
    "ValidationReport",
    "check_transform_spec",
    "operation_path",
    "probe",
    "sent_transform",
    "validate_deployment",
]
