"""Input readers, output writers and connector path rules."""

from __future__ import annotations

import gzip
import json
import pathlib

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nexla_sandbox.runtime.formats import FormatError, check_output, encode_table, output_extension, read_file
from nexla_sandbox.runtime.paths import ConnectorPathError, resolve_path

RECORDS = [
    {"id": 1, "name": "a", "tags": ["x"], "nested": {"n": 1.5}},
    {"id": 2, "name": "b", "tags": [], "nested": {"n": 2.0}},
]


@pytest.mark.parametrize("data_format,compression", [
    ("parquet", "none"), ("parquet", "gzip"), ("parquet", "snappy"),
    ("json", "none"), ("json", "gzip"), ("ndjson", "none"), ("ndjson", "gzip"),
])
def test_round_trip_keeps_records(tmp_path: pathlib.Path, data_format: str, compression: str) -> None:
    table = pa.Table.from_pylist(RECORDS)
    path = tmp_path / f"out{output_extension(data_format, compression)}"
    path.write_bytes(encode_table(table, data_format, compression))
    assert read_file(path).table.to_pylist() == RECORDS
    if data_format == "parquet":
        codec = pq.ParquetFile(path).metadata.row_group(0).column(0).compression
        assert codec == {"none": "UNCOMPRESSED", "gzip": "GZIP", "snappy": "SNAPPY"}[compression]
    elif compression == "gzip":
        assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_csv_flattens_nesting_and_round_trips_scalars(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "out.csv.gz"
    path.write_bytes(encode_table(pa.Table.from_pylist(RECORDS), "csv", "gzip"))
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert lines[0] == "id,name,tags,nested.n"
    rows = read_file(path).table.to_pylist()
    assert [r["id"] for r in rows] == [1, 2] and json.loads(rows[0]["tags"]) == ["x"] and rows[1]["nested.n"] == 2.0


def test_snappy_refused_for_text_formats() -> None:
    with pytest.raises(FormatError, match="snappy' applies to parquet only"):
        check_output("json", "snappy")
    with pytest.raises(FormatError, match="sink_config.data_format 'xml'"):
        check_output("xml", None)
    assert check_output(None, None) == ("json", "none")


def test_json_array_lines_and_single_object(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(RECORDS))
    (tmp_path / "b.json").write_text("\n".join(json.dumps(r) for r in RECORDS))
    (tmp_path / "c.json").write_text(json.dumps(RECORDS[0]))
    assert read_file(tmp_path / "a.json").table.to_pylist() == RECORDS
    assert read_file(tmp_path / "b.json").table.to_pylist() == RECORDS
    assert read_file(tmp_path / "c.json").table.to_pylist() == RECORDS[:1]


def test_conflicting_record_is_quarantined_not_coerced(tmp_path: pathlib.Path) -> None:
    rows = [{"qty": 1}, {"qty": 2}, {"qty": "two"}, {"qty": None}]
    (tmp_path / "q.ndjson").write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    result = read_file(tmp_path / "q.ndjson")
    assert result.table.column("qty").to_pylist() == [1, 2, None]
    assert result.table.schema.field("qty").type == pa.int64()
    messages = sorted(bad.message for bad in result.rejected)
    assert "field 'qty' should be number" in messages[0] and "line 5: invalid JSON" in messages[1]
    assert {"qty": "two"} in [bad.record for bad in result.rejected]


def test_unreadable_json_array_is_a_format_error(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.json").write_text('[{"a": 1}, ')
    with pytest.raises(FormatError, match="bad.json is not valid JSON"):
        read_file(tmp_path / "bad.json")


@pytest.mark.parametrize("path", ["../secrets", "ingest/../../x", "/etc/passwd", "C:\\Windows", "s3://../up"])
def test_paths_outside_the_root_are_refused(tmp_path: pathlib.Path, path: str) -> None:
    with pytest.raises(ConnectorPathError, match="source_config.path"):
        resolve_path(tmp_path, "s3", path, field="source_config.path")


def test_paths_resolve_under_the_type_root(tmp_path: pathlib.Path) -> None:
    assert resolve_path(tmp_path, "gcs", "ingest/orders/") == tmp_path / "gcs" / "ingest" / "orders"
    assert resolve_path(tmp_path, "s3", "s3://bucket/a") == tmp_path / "s3" / "bucket" / "a"
    assert resolve_path(tmp_path, "azure_blb", None) == tmp_path / "azure_blb"
