"""Validate a deployment before anything changes: credentials, environment, transforms.

Checks, each reported with the spec path of the field at fault:

* every ``{from_env: VAR}`` credential field has its variable set;
* every credential the spec names by id (or that this deployment created before) probes OK;
* every inline transform is valid for the local engine (the error names the operation index and
  key, e.g. ``nexsets[0].transform.transforms[1]`` or, in the authoring form,
  ``nexsets[0].transform.operations[1].condition``);
* the transforms deploy sends run, chained, on sample records of the source (see
  :func:`read_samples`), and each nexset reports records in and out, its first output records and
  its record errors (operation and record). A transform that leaves no record and failed on some
  (``failed``) is an issue, so apply refuses it; some records failing (the run would quarantine
  them) or every record dropped without an error (a filter may rightly do that on a few samples)
  is a warning. Samples that could not be read (5xx, timeout) make the check ``unknown``, never a
  verdict;
* with ``transform_dialect: official`` (the default) every authoring operation has an exact
  official construct (one issue per operation that has none); with ``authoring`` a warning says
  real Nexla does not document the form sent.

Nothing is changed: GET requests, plus the two read-only probe POSTs (tree, sample) of
``preview_source``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.domain.probe import Probe, probe_verdict
from nexla_ops.errors import NexlaError
from nexla_ops.operations.deploy.spec import CredentialDef, CredentialRef, FlowSpec, SpecError, SpecIssue, resolve_fields
from nexla_ops.operations.deploy.state import Existing, credential_keys, discover
from nexla_ops.operations.preview import PreviewRequest, ProbeFailedError, preview_source
from nexla_ops.operations.transforms import fetch_samples
from nexla_ops.redaction import redact
from nexla_ops.transform import (
    NoOfficialEquivalent,
    RecordError,
    TransformSpecError,
    TransformSpecErrors,
    official_form,
    run_on_records,
    to_official,
    validate_transform,
)
from nexla_ops.transform.official import is_authoring

SAMPLE_SIZE = 5
MAX_SAMPLE_SIZE = 100  # what preview_source reads at most
SHOWN = 3  # output records and record errors shown per nexset
RECORD_BUDGET = 600  # characters of JSON per shown record


class CredentialCheck(BaseModel):
    """Result of probing one credential (pending: created by apply, probed then)."""

    path: str
    id: int | None = None
    status: Literal["ok", "failed", "pending"]
    message: str = ""


@dataclass(frozen=True)
class SampleRead:
    """Sample records of the source and where they came from, or why there are none."""

    status: Literal["read", "unknown", "unavailable", "skipped"]
    message: str
    records: list[dict[str, Any]] | None = None


class SampleError(BaseModel):
    """One record an operation failed on: its spec path, the error, the record as it entered it (clipped)."""

    operation: str
    message: str
    record: dict[str, Any]


class TransformCheck(BaseModel):
    """Result of checking one nexset's transform, and of running it on the samples."""

    path: str
    valid: bool
    samples: Literal["passed", "warning", "failed", "unknown", "not_run"] = "not_run"
    records_in: int = 0
    records_out: int = 0
    record_errors: int = 0
    output: list[dict[str, Any]] = Field(default_factory=list)
    errors: list[SampleError] = Field(default_factory=list)
    message: str = ""


class ValidationReport(BaseModel):
    """Everything validate found; ``ok`` is false when any issue exists (exit code 5)."""

    name: str
    ok: bool
    issues: list[SpecIssue] = Field(default_factory=list)
    credentials: list[CredentialCheck] = Field(default_factory=list)
    transforms: list[TransformCheck] = Field(default_factory=list)
    samples_from: str = ""
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


