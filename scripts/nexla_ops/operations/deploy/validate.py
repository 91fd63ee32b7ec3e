"""Validate a deployment before anything changes: credentials, environment, transforms.

Checks, each reported with the spec path of the field at fault:

* every ``{from_env: VAR}`` credential field has its variable set;
* every credential the spec names by id (or that this deployment created before) probes OK;
* every inline transform is valid for the local engine (the error names the operation index and
  key, e.g. ``nexsets[0].transform.operations[1].condition``) and, when the source already exists
  and its detected nexset has samples, the chain runs on them with no record errors.

Only GET requests are sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from nexla_ops.errors import NexlaError
from nexla_ops.operations.deploy.spec import CredentialDef, CredentialRef, FlowSpec, SpecError, SpecIssue, resolve_fields
from nexla_ops.operations.deploy.state import credential_keys, discover
from nexla_ops.operations.transforms import fetch_samples
from nexla_ops.transform import TransformSpecError, run_on_records, validate_transform

PROBE_OK = {"ok", "success", "verified"}


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

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 5


async def probe(client: Any, credential_id: int) -> tuple[bool, str]:
    """(ok, message) of GET /data_credentials/{id}/probe.

    An error status the server gives the probe is a failed probe. A temporary failure (5xx, 429,
    timeout, open circuit) says nothing about the credential: it is raised, so the caller stops
    with a retryable error instead of blaming the credential.
    """
    try:
        reply = await client.get(f"/data_credentials/{credential_id}/probe")
    except NexlaError as error:
        if error.retryable:
            raise
        return False, error.message
    if reply is None or not isinstance(reply, Mapping):
        return True, str(reply or "ok")
    status = str(reply.get("status", "success")).lower()
    # connection_verified=false with a success status means "accepted, not checked" (no connector to try).
    return status in PROBE_OK, str(reply.get("message") or status)


def check_transform_spec(path: str, transform: dict[str, Any]) -> SpecIssue | None:
    """A SpecIssue naming the failing operation and key, or None when the transform is valid."""
    try:
        validate_transform(transform)
    except TransformSpecError as error:
        where = f"{path}.transform"
        if error.operation_index is not None:
            where += f".operations[{error.operation_index}]"
            if error.field:
                where += f".{error.field}"
        return SpecIssue(path=where, message=str(error))
    return None


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
        ok, message = await probe(client, credential_id)
        checks.append(CredentialCheck(path=path, id=credential_id, status="ok" if ok else "failed", message=message))
        if not ok:
            issues.append(SpecIssue(path=path, message=f"credential {credential_id} failed its probe: {message}"))
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
        issue = check_transform_spec(path, nexset.transform)
        if issue is not None:
            issues.append(issue)
            transforms.append(TransformCheck(path=path, valid=False, message=issue.message))
            samples = None
            continue
        if samples is None:
            transforms.append(TransformCheck(path=path, valid=True, message="valid; no samples to run it on yet"))
            continue
        result = run_on_records(nexset.transform, samples)
        output = result.records(json_safe_values=True)
        check = TransformCheck(path=path, valid=True, checked_on_samples=True, records_in=len(samples),
                               records_out=len(output), record_errors=result.error_count)
        if result.error_count:
            first = result.errors[0]
            where = f"{path}.transform.operations[{first.operation_index}]"
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
    return ValidationReport(name=spec.name, ok=not issues, issues=issues, credentials=checks, transforms=transforms)


__all__ = ["CredentialCheck", "TransformCheck", "ValidationReport", "check_transform_spec", "probe", "validate_deployment"]
