"""Transform validation: inline records, files (JSON array, NDJSON, CSV), nexset samples."""

from __future__ import annotations

import json

import pytest

from nexla_ops.operations.transforms import TransformValidationRequest, load_records_file, validate_transform
from tests.helpers.deploy import TRANSFORM, client_for

ORDERS = [
    {"order_id": 1, "status": "PAID", "line_items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]},
    {"order_id": 2, "status": "CANCELLED", "line_items": [{"sku": "C", "qty": 1}]},
]


async def test_inline_records_give_output_schema_and_counts():
    result = await validate_transform(None, TransformValidationRequest(transform=TRANSFORM, records=ORDERS, max_output_records=1))
    assert result.valid and result.exit_code == 0
    assert result.records_out == 2 and len(result.records) == 1 and result.truncated
    assert [(c.operation, c.records_in, c.records_out) for c in result.operation_counts] == [
        ("flatten", 2, 3), ("rename", 3, 3), ("filter", 3, 2)]
    assert "sku" in result.output_schema["properties"]


async def test_invalid_spec_names_operation_index():
    bad = {"version": 1, "operations": [{"operation": "filter", "condition": "qty >"}]}
    result = await validate_transform(None, TransformValidationRequest(transform=bad, records=ORDERS))
    assert not result.valid and result.exit_code == 2
    assert result.errors[0].operation_index == 0 and result.errors[0].field == "condition"


async def test_record_errors_carry_operation_index():
    cast = {"version": 1, "operations": [{"operation": "flatten", "path": "line_items"},
                                         {"operation": "typecast", "fields": {"line_items.qty": "integer"}}]}
    records = [{"status": "PAID", "line_items": [{"qty": "two"}]}, {"status": "PAID", "line_items": [{"qty": 3}]}]
    result = await validate_transform(None, TransformValidationRequest(transform=cast, records=records))
    assert result.valid and result.exit_code == 5 and result.error_count == 1
    assert result.errors[0].operation_index == 1 and "two" in result.errors[0].message
    assert result.records_out == 1


@pytest.mark.parametrize("suffix", [".json", ".ndjson", ".csv"])
def test_records_files(tmp_path, suffix):
    path = tmp_path / f"records{suffix}"
    rows = [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]
    if suffix == ".json":
        path.write_text(json.dumps(rows))
    elif suffix == ".ndjson":
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    else:
        path.write_text("a,b\n1,x\n2,y\n")
    assert load_records_file(path) == rows


def test_bad_records_file_names_the_line(tmp_path):
    path = tmp_path / "bad.ndjson"
    path.write_text('{"a": 1}\nnot json\n')
    with pytest.raises(ValueError, match="line 2"):
        load_records_file(path)


def test_only_one_record_source():
    with pytest.raises(ValueError, match="only one of"):
        TransformValidationRequest(transform=TRANSFORM, records=[], nexset_id=3)


async def test_nexset_samples(sandbox):
    from nexla_sandbox.runtime.demo import write_demo_data

    write_demo_data(sandbox.data_dir)
    async with client_for(sandbox) as client:
        credential = await client.post("/data_credentials", json={"name": "c", "credentials_type": "s3",
                                                                  "credentials": {"secret_access_key": "sekret-123"}})
        source = await client.post("/data_sources", json={"name": "s", "source_type": "s3", "data_credentials_id": credential["id"],
                                                          "source_config": {"path": "ingest/orders/", "file_format": "json"}})
        await client.put(f"/data_sources/{source['id']}/activate")
        detected = (await client.get(f"/data_sources/{source['id']}", params={"expand": 1}))["data_sets"][0]["id"]
        result = await validate_transform(client, TransformValidationRequest(transform=TRANSFORM, nexset_id=detected, sample_count=5))
    assert result.records_in == 5 and result.records_source == f"nexset {detected} samples"
    assert all("sku" in r for r in result.records)