def _clip(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 120:
        return value[:120] + "…"
    if isinstance(value, list):
        return [_clip(item) for item in value[:5]] + ([f"… {len(value) - 5} more"] if len(value) > 5 else [])
    if isinstance(value, dict):
        return {key: _clip(item) for key, item in value.items()}
    return value


def clip_record(record: dict[str, Any], budget: int = RECORD_BUDGET) -> dict[str, Any]:
    """``record`` fit to show: long strings and lists cut, fields past ``budget`` characters counted,
    and values under secret-looking keys redacted (a sample is data, but it reaches a transcript)."""
    shown: dict[str, Any] = {}
    used = 2
    for key, value in record.items():
        value = _clip(value)
        used += len(json.dumps({key: value}, default=str))
        if used > budget:
            shown["…"] = f"{len(record) - len(shown)} more field(s)"
            break
        shown[key] = value
    return redact(shown)


async def read_samples(client: Any, spec: FlowSpec, existing: Existing, credential: CredentialCheck | None,
                       size: int = SAMPLE_SIZE) -> SampleRead:
    """Sample records of the spec's source, read the way ``preview_source`` reads them.

    With the flow's credential (an ``{id}``, or this deployment's credential found by name and tag)
    and ``source.config.path``: ``probe/tree`` then ``probe/sample``, which works before the source
    exists. A credential that does not exist yet is not replaced by another one that looks alike (a
    different credential may reach other data, so its records would mislead): the read is skipped,
    saying how to get records. When the probe cannot be used and the source already exists, the
    samples of its detected nexset are read instead. A temporary failure (5xx, 429, timeout) gives
    ``unknown``; the API refusing the probe (no such path, no file) gives ``unavailable``.
    """
    if size == 0:
        return SampleRead("skipped", "sample_size is 0")
    if not any(nexset.transform is not None for nexset in spec.nexsets):
        return SampleRead("skipped", "no inline transform to run")
    path = spec.source.config.get("path")
    refused = ""
    if credential is None or credential.id is None:
        why = ("the credential is created by apply, so none can read the source yet; to see records now, use "
               "preview_source with an existing credential, or {id: N} as the spec's credential")
    elif credential.status == "failed":
        why = f"credential {credential.id} failed its probe"
    elif not isinstance(path, str) or not path:
        why = "source.config has no path to sample"
    elif client.settings.read_only:
        why = "read-only mode refuses the probe/sample POST"
    else:
        why = ""
        request = PreviewRequest(credential_id=credential.id, path=path, sample_size=size)
        try:
            preview = await preview_source(client, request)
        except ProbeFailedError as error:
            refused = error.message
        except NexlaError as error:
            if not error.retryable:
                raise
            return SampleRead("unknown", f"samples of {path} could not be read: {error.message}")
        else:
            if preview.sampled_file is not None:
                return SampleRead("read", f"{len(preview.records)} record(s) of {preview.sampled_file} "
                                          f"(credential {credential.id} probe/sample)", preview.records)
            refused = f"no file to sample under {path}"
    if existing.detected is not None:
        nexset_id = int(existing.detected["id"])
        try:
            records = await fetch_samples(client, nexset_id, size)
        except NexlaError as error:
            if not error.retryable:
                raise
            return SampleRead("unknown", f"samples of nexset {nexset_id} could not be read: {error.message}")
        return SampleRead("read", f"{len(records)} sample(s) of the detected nexset {nexset_id} (not read from "
                                  f"the path: {refused or why})", records)
    if refused:
        return SampleRead("unavailable", refused)
    return SampleRead("skipped", why)


def _error_at(path: str, transform: Any, converted: bool, error: RecordError) -> SampleError:
    message = error.message
    if converted:
        # Sent as the official body converted from the authoring form: its steps are not the spec's operations.
        where = f"{path}.transform"
        message = f"sent step transforms[{error.operation_index}] ({error.operation}): {message}"
    else:
        where = operation_path(path, transform, error.operation_index)
    return SampleError(operation=where, message=message, record=clip_record(error.record))


def run_on_samples(check: TransformCheck, transform: Any, dialect: Literal["official", "authoring"],
                   records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]] | None, SpecIssue | None]:
    """Run the transform deploy sends on ``records``, filling ``check``; the output (None when not run)
    and the issue or warning.

    The issue's severity is in ``check.samples``: ``failed`` (nothing survives and records
    failed) is an issue, ``warning`` a warning.
    """
    sent = sent_transform(transform, dialect)
    converted = dialect == "official" and is_authoring(transform)
    try:
        result = run_on_records(sent, records)
    except TransformSpecError as error:
        # Valid, but not runnable here (a javascript nexla.custom script, a limit): say so, decide nothing.
        check.message = f"valid; not run on samples: {error.message}"
        return None, None
    output = result.records(json_safe_values=True)
    check.records_in, check.records_out, check.record_errors = len(records), len(output), result.error_count
    check.output = [clip_record(record) for record in output[:SHOWN]]
    check.errors = [_error_at(check.path, transform, converted, error) for error in result.errors[:SHOWN]]
    counts = f"{len(records)} sample record(s) in, {len(output)} out"
    if not result.error_count:
        check.samples = "warning" if not output else "passed"
        check.message = f"{counts}: every record dropped" if not output else counts
        return output, SpecIssue(path=check.path, message=check.message) if not output else None
    first = check.errors[0]
    check.samples = "failed" if not output else "warning"
    check.message = f"{counts}, {result.error_count} record error(s); first at {first.operation}: {first.message}"
    return output, SpecIssue(path=first.operation, message=check.message)


