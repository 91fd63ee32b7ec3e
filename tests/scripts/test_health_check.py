"""scripts/health_check.py as a subprocess: verdicts, exit codes, config file, webhook secrecy."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers.monitor import WebhookReceiver, build_flow
from tests.helpers.scripts import run_script

LENIENT = ("--warn-error-rate", "0.05", "--critical-error-rate", "0.5")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_script("health_check", *args, env=env)


@pytest.fixture
def flow(sandbox):
    with sandbox.client() as api:
        return build_flow(sandbox, api)


def test_help_shows_examples():
    done = run_script("health_check", "--help")
    assert done.returncode == 0 and "examples:" in done.stdout and "--alert-webhook" in done.stdout


def test_healthy_then_critical(sandbox_env, flow):
    healthy = run(sandbox_env, *LENIENT, "--json")
    assert healthy.returncode == 0, healthy.stderr
    document = json.loads(healthy.stdout)
    assert document["ok"] is True and document["result"]["overall"] == "healthy"
    critical = run(sandbox_env, "--flow-id", str(flow.flow_id), "--critical-error-rate", "0.001")
    assert critical.returncode == 5 and "overall: CRITICAL" in critical.stdout and "error rate" in critical.stdout


def test_config_file_and_fail_on_warning(sandbox_env, flow, tmp_path):
    config = tmp_path / "health.json"
    config.write_text(json.dumps({"thresholds": {"warn_error_rate": 0.001, "critical_error_rate": 0.5},
                                  "flows": [flow.flow_id]}))
    warning = run(sandbox_env, "--config", str(config), "--json")
    assert warning.returncode == 0 and json.loads(warning.stdout)["result"]["overall"] == "warning"
    assert run(sandbox_env, "--config", str(config), "--fail-on", "warning").returncode == 5
    config.write_text("thresholds: {paused: sometimes}\n")
    bad = run(sandbox_env, "--config", str(config))
    assert bad.returncode == 2 and "paused" in bad.stderr
    assert run(sandbox_env, "--config", str(tmp_path / "absent.yaml")).returncode == 2
    assert run(sandbox_env, "--resource", "nonsense").returncode == 2


def test_webhook_from_env_is_used_and_never_printed(sandbox_env, flow):
    with WebhookReceiver() as receiver:
        env = {**sandbox_env, "NEXLA_ALERT_WEBHOOK": receiver.url}
        done = run(env, "--critical-error-rate", "0.001", "--json")
        assert done.returncode == 5
        assert len(receiver.bodies) == 1 and "text" in receiver.bodies[0]
    assert json.loads(done.stdout)["result"]["alert"]["delivered"] is True
    assert receiver.url not in done.stdout + done.stderr and "secret-hook-token" not in done.stdout + done.stderr


def test_undeliverable_alert_exits_1_when_flows_pass(sandbox_env, flow):
    with WebhookReceiver(status=503) as receiver:
        done = run(sandbox_env, *LENIENT, "--alert-on", "always", "--alert-webhook", receiver.url)
    # A failed delivery is a diagnostic: a stderr line and a non-zero exit, never a stdout line.
    assert done.returncode == 1 and "the alert was NOT delivered" in done.stderr
    assert "NOT delivered" not in done.stdout
    assert "secret-hook-token" not in done.stdout + done.stderr


def test_nothing_deployed_says_so(sandbox_env):
    done = run(sandbox_env)
    assert done.returncode == 0, done.stderr
    assert "0 flows checked" in done.stdout and "no flows to check" in done.stdout
    assert "verdict: healthy (0 critical, 0 unknown, 0 warning, 0 healthy)" in done.stderr and "{" not in done.stderr


def test_unknown_flow_id_points_to_the_listing(sandbox_env, flow):
    done = run(sandbox_env, "--flow-id", "987654")
    assert "not found: flows:987654" in done.stdout and "list_resources.py flows" in done.stdout
    assert "no flows to check" not in done.stdout


def test_an_api_outage_exits_6_retryable_with_a_stderr_line(sandbox, sandbox_env, flow):
    def outage(*paths: str) -> None:
        for path in paths:
            sandbox.control.post("faults", json={"method": "GET", "path": path, "status": 503, "count": None})

    # The monitoring endpoint and the credential probe fail: nothing may be guessed.
    outage(r"^/health/org/flows$", r"^/data_credentials/\d+/probe$")
    try:
        done = run(sandbox_env, *LENIENT, "--json")
        outage(r"^/flows$")
        listing_down = run(sandbox_env, *LENIENT, "--json")
    finally:
        sandbox.control.delete("faults")
    assert done.returncode == 6, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["overall"] == "unknown" and result["retryable"] is True
    [health] = result["flows"]
    assert health["verdict"] == "unknown" and not any("failed" in reason for reason in health["reasons"])
    assert "could not be judged because the API failed" in done.stderr
    # When even the listing fails, the whole check is a retryable error: exit 6 as well.
    assert listing_down.returncode == 6, listing_down.stderr
    assert json.loads(listing_down.stdout)["error"]["retryable"] is True
