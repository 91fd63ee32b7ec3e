"""scripts/get_metrics.py as a subprocess: daily and runs, JSON and tables, failures."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers.monitor import build_flow
from tests.helpers.scripts import run_script



def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_script("get_metrics", *args, env=env)


@pytest.fixture
def flow(sandbox):
    with sandbox.client() as api:
        return build_flow(sandbox, api)


def test_help_shows_examples():
    done = run_script("get_metrics", "--help")
    assert done.returncode == 0 and "examples:" in done.stdout and "daily" in done.stdout and "runs" in done.stdout


def test_daily_and_runs(sandbox_env, flow):
    daily = run(sandbox_env, "--json", "daily", "data_sinks", str(flow.sink_id))
    assert daily.returncode == 0, daily.stderr
    result = json.loads(daily.stdout)["result"]
    assert result["total_records"] > 0 and len(result["days"]) == 1
    runs = run(sandbox_env, "runs", "flows", str(flow.flow_id), "--limit", "1", "--json")
    assert runs.returncode == 0, runs.stderr
    page = json.loads(runs.stdout)["result"]
    assert [r["run_id"] for r in page["runs"]] == [flow.run_ids[-1]] and page["has_more"]
    older = run(sandbox_env, "runs", "flows", str(flow.flow_id), "--cursor", page["next_cursor"])
    assert older.returncode == 0 and str(flow.run_ids[0]) in older.stdout and "RUN_ID" in older.stdout


def test_failures_exit_with_documented_codes(sandbox_env, flow):
    assert run(sandbox_env, "runs", "data_sets", "999999").returncode == 4
    backwards = run(sandbox_env, "daily", "data_sources", str(flow.source_id), "--since", "2025-02-01", "--until", "2025-01-01")
    assert backwards.returncode == 2 and "until" in backwards.stderr
    assert run(sandbox_env, "daily", "data_sources", str(flow.source_id), "--since", "last week").returncode == 2
    assert run(sandbox_env, "runs", "data_sources", str(flow.source_id), "--cursor", "nope").returncode == 2