async def validate_deployment(client: Any, spec: FlowSpec, *, env: Mapping[str, str] | None = None,
                              sample_size: int = SAMPLE_SIZE) -> ValidationReport:
    """Validate ``spec`` against the environment and the server without changing anything.

    ``sample_size`` records of the source are read (0: none) to run the transforms on.
    """
    if not 0 <= sample_size <= MAX_SAMPLE_SIZE:
        raise ValueError(f"sample_size must be from 0 to {MAX_SAMPLE_SIZE}, got {sample_size}")
    issues: list[SpecIssue] = []
    warnings: list[SpecIssue] = []
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
    sample = await read_samples(client, spec, existing, checks[0], sample_size)
    samples = sample.records
    if sample.status in ("unknown", "unavailable"):
        warnings.append(SpecIssue(path="source.config.path", message=f"transforms not run on samples: {sample.message}"))
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
        check = TransformCheck(path=path, valid=True)
        transforms.append(check)
        if sample.status == "unknown":
            check.samples, check.message = "unknown", "valid; samples could not be read"
            continue
        if not samples:
            check.message = "valid; no samples to run it on" if samples is None else "valid; no sample record reaches it"
            samples = None
            continue
        samples, problem = run_on_samples(check, nexset.transform, spec.transform_dialect, samples)
        if problem is not None:
            (issues if check.samples == "failed" else warnings).append(problem)
    for conflict in existing.conflicts:
        issues.append(SpecIssue(
            path="source" if conflict["kind"] == "data_sources" else "credential",
            message=f"{conflict['kind']} {conflict['id']} is named {conflict['name']!r} but was not created by this "
                    f"deployment (no tag {spec.tag}); rename it or the spec's resource",
        ))
    if spec.transform_dialect == "authoring" and any(n.transform is not None for n in spec.nexsets):
        warnings.insert(0, SpecIssue(path="transform_dialect", message=AUTHORING_WARNING))
    return ValidationReport(name=spec.name, ok=not issues, issues=issues, credentials=checks, transforms=transforms,
                            samples_from=sample.message, warnings=warnings)


__all__ = [
    "MAX_SAMPLE_SIZE",
    "SAMPLE_SIZE",
    "CredentialCheck",
    "SampleError",
    "SampleRead",
    "TransformCheck",
    "ValidationReport",
    "check_transform_spec",
    "operation_path",
    "probe",
    "read_samples",
    "run_on_samples",
    "sent_transform",
    "validate_deployment",
]
