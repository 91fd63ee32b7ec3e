"""Transform validation: check a nexset transform whole and run it on sample records locally.

The transform is given inline (the official ``{version, data_maps, transforms, custom_config}``, a
bare Jolt list, a reusable ``{code, code_type}``, or the authoring ``{"version": 1, "operations":
[...]}``) or as a reusable transform's id. Records come inline, from a file (JSON array, NDJSON
or CSV) or from a nexset's samples. The result lists every static mistake at once; for a valid
transform it carries the output records (capped), the output schema, per-operation counts, record
errors with the index of the operation that raised them, and the official body that would be
sent to Nexla (or, for authoring operations without an official equivalent, why not).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, model_validator

from nexla_ops.transform import (
    NoOfficialEquivalent,
    TransformSpecError,
    TransformSpecErrors,
    run_on_records,
    to_official,
    transform_problems,
)

DEFAULT_SAMPLE_COUNT = 10


class TransformValidationRequest(BaseModel):
    """What to validate and on which records. Give exactly one of ``transform`` or ``transform_id``,
    and at most one of ``records``, ``records_file`` or ``nexset_id`` (none checks the spec only)."""

    transform: dict[str, Any] | list[Any] | None = Field(
        default=None,
        description="The inline transform: official {version, data_maps, transforms: [...], custom_config}, "
        "a Jolt list, {code, code_type}, or the authoring {version, operations: [...]}.",
    )
    transform_id: int | None = Field(default=None, ge=1, description="A reusable transform (/transforms) to check instead.")
    records: list[dict[str, Any]] | None = Field(default=None, description="Sample records given inline.")
    records_file: Path | None = Field(
        default=None, description="File of sample records: a JSON array, NDJSON (one object per line) or CSV with a header."
    )
    nexset_id: int | None = Field(default=None, description="Fetch sample records from this nexset's samples.")
    sample_count: int = Field(default=DEFAULT_SAMPLE_COUNT, ge=1, le=1000, description="Samples to fetch from the nexset.")
    max_output_records: int = Field(default=20, ge=0, le=10_000, description="Output records returned (the rest are counted).")

    @model_validator(mode="after")
    def _one_record_source(self) -> TransformValidationRequest:
        if (self.transform is None) == (self.transform_id is None):
            raise ValueError("give exactly one of transform, transform_id")
        given = [name for name in ("records", "records_file", "nexset_id") if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"give only one of records, records_file, nexset_id (got {', '.join(given)})")
        return self


class TransformErrorItem(BaseModel):
    """One problem: a spec error (``record`` None) or a record that an operation removed."""

    operation_index: int | None = None
    field: str | None = None
    message: str
    record: dict[str, Any] | None = Field(default=None, description="The record as it entered the failing operation.")


class OperationCount(BaseModel):
    """Records entering and leaving one operation, and how many failed in it."""

    operation_index: int
    operation: str
    records_in: int
    records_out: int
    errors: int = 0


class TransformValidationResult(BaseModel):
    """Outcome of a validation. ``exit_code``: 0 clean, 2 invalid spec, 5 valid spec with record errors."""

    valid: bool = Field(description="The transform spec itself is valid.")
    records_in: int = 0
    records_out: int = 0
    records: list[dict[str, Any]] = Field(default_factory=list, description="Output records, up to max_output_records.")
    truncated: bool = Field(default=False, description="More output records exist than returned.")
    output_schema: dict[str, Any] | None = None
    operation_counts: list[OperationCount] = Field(default_factory=list)
    errors: list[TransformErrorItem] = Field(default_factory=list, description="Spec error, or a sample of record errors.")
    error_count: int = Field(default=0, description="All record errors (errors holds a sample).")
    warnings: list[str] = Field(default_factory=list, description="E.g. fields an operation referenced that no record had.")
    records_source: str = Field(default="none", description="Where the input records came from.")
    official_transform: dict[str, Any] | None = Field(
        default=None, description="The official body sent to Nexla for this transform (None when it has no equivalent).")
    not_official: list[TransformErrorItem] = Field(
        default_factory=list, description="Authoring operations with no official Nexla equivalent (cannot be deployed).")

    @property
    def exit_code(self) -> int:
        if not self.valid:
            return 2
        return 5 if self.error_count or self.errors else 0


def load_records_file(path: Path) -> list[dict[str, Any]]:
    """Read records from a JSON array, NDJSON or CSV file (chosen by content, CSV by extension).

    Raises ValueError naming the file and line when the content is not a list of objects.
    """
    text = Path(path).read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        return [dict(row) for row in csv.DictReader(io.StringIO(text))]
    stripped = text.strip()
    if not stripped:
        return []
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(f"records file {path}: invalid JSON at line {error.lineno}: {error.msg}") from None
        return _objects(data, str(path))
    records = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ValueError(f"records file {path}: line {number} is not JSON ({error.msg}); use a JSON array, NDJSON or .csv") from None
    return _objects(records, str(path))


def _objects(data: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError(f"{where}: records must be a list of JSON objects")
    return data


def unwrap_samples(samples: Any) -> list[dict[str, Any]]:
    """Records from a nexset samples reply (bare records or ``{rawMessage, nexlaMetaData}`` wrappers)."""
    if isinstance(samples, dict):
        samples = samples.get("data") or samples.get("samples") or []
    records = []
    for item in samples or []:
        if isinstance(item, dict):
            raw = item.get("rawMessage", item.get("raw_message"))
            records.append(raw if isinstance(raw, dict) else item)
    return records


async def fetch_samples(client: Any, nexset_id: int, count: int = DEFAULT_SAMPLE_COUNT) -> list[dict[str, Any]]:
    """Sample records of a nexset (empty when it has none yet)."""
    samples = await client.get(
        f"/data_sets/{nexset_id}/samples", params={"count": count, "include_metadata": "false", "live": "false"}
    )
    return unwrap_samples(samples)


def _item(error: TransformSpecError) -> TransformErrorItem:
    return TransformErrorItem(operation_index=error.operation_index, field=error.field, message=error.message)


def run_check(transform: Any, records: list[dict[str, Any]], *, max_output: int = 20) -> TransformValidationResult:
    """Check ``transform`` (every static mistake at once) and run it on ``records`` locally; no API call."""
    problems = transform_problems(transform)
    if problems:
        return TransformValidationResult(valid=False, records_in=len(records), errors=[_item(p) for p in problems])
    official: dict[str, Any] | None = None
    not_official: list[TransformErrorItem] = []
    try:
        official = to_official(transform).as_body()
    except NoOfficialEquivalent as missing:
        not_official = [_item(error) for error in missing.errors]
    try:
        result = run_on_records(transform, records)
    except TransformSpecError as error:
        # Valid, but this call cannot run it (a nexla.custom script not run here, a limit).
        found = error.errors if isinstance(error, TransformSpecErrors) else [error]
        return TransformValidationResult(
            valid=True, records_in=len(records), errors=[_item(e) for e in found], official_transform=official,
            not_official=not_official, warnings=[e.message for e in not_official],
        )
    output = result.records(json_safe_values=True)
    return TransformValidationResult(
        valid=True,
        official_transform=official,
        not_official=not_official,
        records_in=len(records),
        records_out=len(output),
        records=output[:max_output],
        truncated=len(output) > max_output,
        output_schema=result.output_schema,
        operation_counts=[OperationCount(**count.as_dict()) for count in result.operation_counts],
        errors=[
            TransformErrorItem(operation_index=e.operation_index, field=e.field, message=e.message, record=e.record)
            for e in result.errors
        ],
        error_count=result.error_count,
        warnings=[e.message for e in not_official] + list(result.warnings),
    )


async def validate_transform(client: Any | None, request: TransformValidationRequest) -> TransformValidationResult:
    """Check a transform spec and run it on sample records with the local engine.

    ``client`` is only needed for ``request.nexset_id`` or ``request.transform_id`` (read over the
    API). An invalid spec gives ``valid=False`` with every mistake in ``errors``, each with its
    operation index; record-level failures are listed there too, with their operation index.
    """
    transform = request.transform
    if request.transform_id is not None:
        if client is None:
            raise ValueError("transform_id needs an API client (configure NEXLA_API_URL and NEXLA_SERVICE_KEY)")
        reusable = await client.get(f"/transforms/{request.transform_id}")
        transform = {"code": reusable.get("code"), "code_type": reusable.get("code_type") or "jolt_standard"}
    if request.records is not None:
        records, where = request.records, "inline"
    elif request.records_file is not None:
        records, where = load_records_file(request.records_file), f"file {request.records_file}"
    elif request.nexset_id is not None:
        if client is None:
            raise ValueError("nexset_id needs an API client (configure NEXLA_API_URL and NEXLA_SERVICE_KEY)")
        records, where = await fetch_samples(client, request.nexset_id, request.sample_count), f"nexset {request.nexset_id} samples"
    else:
        records, where = [], "none"
    result = run_check(transform, records, max_output=request.max_output_records)
    result.records_source = where
    return result


__all__ = [
    "OperationCount",
    "TransformErrorItem",
    "TransformValidationRequest",
    "TransformValidationResult",
    "fetch_samples",
    "load_records_file",
    "run_check",
    "unwrap_samples",
    "validate_transform",
]
