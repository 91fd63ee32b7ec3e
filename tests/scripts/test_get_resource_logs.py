"""scripts/get_resource_logs.py as a subprocess: help, logs, triage, failures and exit codes."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers.monitor import FAILING_TRANSFORM, build_flow
from tests.helpers.scripts import run_script



def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_script("get_resource_logs", *args, env=env)


@pytest.fixture
def flow(sandbox):
    with sandbox.client() as api:
        return build_flow(sandbox, api, transform=FAILING_TRANSFORM)


def test_help_shows_examples():
    done = run_script("get_resource_logs", "--help")
    assert done.returncode == 0 and "examples:" in done.stdout and "--triage" in done.stdout and "--tail" in done.stdout


def test_logs_as_json_and_as_a_table(sandbox_env, flow):
    done = run(sandbox_env, "data_sources", str(flow.source_id), "--level", "WARN", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True and document["result"]["run_id"] == flow.run_ids[-1]
    assert {e["level"] for e in document["result"]["entries"]} <= {"WARN", "ERROR"}
    table = run(sandbox_env, "flows", str(flow.flow_id), "--tail", "2")
    assert table.returncode == 0 and f"run {flow.run_ids[-1]}" in table.stdout and "MESSAGE" in table.stdout


def test_triage_names_the_cause(sandbox_env, flow):
    done = run(sandbox_env, "flows", str(flow.flow_id), "--triage", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["result"]
    assert "operation 1" in report["likely_cause"] and report["groups"][0]["operation_indexes"] == [1]
    text = run(sandbox_env, "flows", str(flow.flow_id), "--triage")
    assert "likely cause:" in text.stdout and "next step:" in text.stdout


def test_failures_exit_with_documented_codes(sandbox_env, flow):
    missing = run(sandbox_env, "data_sinks", "999999", "--json")
    assert missing.returncode == 4 and json.loads(missing.stdout)["ok"] is False
    bad_level = run(sandbox_env, "data_sources", str(flow.source_id), "--level", "LOUD")
    assert bad_level.returncode == 2 and "level" in bad_level.stderr
    bad_time = run(sandbox_env, "data_sources", str(flow.source_id), "--since", "whenever")
    assert bad_time.returncode == 2 and "--since" in bad_time.stderr
    usage = run(sandbox_env, "data_sources")
    assert usage.returncode == 2
