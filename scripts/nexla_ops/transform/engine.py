"""Run a transform over an Arrow table: operations in order, bad records set aside, counts kept."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
from .compute import pc

from .errors import TransformSpecError, TransformSpecErrors
from .limits import Deadline, Limits, TransformLimitError
from .official import OfficialTransform, check_official, official_form, run_official
from .operations import RUNNERS
from .records import json_safe, records_to_table, table_rows
from .schema import infer_schema
from .spec import check_transform, parse_transform

DEFAULT_MAX_ERRORS = 1000


@dataclass(frozen=True)
class RecordError:
    """A record removed by ``operation`` (at ``operation_index``) because of ``message``.

    ``record`` is the record as it entered that operation (JSON-safe), ``field`` the field at fault
    when one is known (the cast field, or the field that held a bad value).
    """

    operation_index: int
    operation: str
    message: str
    record: dict
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OperationCount:
    """Records into and out of one operation, and how many of them failed."""

    operation_index: int
    operation: str
    records_in: int
    records_out: int
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TransformResult:
    """The transformed ``table`` plus what happened on the way.

    ``errors`` holds up to ``max_errors`` record errors (a sample); ``error_count`` counts them all.
    ``warnings`` names fields an operation referenced that no record had (often a typo).
    """

    table: pa.Table
    errors: list[RecordError] = field(default_factory=list)
    operation_counts: list[OperationCount] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return sum(count.errors for count in self.operation_counts)

    @property
    def output_schema(self) -> dict:
        return infer_schema(self.table)

    def records(self, *, json_safe_values: bool = False) -> list[dict]:
        """The output records; with ``json_safe_values`` timestamps and dates become ISO strings."""
        rows = self.table.to_pylist()
        return [json_safe(row) for row in rows] if json_safe_values else rows


def apply_transform(spec: Any, table: pa.Table, *, max_errors: int | None = DEFAULT_MAX_ERRORS,
                    limits: Limits | None = None) -> TransformResult:
    """Apply the transform ``spec`` (any accepted form, see ``check``) to ``table``.

    Raises TransformSpecError for an invalid spec (before touching data) and TransformLimitError
    when the call as a whole goes over a limit (time, batch size). Never raises for bad records: a
    record an operation cannot handle is removed and reported as a RecordError.
    """
    limits = limits or Limits.from_env()
    deadline = Deadline(limits)
    form = official_form(spec)
    if form is not None:
        return _apply_official(form, table, max_errors, limits, deadline)
    operations = parse_transform(spec, limits=limits)
    result = TransformResult(table=table)
    for op in operations:
        label = f"operations[{op.index}] ({op.name})"
        deadline.check(label, op.index)
        records_in = table.num_rows
        outcome = RUNNERS[op.name](table, op, limits)
        if records_in:
            result.warnings += [f"{label}: field {name!r} is not in any record" for name in outcome.missing]
        failures = 0
        if outcome.failed is not None:
            failed_rows = pc.indices_nonzero(outcome.failed)
            failures = len(failed_rows)
            room = failures if max_errors is None else max(0, max_errors - len(result.errors))
            picked = failed_rows.slice(0, room).to_pylist()
            describe = outcome.describe
            for row, record in zip(picked, table_rows(outcome.source, picked)):
                message, field_name = describe(row) if describe is not None else ("failed", None)
                result.errors.append(RecordError(op.index, op.name, message, record, field_name))
        keep = outcome.keep
        if keep is None and outcome.failed is not None:
            keep = pc.invert(outcome.failed)
        table = outcome.table.filter(keep) if keep is not None else outcome.table
        if table.nbytes > limits.max_batch_bytes:
            raise TransformLimitError(f"{label}: the output batch is {table.nbytes} bytes, over the limit of "
                                      f"{limits.max_batch_bytes} bytes", operation_index=op.index)
        result.operation_counts.append(OperationCount(op.index, op.name, records_in, table.num_rows, failures))
    result.table = table
    return result


def _apply_official(form: OfficialTransform, table: pa.Table, max_errors: int | None, limits: Limits,
                    deadline: Deadline) -> TransformResult:
    records = [json_safe(row) for row in table.to_pylist()]
    run = run_official(form, records, limits, deadline)
    errors = [RecordError(index, name, message, record) for index, name, message, record in run.errors]
    output = records_to_table(run.records) if run.records else table.slice(0, 0).select([])
    return TransformResult(
        table=output,
        errors=errors if max_errors is None else errors[:max_errors],
        operation_counts=[OperationCount(*count) for count in run.counts],
    )


def run_on_records(spec: Any, records: list[dict], *, max_errors: int | None = DEFAULT_MAX_ERRORS,
                   limits: Limits | None = None) -> TransformResult:
    """Apply ``spec`` to Python records (see ``records_to_table`` for how they are typed)."""
    validate_transform(spec, limits=limits)
    return apply_transform(spec, records_to_table(records), max_errors=max_errors, limits=limits)


def validate_transform(spec: Any, *, limits: Limits | None = None) -> None:
    """Raise TransformSpecError unless ``spec`` is valid; with several mistakes a TransformSpecErrors
    whose ``errors`` lists every one (see ``transform_problems`` for the accepted forms)."""
    problems = transform_problems(spec, limits=limits)
    if problems:
        raise TransformSpecErrors(problems)


def transform_problems(spec: Any, *, limits: Limits | None = None) -> list[TransformSpecError]:
    """Every static mistake of ``spec`` in one pass (empty when it is valid).

    Accepted forms: the official ``{version, data_maps, transforms, custom_config}``, a bare Jolt
    list, a reusable transform ``{code, code_type}``, and the authoring ``{"version": 1,
    "operations": [...]}``.
    """
    limits = limits or Limits.from_env()
    try:
        form = official_form(spec)
    except TransformSpecError as error:
        problems = [error]
    else:
        problems = check_official(form, limits)[1] if form is not None else check_transform(spec, limits=limits)[1]
    return problems
