"""Table-level implementations of the transform operations (one function per operation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from .compute import pc

from . import convert
from .evaluate import Evaluator, value_text
from .fields import get_field, remove_field, set_field
from .limits import Limits

# A table's own columns are chunked; computed ones are plain arrays. pa.table takes both.
Column = pa.Array | pa.ChunkedArray
from .spec import Compute, Default, Drop, Filter, Flatten, Rename, Select, Typecast


@dataclass
class Outcome:
    """An operation's result.

    ``table`` is the output before failed rows are removed; ``failed`` marks failed rows (aligned
    with ``source``, the table the messages describe); ``keep`` (aligned with ``table``) selects the
    rows that survive, absent meaning all rows without failures.
    """

    table: pa.Table
    source: pa.Table
    failed: pa.Array | None = None
    describe: Callable[[int], tuple[str, str | None]] | None = None
    keep: pa.Array | None = None
    missing: tuple[str, ...] = ()


def flatten(table: pa.Table, op: Flatten, limits: Limits) -> Outcome:
    values = get_field(table, op.path)
    if values is None or pa.types.is_null(values.type):
        # No record has an array there, and a record without one is dropped (as with an empty array).
        missing = (op.path,) if values is None else ()
        return Outcome(remove_field(table, op.path).slice(0, 0), table, missing=missing)
    prefix = op.alias or op.path
    position = table.column_names.index(op.path) if op.path in table.column_names else table.num_columns
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        parents = pc.list_parent_indices(values)
        elements = pc.list_flatten(values)
        base = remove_field(table, op.path).take(parents)
        if pa.types.is_struct(elements.type):
            new = [(f"{prefix}.{elements.type.field(i).name}", pc.struct_field(elements, [i]))
                   for i in range(elements.type.num_fields)]
        else:
            new = [(prefix, elements)]
    elif pa.types.is_struct(values.type):
        base = remove_field(table, op.path)
        new = [(f"{prefix}.{values.type.field(i).name}", pc.struct_field(values, [i]))
               for i in range(values.type.num_fields)]
    else:
        return Outcome(table, table)
    new_names = {name for name, _ in new}
    columns: list[tuple[str, Column]] = [(name, base.column(name)) for name in base.column_names if name not in new_names]
    position = min(position, len(columns))
    columns[position:position] = new
    return Outcome(_table(columns, base), table)


def rename(table: pa.Table, op: Rename, limits: Limits) -> Outcome:
    found = {source: get_field(table, source) for source in op.fields}
    missing = tuple(source for source, values in found.items() if values is None)
    moves = {source: values for source, values in found.items() if values is not None}
    targets = {op.fields[source] for source in moves}
    working = table
    for source in moves:
        if source not in table.column_names:
            working = remove_field(working, source)
    columns: list[tuple[str, Column]] = []
    placed: set[str] = set()
    for name in working.column_names:
        if name in moves:
            columns.append((op.fields[name], moves[name]))
            placed.add(name)
        elif name not in targets:
            columns.append((name, working.column(name)))
    columns += [(op.fields[source], values) for source, values in moves.items() if source not in placed]
    return Outcome(_table(columns, table), table, missing=missing)


def select(table: pa.Table, op: Select, limits: Limits) -> Outcome:
    columns: dict[str, pa.Array] = {}
    missing = []
    for name in op.fields:
        values = get_field(table, name)
        if values is None:
            missing.append(name)
        else:
            columns.setdefault(name, values)
    return Outcome(_table(list(columns.items()), table), table, missing=tuple(missing))


def drop(table: pa.Table, op: Drop, limits: Limits) -> Outcome:
    result = table
    missing = []
    for name in op.fields:
        if get_field(result, name) is None:
            missing.append(name)
        result = remove_field(result, name)
    return Outcome(result, table, missing=tuple(missing))


def default(table: pa.Table, op: Default, limits: Limits) -> Outcome:
    result = table
    for name, value in op.values.items():
        literal = pa.array([value])
        values = get_field(result, name)
        if values is None:
            filled = pa.repeat(literal[0], result.num_rows) if value is not None else pa.nulls(result.num_rows)
        else:
            target = convert.common_type([values.type, literal.type])
            filled = convert.cast_to(values, target)
            if value is not None:
                filled = pc.fill_null(filled, convert.cast_to(literal, target)[0])
        result = set_field(result, name, filled)
    return Outcome(result, table)


def typecast(table: pa.Table, op: Typecast, limits: Limits) -> Outcome:
    result = table
    failures: list[tuple[pa.Array, str, pa.Array, str]] = []
    missing = []
    for name, type_name in op.fields.items():
        values = get_field(result, name)
        if values is None:
            missing.append(name)
            continue
        converted, failed = convert.CONVERTERS[type_name](values)
        failures.append((pc.fill_null(failed, False), name, values, type_name))
        result = set_field(result, name, converted)
    failed_rows = _combine([mask for mask, *_ in failures])

    def describe(row: int) -> tuple[str, str | None]:
        for mask, name, values, type_name in failures:
            if mask[row].as_py():
                return f"cannot cast {name} value {value_text(values[row].as_py())} to {type_name}", name
        return "cast failed", None

    return Outcome(result, table, failed_rows, describe, missing=tuple(missing))


def compute(table: pa.Table, op: Compute, limits: Limits) -> Outcome:
    evaluator = Evaluator(table, limits)
    values = evaluator.evaluate(op.expression)
    result = set_field(table, op.target, values)
    return Outcome(
        result, table, evaluator.failed_rows(), _describer(evaluator, op.target),
        missing=tuple(sorted(evaluator.missing_fields)),
    )


def filter_rows(table: pa.Table, op: Filter, limits: Limits) -> Outcome:
    evaluator = Evaluator(table, limits)
    keep = pc.fill_null(evaluator.condition(op.condition), False)
    failed = evaluator.failed_rows()
    if failed is not None:
        keep = pc.and_(keep, pc.invert(failed))
    return Outcome(
        table, table, failed, _describer(evaluator, None), keep=keep,
        missing=tuple(sorted(evaluator.missing_fields)),
    )


def _table(columns: list[tuple[str, Column]], rows_like: pa.Table) -> pa.Table:
    """A table of ``columns``; with none, an empty-schema table keeping ``rows_like``'s row count."""
    if not columns:
        return rows_like.select([])
    return pa.table([array for _, array in columns], names=[name for name, _ in columns])


def _describer(evaluator: Evaluator, target: str | None) -> Callable[[int], tuple[str, str | None]]:
    def describe(row: int) -> tuple[str, str | None]:
        message, field = evaluator.describe_row(row)
        return message, field or target

    return describe


def _combine(masks: list[pa.Array]) -> pa.Array | None:
    combined = None
    for mask in masks:
        combined = mask if combined is None else pc.or_(combined, mask)
    if combined is None or not pc.any(combined).as_py():
        return None
    return combined


RUNNERS: dict[str, Callable[[pa.Table, Any, Limits], Outcome]] = {
    "flatten": flatten,
    "rename": rename,
    "select": select,
    "drop": drop,
    "default": default,
    "typecast": typecast,
    "compute": compute,
    "filter": filter_rows,
}
