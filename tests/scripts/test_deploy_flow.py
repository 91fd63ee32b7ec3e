"""deploy_flow.py as a subprocess: help, schema, validate/plan/apply/destroy, failure exit codes."""

from __future__ import annotations

import json
import subprocess

from nexla_sandbox.runtime.demo import write_demo_data

from tests.helpers.deploy import SECRET_ENV, spec_yaml
from tests.helpers.scripts import run_script



def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_script("deploy_flow", *args, env=env)


def test_help_and_schema_need_no_api():
    assert "examples:" in run("--help").stdout
    schema = json.loads(run("--print-schema").stdout)
    assert "destinations" in schema["properties"]
    assert run().returncode == 2


def test_plan_apply_again_destroy(sandbox, sandbox_env, tmp_path):
    write_demo_data(sandbox.data_dir)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_yaml())
    env = {**sandbox_env, SECRET_ENV: "demo-secret-value"}
    plan = run("plan", "--spec", str(spec), "--json", env=env)
    assert plan.returncode == 0, plan.stderr
    assert {c["action"] for c in json.loads(plan.stdout)["result"]["changes"]} == {"create", "detect"}
    applied = run("apply", "--spec", str(spec), env=env)
    assert applied.returncode == 0, applied.stderr
    assert "applied" in applied.stdout and "destinations" in applied.stderr  # progress on stderr
    again = json.loads(run("apply", "--spec", str(spec), "--json", env=env).stdout)
    assert again["ok"] and again["result"]["status"] == "unchanged"
    assert "demo-secret-value" not in applied.stdout + applied.stderr
    refused = run("destroy", "--spec", str(spec), "--json", env=env)
    assert refused.returncode == 2 and json.loads(refused.stdout)["error"]["hint"]
    destroyed = run("destroy", "--spec", str(spec), "--yes", env=env)
    assert destroyed.returncode == 0 and "deleted data_sources" in destroyed.stdout


def test_invalid_spec_and_failed_validation_exit_codes(sandbox, sandbox_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsource: {}\n")
    result = run("validate", "--spec", str(bad), "--json", env=sandbox_env)
    assert result.returncode == 2
    assert "source.name" in json.loads(result.stdout)["error"]["message"]
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_yaml())
    missing_secret = {k: v for k, v in sandbox_env.items() if k != SECRET_ENV}
    checked = run("validate", "--spec", str(spec), "--json", env=missing_secret)
    assert checked.returncode == 5
    assert json.loads(checked.stdout)["result"]["issues"][0]["path"] == "credential.fields.secret_access_key"


def test_missing_spec_file_and_typo_in_a_field_name(sandbox_env, tmp_path):
    missing = run("validate", "--spec", str(tmp_path / "nope.yaml"), "--json", env=sandbox_env)
    assert missing.returncode == 2
    error = json.loads(missing.stdout)["error"]
    assert error["type"] == "FileNotFound" and error["message"] == f"file not found: {tmp_path / 'nope.yaml'}"
    spec = tmp_path / "typo.yaml"
    assert "activate:" in spec_yaml()
    spec.write_text(spec_yaml().replace("activate:", "activte:"))
    typo = run("validate", "--spec", str(spec), env=sandbox_env)
    assert typo.returncode == 2 and "activte: unknown field 'activte'; did you mean 'activate'?" in typo.stderr


def test_validate_readable_lines_name_the_spec_path(sandbox_env, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_yaml())
    checked = run("validate", "--spec", str(spec), env={**sandbox_env, SECRET_ENV: "demo-secret-value"})
    assert checked.returncode == 0, checked.stdout
    assert "  credential: pending (created and probed by apply)" in checked.stdout
    assert "(None)" not in checked.stdout and "credential credential" not in checked.stdout


def test_the_guide_example_applies_and_writes_parquet(sandbox, sandbox_env):
    write_demo_data(sandbox.data_dir)
    env = {**sandbox_env, "NEXLA_SECRET_DEMO_S3": "demo-secret-value"}
    result = run("apply", "--spec", "examples/orders_to_parquet.yaml", "--json", env=env)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)["result"]
    assert body["status"] == "applied" and body["active"]
    run_reply = sandbox.control.post(f"{sandbox.base_url}/_sandbox/sources/{body['source_id']}/run").json()
    assert run_reply["status"] != "FAILED"
    assert list((sandbox.data_dir / "s3" / "analytics" / "orders").rglob("*.parquet"))


def test_a_transform_with_no_official_equivalent_fails_validate_and_plan_then_the_authoring_dialect_warns(
        sandbox, sandbox_env, tmp_path):
    write_demo_data(sandbox.data_dir)
    env = {**sandbox_env, SECRET_ENV: "demo-secret-value"}
    official = tmp_path / "official.yaml"
    official.write_text(spec_yaml(transform_dialect="official"))
    checked = run("validate", "--spec", str(official), env=env)
    assert checked.returncode == 5
    assert "nexsets[0].transform.operations[0]: operations[0] (flatten): no official Nexla equivalent" in checked.stdout
    assert "nexsets[0].transform.operations[2]: operations[2] (filter)" in checked.stdout
    planned = run("plan", "--spec", str(official), "--json", env=env)
    assert planned.returncode == 2
    assert [i["path"] for i in json.loads(planned.stdout)["error"]["issues"]] == [
        "nexsets[0].transform.operations[0]", "nexsets[0].transform.operations[2]"]
    authoring = tmp_path / "authoring.yaml"
    authoring.write_text(spec_yaml())
    warned = run("validate", "--spec", str(authoring), env=env)
    assert warned.returncode == 0, warned.stdout + warned.stderr
    assert "warning: transform_dialect:" in warned.stdout and "real Nexla does not document" in warned.stdout
