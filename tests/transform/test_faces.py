"""The official format through every face: the operation, the script, the MCP tool, the sandbox's runs."""

from __future__ import annotations

import json
import os
import subprocess

import pyarrow.parquet as pq
import pytest

from nexla_ops.operations.deploy import apply_deployment
from nexla_ops.operations.transforms import TransformValidationRequest, validate_transform
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, client_for, make_spec, run_source
from tests.helpers.mcp import connect, offline_settings, settings_for
from tests.helpers.scripts import run_script

LOCAL_ENV = {k: v for k, v in os.environ.items() if not k.startswith("NEXLA_")}

THREE_MISTAKES = {"version": 1, "transforms": [
    {"operation": "shift", "spec": {"id": "order_id", "*": "&"}},
    {"operation": "shfit", "spec": {}},
    {"operation": "default", "spec": "NEW"},
    {"operation": "modify-overwrite-beta", "spec": {"name": "=toUpperCase"}},
]}
AUTHORING = {"version": 1, "operations": [
    {"operation": "rename", "fields": {"id": "order_id"}},
    {"operation": "compute", "expression": "amount * 2", "as": "double"},
]}


async def test_the_operation_lists_every_mistake_and_the_official_body():
    bad = await validate_transform(None, TransformValidationRequest(transform=THREE_MISTAKES))
    assert not bad.valid and bad.exit_code == 2
    assert [e.operation_index for e in bad.errors] == [1, 2, 3]
    good = await validate_transform(None, TransformValidationRequest(
        transform=THREE_MISTAKES["transforms"][:1], records=[{"id": 1, "x": 2}]))
    assert good.valid and good.records == [{"order_id": 1, "x": 2}]
    assert good.official_transform is not None and good.official_transform["transforms"] == THREE_MISTAKES["transforms"][:1]
    authoring = await validate_transform(None, TransformValidationRequest(transform=AUTHORING, records=[{"id": 1, "amount": 2}]))
    assert authoring.valid and authoring.records == [{"order_id": 1, "amount": 2, "double": 4}]
    assert authoring.official_transform is None
    assert [(e.operation_index, e.field) for e in authoring.not_official] == [(1, "compute")]
    assert any("no official Nexla equivalent" in w for w in authoring.warnings)


def test_the_script_lists_every_mistake():
    result = run_script("validate_transform", "--transform-json", json.dumps(THREE_MISTAKES), "--json", env=LOCAL_ENV)
    assert result.returncode == 2, result.stderr
    errors = json.loads(result.stdout)["result"]["errors"]
    assert [e["operation_index"] for e in errors] == [1, 2, 3]
    text = run_script("validate_transform", "--transform-json", json.dumps(THREE_MISTAKES), env=LOCAL_ENV)
    assert "3 problem(s)" in text.stdout and "unknown function 'toUpperCase'" in text.stdout


def test_the_script_runs_a_raw_jolt_list():
    jolt = [{"operation": "shift", "spec": {"a": "b"}}, {"operation": "modify-overwrite-beta", "spec": {"b": "=toUpper"}}]
    result: subprocess.CompletedProcess[str] = run_script(
        "validate_transform", "--transform-json", json.dumps(jolt), "--records-json", '[{"a": "x", "c": 1}]', "--json",
        env=LOCAL_ENV)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["result"]["records"] == [{"b": "X"}]


async def test_the_mcp_tool_lists_every_mistake():
    async with connect(offline_settings()) as client:
        result = await client.call_tool("validate_transform", {"transform": THREE_MISTAKES})
    payload = result.structured_content
    assert payload is not None and payload["valid"] is False
    assert [e["operation_index"] for e in payload["errors"]] == [1, 2, 3]


async def test_the_mcp_tool_checks_a_reusable_transform_by_id(sandbox):
    code = [{"operation": "shift", "spec": {"id": "order_id"}}, {"operation": "default", "spec": {"status": "NEW"}}]
    with sandbox.client() as http:
        created = http.post("transforms", json={
            "name": "ids", "code": code, "code_type": "jolt_standard", "output_type": "record",
            "code_encoding": "none", "reusable": True})
        assert created.status_code in (200, 201), created.text
    async with connect(settings_for(sandbox)) as client:
        result = await client.call_tool("validate_transform", {"transform_id": created.json()["id"],
                                                               "records": [{"id": 3, "x": 1}]})
    payload = result.structured_content
    assert payload is not None and payload["valid"], payload
    assert payload["records"] == [{"order_id": 3, "status": "NEW"}]


OFFICIAL_FLOW = {"version": 1, "data_maps": [], "custom_config": {}, "transforms": [
    {"operation": "shift", "spec": {"order_id": "order_id", "status": "status",
                                    # A literal key takes its element away from "*", as in Jolt.
                                    "line_items": {"0": {"sku": "first_sku", "qty": "quantities[]"},
                                                   "*": {"qty": "quantities[]"}}}},
    {"operation": "modify-overwrite-beta", "spec": {"status": "=toLower", "items": "=size(@(1,quantities))"}},
    {"operation": "remove", "spec": {"quantities": ""}},
]}


async def test_the_sandbox_runs_an_official_transform_for_real(sandbox, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    demo = write_demo_data(sandbox.data_dir, orders=30, files=1)
    spec = make_spec(nexsets=[{"name": "official-items", "transform": OFFICIAL_FLOW}])
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, spec)
        assert result.status == "applied", result.error
        run = run_source(sandbox, result.source_id)
        assert run["status"] != "FAILED", run
        derived = next(r for r in result.created if r.kind == "data_sets" and r.name == "official-items")
        parent = (await client.get(f"/data_sets/{derived.id}"))["parent_data_set_id"]
    with sandbox.client() as http:
        bad = http.post("data_sets", json={"name": "bad", "parent_data_set_id": parent,
                                           "transform": [{"operation": "shfit", "spec": {}},
                                                         {"operation": "remove", "spec": {"a": 1}}]})
        assert bad.status_code == 400
        assert "transforms[0]" in bad.text and "transforms[1] (remove)" in bad.text
        raw = http.post("data_sets", json={"name": "raw jolt", "parent_data_set_id": parent,
                                           "transform": [{"operation": "shift", "spec": {"order_id": "id"}}]})
        assert raw.status_code in (200, 201), raw.text
    written = list((sandbox.data_dir / "s3" / "analytics" / "orders").rglob("*.parquet"))
    rows = [row for path in written for row in pq.read_table(path).to_pylist()]
    good = [o for o in demo.orders if o["order_id"] not in demo.malformed_order_ids]
    expected = {o["order_id"]: {"order_id": o["order_id"], "status": str(o["status"]).lower(),
                                "first_sku": o["line_items"][0]["sku"] if o["line_items"] else None,
                                "items": len(o["line_items"]) or None} for o in good}
    assert {row["order_id"]: {k: row.get(k) for k in ("order_id", "status", "first_sku", "items")} for row in rows} == expected
