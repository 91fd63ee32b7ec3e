"""Run a transform over an Arrow table: operations in order, bad records set aside, counts kept."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .operations import RUNNERS
from .records import json_safe, records_to_table, table_rows
from .schema import infer_schema
from .spec import parse_transform

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


def apply_transform(spec: dict, table: pa.Table, *, max_errors: int | None = DEFAULT_MAX_ERRORS) -> TransformResult:
    """Apply the transform object ``spec`` to ``table``.

    Raises TransformSpecError for an invalid spec (before touching data). Never raises for bad
    records: a record whose cast or expression fails is removed and reported as a RecordError.
    """
    operations = parse_transform(spec)
    result = TransformResult(table=table)
    for op in operations:
        records_in = table.num_rows
        outcome = RUNNERS[op.name](table, op)  # type: ignore[operator]
        label = f"operations[{op.index}] ({op.name})"
        if records_in:
            result.warnings += [f"{label}: field {name!r} is not in any record" for name in outcome.missing]
        failures = 0
        if outcome.failed is not None:
            failed_rows = pc.indices_nonzero(outcome.failed)
            failures = len(failed_rows)
            room = failures if max_errors is None else max(0, max_errors - len(result.errors))
            picked = failed_rows.slice(0, room).to_pylist()
            for row, record in zip(picked, table_rows(outcome.source, picked)):
                message, field_name = outcome.describe(row)  # type: ignore[misc]
                result.errors.append(RecordError(op.index, op.name, message, record, field_name))
        keep = outcome.keep
        if keep is None and outcome.failed is not None:
            keep = pc.invert(outcome.failed)
        table = outcome.table.filter(keep) if keep is not None else outcome.table
        result.operation_counts.append(OperationCount(op.index, op.name, records_in, table.num_rows, failures))
    result.table = table
    return result


def run_on_records(spec: dict, records: list[dict], *, max_errors: int | None = DEFAULT_MAX_ERRORS) -> TransformResult:
    """Apply ``spec`` to Python records (see ``records_to_table`` for how they are typed)."""
    parse_transform(spec)
    return apply_transform(spec, records_to_table(records), max_errors=max_errors)
