"""Reading input files into Arrow tables and writing tables as output files.

Input: json (an array, one object, or one object per line), ndjson, csv, parquet; a `.gz` suffix on a
text file is decompressed. Output: json, ndjson, csv, parquet with compression none, gzip or snappy
(snappy only for parquet).

JSON records are schemaless, so one file may hold a record whose field does not fit the type every
other record has (a string `qty` among numbers). Such records are not forced into the table: they
come back as `RejectedRecord`s (quarantined, counted as errors by the run) and the rest keep their
natural types.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import pathlib
from collections import Counter, defaultdict
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

INPUT_FORMATS = ("json", "ndjson", "csv", "parquet")
OUTPUT_FORMATS = ("json", "ndjson", "csv", "parquet")
COMPRESSIONS = ("none", "gzip", "snappy")

_EXTENSIONS = {
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_FORMAT_ALIASES = {"jsonl": "ndjson", "json_lines": "ndjson", "pq": "parquet"}


class FormatError(ValueError):
    """A file that cannot be read as its format, or an output setting that cannot be written."""


@dataclasses.dataclass(frozen=True)
class RejectedRecord:
    """A record kept out of the table, with why (for error counts, logs and the run's error sample)."""

    record: Any
    message: str


@dataclasses.dataclass(frozen=True)
class ReadResult:
    table: pa.Table
    rejected: list[RejectedRecord]


def normalize_format(value: str | None, *, field: str, allowed: tuple[str, ...]) -> str | None:
    """Lower-case a format name, resolve aliases, and refuse unknown names naming `field`."""
    if value is None or str(value).strip() == "":
        return None
    name = _FORMAT_ALIASES.get(str(value).strip().lower(), str(value).strip().lower())
    if name not in allowed:
        raise FormatError(f"{field} {value!r} is not supported; use one of {', '.join(allowed)}")
    return name


def format_of(path: pathlib.Path) -> str | None:
    """The input format implied by a file name (`orders.json.gz` -> json), None if not a data file."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return _EXTENSIONS.get(suffixes[-1]) if suffixes else None


def read_file(path: pathlib.Path, file_format: str | None = None) -> ReadResult:
    """Read one input file; `file_format` overrides the extension. Raises FormatError or OSError."""
    fmt = file_format or format_of(path)
    if fmt is None:
        raise FormatError(f"cannot tell the format of {path.name}; set source_config.file_format")
    if fmt == "parquet":
        try:
            return ReadResult(pq.read_table(path), [])
        except pa.ArrowException as exc:
            raise FormatError(f"{path.name} is not readable as parquet: {exc}") from exc
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise FormatError(f"{path.name} is not valid gzip: {exc}") from exc
    if fmt == "csv":
        try:
            return ReadResult(pa_csv.read_csv(io.BytesIO(raw)), [])
        except pa.ArrowException as exc:
            raise FormatError(f"{path.name} is not readable as csv: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path.name} is not UTF-8 text: {exc}") from exc
    records, rejected = _parse_json_text(text, path.name, lines_only=(fmt == "ndjson"))
    result = records_to_table(records)
    return ReadResult(result.table, rejected + result.rejected)


def _parse_json_text(text: str, name: str, *, lines_only: bool) -> tuple[list[dict], list[RejectedRecord]]:
    stripped = text.strip()
    if not stripped:
        return [], []
    if not lines_only:
        try:
            whole = json.loads(stripped)
        except json.JSONDecodeError:
            if stripped.startswith("["):
                raise FormatError(f"{name} is not valid JSON") from None
        else:
            items = whole if isinstance(whole, list) else [whole]
            return _split_objects(items, name)
    records: list[dict] = []
    rejected: list[RejectedRecord] = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(RejectedRecord(line, f"{name} line {number}: invalid JSON ({exc.msg})"))
            continue
        good, bad = _split_objects([item], f"{name} line {number}")
        records.extend(good)
        rejected.extend(bad)
    return records, rejected


def _split_objects(items: list, where: str) -> tuple[list[dict], list[RejectedRecord]]:
    good = [item for item in items if isinstance(item, dict)]
    bad = [RejectedRecord(item, f"{where}: a record must be a JSON object") for item in items if not isinstance(item, dict)]
    return good, bad


def records_to_table(records: list[dict]) -> ReadResult:
    """Build a table from JSON-like records, quarantining records whose field types conflict."""
    if not records:
        return ReadResult(pa.table({}), [])
    try:
        return ReadResult(pa.Table.from_struct_array(pa.array(records)), [])
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    expected = _majority_kinds(records)
    kept: list[dict] = []
    rejected: list[RejectedRecord] = []
    for record in records:
        problem = _first_conflict(record, "", expected)
        if problem is None:
            kept.append(record)
        else:
            rejected.append(RejectedRecord(record, problem))
    try:
        table = pa.Table.from_struct_array(pa.array(kept)) if kept else pa.table({})
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise FormatError(f"records cannot be given one consistent type: {exc}") from exc
    return ReadResult(table, rejected)


def _kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "array"


def _walk(value: Any, path: str, seen: dict[str, Counter]) -> None:
    kind = _kind(value)
    if kind is None:
        return
    seen[path][kind] += 1
    if kind == "object":
        for key, item in value.items():
            _walk(item, f"{path}.{key}" if path else key, seen)
    elif kind == "array":
        for item in value:
            _walk(item, f"{path}[]", seen)


def _majority_kinds(records: list[dict]) -> dict[str, str]:
    seen: dict[str, Counter] = defaultdict(Counter)
    for record in records:
        _walk(record, "", seen)
    # Ties go to the most general kind so that a 50/50 column keeps every value as text.
    order = {"string": 0, "object": 1, "array": 2, "number": 3, "boolean": 4}
    return {path: min(counts, key=lambda k: (-counts[k], order[k])) for path, counts in seen.items()}


def _first_conflict(value: Any, path: str, expected: dict[str, str]) -> str | None:
    kind = _kind(value)
    if kind is None:
        return None
    want = expected.get(path)
    if want is not None and kind != want:
        shown = json.dumps(value)[:60]
        return f"field '{path or '<record>'}' should be {want} like the other records, got {kind} {shown}"
    if kind == "object":
        for key, item in value.items():
            problem = _first_conflict(item, f"{path}.{key}" if path else key, expected)
            if problem:
                return problem
    elif kind == "array":
        for item in value:
            problem = _first_conflict(item, f"{path}[]", expected)
            if problem:
                return problem
    return None


def output_extension(data_format: str, compression: str) -> str:
    """File suffix for an output file (`.parquet`, `.json.gz`, ...)."""
    suffix = f".{data_format}"
    if compression == "gzip" and data_format != "parquet":
        suffix += ".gz"
    return suffix


def check_output(data_format: str | None, compression: str | None) -> tuple[str, str]:
    """Validate and default a sink's `data_format`/`file_compression` (json, none when unset)."""
    fmt = normalize_format(data_format, field="sink_config.data_format", allowed=OUTPUT_FORMATS) or "json"
    comp = (str(compression).strip().lower() if compression not in (None, "") else "none")
    if comp not in COMPRESSIONS:
        raise FormatError(f"sink_config.file_compression {compression!r} is not supported; use none, gzip or snappy")
    if comp == "snappy" and fmt != "parquet":
        raise FormatError(
            f"sink_config.file_compression 'snappy' applies to parquet only; use gzip or none for {fmt}"
        )
    return fmt, comp


def encode_table(table: pa.Table, data_format: str, compression: str) -> bytes:
    """Serialise a table as an output file's bytes."""
    if data_format == "parquet":
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression=compression)  # type: ignore[arg-type]  # validated at create
        return buffer.getvalue()
    records = table.to_pylist()
    if data_format == "json":
        data = json.dumps(records, default=str).encode()
    elif data_format == "ndjson":
        data = "".join(json.dumps(record, default=str) + "\n" for record in records).encode()
    else:
        data = _csv_bytes(table)
    return gzip.compress(data, mtime=0) if compression == "gzip" else data


def _csv_bytes(table: pa.Table) -> bytes:
    # CSV has no nesting: objects become dotted columns, arrays become JSON text.
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    columns = [table.column(name).to_pylist() for name in table.column_names]
    for row in zip(*columns):
        writer.writerow([_csv_cell(value) for value in row])
    return out.getvalue().encode()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return value
