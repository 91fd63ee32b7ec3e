"""A source's input files: where they are, how to read them, and their identity for exactly-once delivery."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import pyarrow as pa
import pyarrow.compute as pc

from .formats import INPUT_FORMATS, ReadResult, normalize_format, read_file
from .object_store import input_files
from .paths import OBJECT_STORE_TYPES, WEBHOOK_TYPE, inbox_dir, resolve_path


class SourceConfigError(ValueError):
    """A source whose configuration cannot be read from (unsupported type, bad path, bad format)."""


@dataclasses.dataclass(frozen=True)
class InputFile:
    """One input file; `key` changes whenever the file is rewritten (name, size and mtime)."""

    path: pathlib.Path
    name: str
    size: int
    key: str


def source_config(source: dict) -> dict:
    return source.get("source_config") or {}


def source_format(source: dict) -> str | None:
    config = source_config(source)
    value = config.get("file_format") or config.get("data_format")
    try:
        return normalize_format(value, field="source_config.file_format", allowed=INPUT_FORMATS)
    except ValueError as exc:
        raise SourceConfigError(str(exc)) from exc


def source_inputs(data_dir: pathlib.Path, source: dict) -> list[InputFile]:
    """Every input file the source can read now, in name order (nothing is consumed)."""
    source_type = str(source.get("source_type") or "").lower()
    if source_type in OBJECT_STORE_TYPES:
        try:
            target = resolve_path(data_dir, source_type, source_config(source).get("path"),
                                  field="source_config.path")
        except ValueError as exc:
            raise SourceConfigError(str(exc)) from exc
        base = pathlib.Path(data_dir) / source_type
        files = input_files(target, source_format(source))
    elif source_type == WEBHOOK_TYPE:
        base = pathlib.Path(data_dir) / WEBHOOK_TYPE
        files = input_files(inbox_dir(data_dir, source["id"]), "ndjson")
    else:
        raise SourceConfigError(f"source_type '{source_type}' cannot run in the sandbox; use s3, gcs, azure_blb or nexla_rest")
    found = []
    for path in files:
        stat = path.stat()
        name = f"{source_type}/{path.relative_to(base).as_posix()}"
        found.append(InputFile(path, name, stat.st_size, f"{name}|{stat.st_size}|{stat.st_mtime_ns}"))
    return found


def read_input(source: dict, item: InputFile) -> ReadResult:
    fmt = "ndjson" if str(source.get("source_type")).lower() == WEBHOOK_TYPE else source_format(source)
    return read_file(item.path, fmt)


def sample_table(data_dir: pathlib.Path, source: dict, limit: int) -> pa.Table:
    """Up to `limit` records from the start of the source's input (for discovery and samples)."""
    tables: list[pa.Table] = []
    count = 0
    for item in source_inputs(data_dir, source):
        table = read_input(source, item).table
        if table.num_rows == 0:
            continue
        tables.append(table.slice(0, limit - count))
        count += tables[-1].num_rows
        if count >= limit:
            break
    return concat(tables)


def concat(tables: list[pa.Table]) -> pa.Table:
    """Concatenate tables whose schemas may differ (missing columns become nulls, types widen).

    A column whose types cannot widen into one (text in one file, numbers in the next: an XML push,
    whose values are all text, then a JSON one) becomes text in every table, so each value is kept.
    """
    tables = [table for table in tables if table.num_rows > 0]
    if not tables:
        return pa.table({})
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        conflicting = _conflicting_columns(tables)
        return pa.concat_tables([_as_text(table, conflicting) for table in tables], promote_options="permissive")


def _conflicting_columns(tables: list[pa.Table]) -> set[str]:
    types: dict[str, list[pa.DataType]] = {}
    for table in tables:
        for column in table.schema:
            if not pa.types.is_null(column.type):
                types.setdefault(column.name, []).append(column.type)
    conflicting = set()
    for name, found in types.items():
        try:
            pa.unify_schemas([pa.schema([pa.field(name, kind)]) for kind in found], promote_options="permissive")
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            conflicting.add(name)
    return conflicting


def _as_text(table: pa.Table, names: set[str]) -> pa.Table:
    """``table`` with the named columns as text: scalars cast, nested values as JSON."""
    for name in names & set(table.column_names):
        column = table.column(name)
        text: pa.Array | pa.ChunkedArray = (
            pa.array([None if value is None else json.dumps(value, default=str) for value in column.to_pylist()],
                     pa.string())
            if pa.types.is_nested(column.type) else pc.cast(column, pa.string()))
        table = table.set_column(table.column_names.index(name), name, text)
    return table
