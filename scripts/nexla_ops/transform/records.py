"""Conversions between Python records (lists of dicts) and Arrow tables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from .errors import TransformSpecError
from .limits import MAX_RECORD_DEPTH


def records_to_table(records: list[dict]) -> pa.Table:
    """A table holding ``records``, tolerant of ragged and mixed records.

    Columns are the union of all keys in first-seen order; a key missing from a record is null
    there. A field whose values have conflicting types (``1`` and ``"x"``, an object and a number)
    becomes a string column (objects and arrays as JSON text, booleans as ``true``/``false``);
    integers mixed with floats become floats. Nested objects become structs whose fields are the
    union of the keys seen, arrays become lists, recursively.
    """
    if not isinstance(records, list):
        raise TransformSpecError(f"records must be a list of objects, got {type(records).__name__}")
    columns: dict[str, None] = {}
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise TransformSpecError(f"records[{position}] must be an object, got {type(record).__name__}")
        for key in record:
            if not isinstance(key, str):
                raise TransformSpecError(f"records[{position}] has a non-string key {key!r}")
            columns.setdefault(key, None)
        if _depth(record) > MAX_RECORD_DEPTH:
            raise TransformSpecError(f"records[{position}] is nested deeper than {MAX_RECORD_DEPTH} levels")
    arrays = [_column([record.get(name) for record in records]) for name in columns]
    if not arrays:
        # A table without columns still needs its row count, which only a struct array can carry.
        empty = pa.StructArray.from_arrays([], names=[], mask=pa.array([False] * len(records), pa.bool_()))
        return pa.Table.from_batches([pa.RecordBatch.from_struct_array(empty)])
    return pa.Table.from_arrays(arrays, names=list(columns))


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest in ``value``, without recursion (it may be very deep)."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_RECORD_DEPTH:
            return deepest
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _column(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        pass
    present = [value for value in values if value is not None]
    if present and all(isinstance(value, dict) for value in present):
        keys: dict[str, None] = {}
        for value in present:
            keys.update(dict.fromkeys(value))
        children = [_column([None if value is None else value.get(key) for value in values]) for key in keys]
        mask = pa.array([value is None for value in values])
        return pa.StructArray.from_arrays(children, names=list(keys), mask=mask)
    if present and all(isinstance(value, list) for value in present):
        offsets, flat, total = [0], [], 0
        for value in values:
            if value is not None:
                flat.extend(value)
                total += len(value)
            offsets.append(total)
        items = _column(flat)
        offset_array = pa.array(offsets, pa.int32())
        mask = pa.array([value is None for value in values])
        return pa.ListArray.from_arrays(offset_array, items, mask=mask)
    return pa.array([None if value is None else _as_text(value) for value in values], pa.string())


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def json_safe(value: Any) -> Any:
    """``value`` with datetimes and dates as ISO-8601 strings and bytes as text, ready for json.dumps."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def table_rows(table: pa.Table, rows: Iterable[int], *, safe: bool = True) -> list[dict]:
    """The given rows of ``table`` as dicts (JSON-safe unless ``safe`` is false)."""
    picked = table.take(pa.array(list(rows), pa.int64())).to_pylist()
    return [json_safe(row) for row in picked] if safe else picked
