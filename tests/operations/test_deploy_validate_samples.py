"""validate_deployment runs the spec's transforms on records read from the source's path with the
flow's credential (probe tree/sample, as preview_source reads them) before anything exists: as an
operation, through a real MCP client and through deploy_flow.py as a subprocess."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from nexla_ops.operations.deploy import apply_deployment, parse_spec, validate_deployment
from nexla_ops.redaction import REDACTED
from tests.helpers.access import sync_client_for
from tests.helpers.deploy import client_for, control, inject_fault, inventory, mutating_requests, reset_requests
from tests.helpers.mcp import ToolCaller, connect, settings_for
from tests.helpers.scripts import run_script

SECRET = "s3-secret-never-shown-7"
PAYMENTS = [
    {"payment_id": "P-1", "state": "SETTLED", "amount": "10.50", "note": "x" * 400, "card_token": "tok-4242"},
    {"payment_id": "P-2", "state": "REFUNDED", "amount": "n/a", "note": "refund"},
    {"payment_id": "P-3", "state": "SETTLED", "amount": "7", "note": "ok"},
    {"payment_id": "P-4", "state": "PENDING", "amount": "3.25", "note": "ok"},
]


def write_payments(data_dir: Path, records: list[dict[str, Any]] = PAYMENTS) -> None:
    folder = data_dir / "s3" / "ingest" / "payments"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "payments-001.json").write_text(json.dumps(records))


async def existing_credential(client: Any) -> int:
    created = await client.post("/data_credentials", json={
        "name": "payments-s3", "credentials_type": "s3",
        "credentials": {"access_key_id": "AKIAPAYMENTS", "secret_access_key": SECRET},
    })
    return int(created["id"])


def payments_spec(credential: dict[str, Any], *transforms: Any, dialect: str = "authoring") -> dict[str, Any]:
    return {
        "name": "payments",
        "credential": credential,
        "source": {"name": "payments-json", "type": "s3", "config": {"path": "ingest/payments/", "file_format": "json"}},
        "nexsets": [{"name": f"payments-{i}", "transform": t} for i, t in enumerate(transforms)],
        "destinations": [{"name": "payments-out", "type": "s3", "config": {"path": "out/payments/", "data_format": "json"}}],
        "transform_dialect": dialect,
    }


def authoring(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "operations": list(operations)}


async def test_a_rename_and_filter_show_the_transformed_samples_before_anything_exists(sandbox) -> None:
    write_payments(sandbox.data_dir)
    async with client_for(sandbox) as client:
        credential_id = await existing_credential(client)
        before = await inventory(client)
        reset_requests(sandbox)
        spec = payments_spec({"id": credential_id}, authoring(
            {"operation": "rename", "fields": {"payment_id": "id"}},
            {"operation": "filter", "condition": "state == 'SETTLED'"},
        ))
        report = await validate_deployment(client, parse_spec(spec))
        assert mutating_requests(sandbox) == {} and await inventory(client) == before
    routes = control(sandbox, "GET", "requests")["by_route"]
    assert routes[f"POST /data_credentials/{credential_id}/probe/sample"] == 1
    assert report.ok, report.issues
    check = report.transforms[0]
    assert (check.samples, check.records_in, check.records_out, check.record_errors) == ("passed", 4, 2, 0)
    assert [r["id"] for r in check.output] == ["P-1", "P-3"] and "payment_id" not in check.output[0]
    # Shown records are clipped: the 400-character note is cut.
    assert check.output[0]["note"].startswith("xxx") and len(check.output[0]["note"]) < 130
    assert check.output[0]["card_token"] == REDACTED and "tok-4242" not in report.model_dump_json()
    assert "ingest/payments/payments-001.json" in report.samples_from and f"credential {credential_id}" in report.samples_from
    assert SECRET not in report.model_dump_json()


async def test_an_official_jolt_shift_runs_on_the_samples_and_chains_into_the_next_nexset(sandbox) -> None:
    write_payments(sandbox.data_dir)
    shift = [{"operation": "shift", "spec": {"payment_id": "id", "state": "state"}}]
    drop_all = authoring({"operation": "filter", "condition": "state == 'LOST'"})
    async with client_for(sandbox) as client:
        spec = payments_spec({"id": await existing_credential(client)}, shift, drop_all)
        report = await validate_deployment(client, parse_spec(spec))
    first, second = report.transforms
    assert first.samples == "passed" and first.output[0] == {"id": "P-1", "state": "SETTLED"}
    # The second nexset gets the first one's output; a filter dropping every sample is a warning, not an issue.
    assert (second.samples, second.records_in, second.records_out) == ("warning", 4, 0)
    assert report.ok and "every record dropped" in second.message
    assert [w.path for w in report.warnings if w.path.startswith("nexsets")] == ["nexsets[1]"]


async def test_a_typecast_failing_on_every_record_is_an_issue_naming_the_operation_and_record(sandbox) -> None:
    write_payments(sandbox.data_dir)
    async with client_for(sandbox) as client:
        spec = parse_spec(payments_spec({"id": await existing_credential(client)}, authoring(
            {"operation": "rename", "fields": {"payment_id": "id"}},
            {"operation": "typecast", "fields": {"id": "integer"}},
        )))
        report = await validate_deployment(client, spec)
        before = await inventory(client)
        result = await apply_deployment(client, spec)
        assert result.status == "invalid" and await inventory(client) == before
    assert not report.ok and report.exit_code == 5
    check = report.transforms[0]
    assert (check.samples, check.records_out, check.record_errors) == ("failed", 0, 4)
    assert len(check.errors) == 3
    error = check.errors[0]
    assert error.operation == "nexsets[0].transform.operations[1]"
    assert "P-1" in error.message and error.record["id"] == "P-1"
    assert [i.path for i in report.issues] == ["nexsets[0].transform.operations[1]"]


async def test_a_typecast_failing_on_some_records_is_a_warning_with_the_failing_record(sandbox) -> None:
    write_payments(sandbox.data_dir)
    async with client_for(sandbox) as client:
        spec = payments_spec({"id": await existing_credential(client)},
                             authoring({"operation": "typecast", "fields": {"amount": "number"}}))
        report = await validate_deployment(client, parse_spec(spec))
    check = report.transforms[0]
    assert report.ok and (check.samples, check.records_in, check.records_out, check.record_errors) == ("warning", 4, 3, 1)
    assert [(e.operation, e.record["payment_id"]) for e in check.errors] == [("nexsets[0].transform.operations[0]", "P-2")]
    assert "n/a" in check.errors[0].message
    assert "nexsets[0].transform.operations[0]" in [w.path for w in report.warnings]


@pytest.mark.parametrize("fault", [
    {"status": 503, "count": 50},
    {"status": 0, "delay_s": 3, "count": 50},
], ids=["5xx", "timeout"])
async def test_a_sample_that_cannot_be_read_is_unknown_never_a_verdict(sandbox, fault) -> None:
    write_payments(sandbox.data_dir)
    failing = authoring({"operation": "typecast", "fields": {"payment_id": "integer"}})
    async with client_for(sandbox, timeout_s=1, max_attempts=2) as client:
        spec = payments_spec({"id": await existing_credential(client)}, failing)
        inject_fault(sandbox, "POST", r"/probe/sample$", **fault)
        report = await validate_deployment(client, parse_spec(spec))
    check = report.transforms[0]
    assert (check.valid, check.samples, check.output, check.errors) == (True, "unknown", [], [])
    assert report.ok and report.issues == []
    assert "could not be read" in report.samples_from
    assert [w.path for w in report.warnings if w.path == "source.config.path"] == ["source.config.path"]


async def test_a_credential_apply_would_create_is_not_replaced_by_another_one(sandbox, monkeypatch) -> None:
    write_payments(sandbox.data_dir)
    monkeypatch.setenv("NEXLA_SECRET_PAYMENTS", SECRET)
    new = {"name": "payments-new-s3", "type": "s3",
           "fields": {"access_key_id": "AKIANEW", "secret_access_key": {"from_env": "NEXLA_SECRET_PAYMENTS"}}}
    async with client_for(sandbox) as client:
        await existing_credential(client)  # same type, could read the path: still not used
        reset_requests(sandbox)
        report = await validate_deployment(client, parse_spec(payments_spec(new, authoring(
            {"operation": "rename", "fields": {"payment_id": "id"}}))))
    routes = control(sandbox, "GET", "requests")["by_route"]
    assert not any("/probe" in route for route in routes)
    assert report.ok and report.transforms[0].samples == "not_run"
    assert "created by apply" in report.samples_from and "preview_source" in report.samples_from
    assert SECRET not in report.model_dump_json()


async def test_read_only_mode_reads_no_probe_and_a_missing_path_is_unavailable(sandbox) -> None:
    write_payments(sandbox.data_dir)
    rename = authoring({"operation": "rename", "fields": {"payment_id": "id"}})
    async with client_for(sandbox) as client:
        credential_id = await existing_credential(client)
    async with client_for(sandbox, read_only=True) as client:
        read_only = await validate_deployment(client, parse_spec(payments_spec({"id": credential_id}, rename)))
    assert read_only.ok and "read-only" in read_only.samples_from and read_only.transforms[0].samples == "not_run"
    missing = payments_spec({"id": credential_id}, rename)
    missing["source"]["config"]["path"] = "ingest/nothing-here/"
    async with client_for(sandbox) as client:
        report = await validate_deployment(client, parse_spec(missing))
        none = await validate_deployment(client, parse_spec(payments_spec({"id": credential_id}, rename)), sample_size=0)
    assert report.ok and report.transforms[0].samples == "not_run" and "nothing-here" in report.samples_from
    assert any(w.path == "source.config.path" for w in report.warnings)
    assert none.samples_from == "sample_size is 0"


async def test_through_an_mcp_client_the_report_shows_samples_and_no_secret(sandbox) -> None:
    write_payments(sandbox.data_dir)
    async with client_for(sandbox) as client:
        credential_id = await existing_credential(client)
    spec = payments_spec({"id": credential_id}, authoring(
        {"operation": "rename", "fields": {"payment_id": "id"}},
        {"operation": "typecast", "fields": {"amount": "number"}},
    ))
    async with connect(settings_for(sandbox)) as mcp:
        call = ToolCaller(mcp, (await mcp.list_tools()).tools)
        report = await call.ok("validate_deployment", {"spec": spec})
    check = report["transforms"][0]
    assert (check["samples"], check["records_in"], check["records_out"]) == ("warning", 4, 3)
    assert [r["id"] for r in check["output"]] == ["P-1", "P-3", "P-4"]
    assert check["errors"][0]["operation"] == "nexsets[0].transform.operations[1]"
    assert check["errors"][0]["record"]["id"] == "P-2"
    assert SECRET not in json.dumps(report)


def test_the_script_prints_samples_and_record_errors_and_never_the_secret(sandbox, sandbox_env, tmp_path) -> None:
    write_payments(sandbox.data_dir)
    with sync_client_for(sandbox) as client:
        credential = client.post("/data_credentials", json={
            "name": "payments-s3", "credentials_type": "s3",
            "credentials": {"access_key_id": "AKIAPAYMENTS", "secret_access_key": SECRET},
        })
    spec_file = tmp_path / "payments.yaml"
    spec_file.write_text(yaml.safe_dump(payments_spec({"id": credential["id"]}, authoring(
        {"operation": "typecast", "fields": {"payment_id": "integer"}}))))
    checked = run_script("deploy_flow", "validate", "--spec", str(spec_file), "--json", env=sandbox_env)
    assert checked.returncode == 5, checked.stderr
    result = json.loads(checked.stdout)["result"]
    assert result["transforms"][0]["samples"] == "failed" and result["transforms"][0]["record_errors"] == 4
    assert [i["path"] for i in result["issues"]] == ["nexsets[0].transform.operations[0]"]
    text = run_script("deploy_flow", "validate", "--spec", str(spec_file), env=sandbox_env)
    assert "nexsets[0] transform: samples failed" in text.stdout
    assert "error at nexsets[0].transform.operations[0]: " in text.stdout and '"payment_id": "P-1"' in text.stdout
    skipped = run_script("deploy_flow", "validate", "--spec", str(spec_file), "--samples", "0", "--json", env=sandbox_env)
    assert skipped.returncode == 0 and json.loads(skipped.stdout)["result"]["samples_from"] == "sample_size is 0"
    assert run_script("deploy_flow", "validate", "--spec", str(spec_file), "--samples", "-1", env=sandbox_env).returncode == 2
    for output in (checked, text, skipped):
        assert SECRET not in output.stdout + output.stderr


async def test_once_deployed_read_only_mode_runs_the_transform_on_the_detected_nexsets_samples(sandbox) -> None:
    write_payments(sandbox.data_dir)
    rename = authoring({"operation": "rename", "fields": {"payment_id": "id"}})
    async with client_for(sandbox) as client:
        spec = parse_spec(payments_spec({"id": await existing_credential(client)}, rename))
        applied = await apply_deployment(client, spec)
        assert applied.status == "applied", applied.error
    async with client_for(sandbox, read_only=True) as client:
        report = await validate_deployment(client, spec)
    assert "detected nexset" in report.samples_from and "read-only" in report.samples_from
    check = report.transforms[0]
    assert check.samples == "passed" and check.records_in == 4
    assert len(check.output) == 3 and {r["id"] for r in check.output} <= {p["payment_id"] for p in PAYMENTS}
    assert not any("payment_id" in r for r in check.output)


async def test_a_script_the_local_engine_does_not_run_is_not_run_and_decides_nothing(sandbox) -> None:
    write_payments(sandbox.data_dir)
    script = base64.b64encode(b"function transform(input, metadata, args) { return input; }").decode()
    custom = [{"operation": "nexla.custom", "spec": {"language": "javascript", "encoding": "base64", "script": script}}]
    async with client_for(sandbox) as client:
        spec = payments_spec({"id": await existing_credential(client)}, custom, dialect="official")
        report = await validate_deployment(client, parse_spec(spec))
    check = report.transforms[0]
    assert report.ok and (check.valid, check.samples, check.output) == (True, "not_run", [])
    assert "not run on samples" in check.message and "javascript" in check.message
