"""Deploy sends the official Nexla transform: authoring operations converted exactly, raw Jolt as
written, no-equivalent operations refused by validate before anything is sent, and the authoring
dialect only when the spec asks for it (with a warning)."""

from __future__ import annotations

import base64
import copy

import pyarrow.parquet as pq
import pytest

from nexla_ops.operations.deploy import (
    SpecError,
    apply_deployment,
    parse_spec,
    plan_deployment,
    validate_deployment,
)
from tests.helpers.deploy import (
    TRANSFORM,
    client_for,
    inventory,
    mutating_requests,
    reset_requests,
    run_source,
    spec_data,
)

# Only constructs with an exact official equivalent (TRANSFORMS.md, "What is sent to Nexla").
EXACT = {"version": 1, "operations": [
    {"operation": "rename", "fields": {"order_id": "order"}},
    {"operation": "drop", "fields": ["customer", "line_items"]},
    {"operation": "typecast", "fields": {"total": "string"}},
]}


def official_data(transform: object, **overrides: object) -> dict:
    data = spec_data(**overrides)
    del data["transform_dialect"]
    data["nexsets"][0]["transform"] = copy.deepcopy(transform)
    return data


pytestmark = pytest.mark.usefixtures("deploy_secret")


async def test_the_plan_body_is_the_official_format(sandbox, demo):
    async with client_for(sandbox) as client:
        plan = await plan_deployment(client, parse_spec(official_data(EXACT)))
    sent = next(c for c in plan.changes if c.path == "nexsets[0]").body
    assert sent is not None
    assert set(sent["transform"]) == {"version", "data_maps", "transforms", "custom_config"}
    steps = sent["transform"]["transforms"]
    assert [step["operation"] for step in steps] == ["remove", "shift", "remove", "modify-overwrite-beta"]
    assert steps[1]["spec"] == {"*": "&", "order_id": "order"}
    assert steps[3]["spec"] == {"total": "=toString"}
    assert "operations" not in sent["transform"]


async def test_an_official_spec_deploys_runs_and_writes_the_converted_rows(sandbox, demo):
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, parse_spec(official_data(EXACT)))
        assert result.status == "applied", result.error
        assert result.validation is not None and result.validation.warnings == []
        nexset_id = next(r.id for r in result.created if r.kind == "data_sets" and r.name.endswith("items"))
        stored = (await client.get(f"/data_sets/{nexset_id}"))["transform"]
        assert [step["operation"] for step in stored["transforms"]] == ["remove", "shift", "remove", "modify-overwrite-beta"]
    run = run_source(sandbox, result.source_id)
    assert run["status"] == "SUCCESS", run
    files = sorted((sandbox.data_dir / "s3" / "analytics" / "orders").rglob("*.parquet"))
    rows = [row for path in files for row in pq.read_table(path).to_pylist()]
    assert set(rows[0]) == {"order", "created_at", "status", "total"}
    by_order = {row["order"]: row for row in rows}
    # The runtime quarantines the malformed orders at ingest, before any transform.
    delivered = [order for order in demo.orders if order["order_id"] not in demo.malformed_order_ids]
    assert set(by_order) == {order["order_id"] for order in delivered}
    for order in delivered:
        row = by_order[order["order_id"]]
        assert row["status"] == order["status"] and isinstance(row["total"], str)
        assert float(row["total"]) == order["total"]


async def test_a_raw_jolt_list_is_sent_as_the_official_object(sandbox, demo):
    jolt = [{"operation": "shift", "spec": {"order_id": "id", "status": "state"}}]
    async with client_for(sandbox) as client:
        spec = parse_spec(official_data(jolt))
        report = await validate_deployment(client, spec)
        assert report.ok, report.issues
        plan = await plan_deployment(client, spec)
    body = next(c for c in plan.changes if c.path == "nexsets[0]").body
    assert body is not None
    assert body["transform"] == {"version": 1, "data_maps": [], "transforms": jolt, "custom_config": {}}


async def test_validate_refuses_each_operation_with_no_official_equivalent_and_nothing_is_created(sandbox, demo):
    data = official_data(TRANSFORM)
    async with client_for(sandbox) as client:
        spec = parse_spec(data)
        report = await validate_deployment(client, spec)
        assert not report.ok and report.exit_code == 5
        assert [i.path for i in report.issues] == ["nexsets[0].transform.operations[0]",
                                                   "nexsets[0].transform.operations[2]"]
        assert "(flatten)" in report.issues[0].message and "(filter)" in report.issues[1].message
        for issue in report.issues:
            assert "no official Nexla equivalent" in issue.message and "nexla.custom" in issue.message
            assert "transform_dialect: authoring" in issue.message
        with pytest.raises(SpecError) as raised:
            await plan_deployment(client, spec)
        assert [i.path for i in raised.value.issues] == [i.path for i in report.issues]
        before = await inventory(client)
        reset_requests(sandbox)
        result = await apply_deployment(client, spec)
        assert result.status == "invalid" and result.error is not None and result.error["exit_code"] == 5
        assert mutating_requests(sandbox) == {}
        assert await inventory(client) == before


async def test_an_invalid_official_transform_is_named_by_its_transforms_index(sandbox, demo):
    bad = {"version": 1, "transforms": [{"operation": "shift", "spec": {"a": "b"}}, {"operation": "explode", "spec": {}}]}
    async with client_for(sandbox) as client:
        report = await validate_deployment(client, parse_spec(official_data(bad)))
    assert not report.ok
    assert [i.path for i in report.issues] == ["nexsets[0].transform.transforms[1]"]


async def test_the_authoring_dialect_sends_the_spec_as_written_with_a_warning(sandbox, demo):
    spec = parse_spec(spec_data())
    async with client_for(sandbox) as client:
        report = await validate_deployment(client, spec)
        plan = await plan_deployment(client, spec)
    assert report.ok, report.issues
    assert [w.path for w in report.warnings] == ["transform_dialect"]
    assert "real Nexla does not document" in report.warnings[0].message
    body = next(c for c in plan.changes if c.path == "nexsets[0]").body
    assert body is not None and body["transform"] == TRANSFORM


async def test_a_run_refusing_a_custom_script_says_so_not_invalid(sandbox, demo):
    script = base64.b64encode(b"function transform(input, metadata, args) { return input; }").decode()
    custom = [{"operation": "nexla.custom", "spec": {"language": "javascript", "encoding": "base64", "script": script}}]
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, parse_spec(official_data(custom)))
        assert result.status == "applied", result.error
    run = run_source(sandbox, result.source_id)
    assert run["status"] == "FAILED"
    message = str(run.get("error_message"))
    assert "could not run" in message and "javascript scripts are not run" in message
    assert "invalid transform" not in message
