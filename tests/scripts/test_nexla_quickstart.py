"""scripts/nexla_quickstart.py as a subprocess: orientation, JSON, and missing or bad credentials."""

from __future__ import annotations

import json
import os
import subprocess

from tests.helpers.scripts import run_script



def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_script("nexla_quickstart", *args, env=env)


def test_help_shows_examples():
    done = run(dict(os.environ), "--help")
    assert done.returncode == 0 and "examples:" in done.stdout


def test_orientation_as_text_and_json(sandbox_env, sandbox):
    text = run(sandbox_env)
    assert text.returncode == 0, text.stderr
    assert sandbox.base_url in text.stdout and "next step: No credentials yet" in text.stdout
    document = json.loads(run(sandbox_env, "--json").stdout)
    assert document["ok"] is True and document["result"]["identity"]["user_id"] == sandbox.users["admin"]
    assert document["result"]["counts"]["data_sources"] == 0
    assert sandbox.service_key not in text.stdout + text.stderr


def test_missing_and_rejected_credentials_exit_3(sandbox_env):
    bare = {k: v for k, v in sandbox_env.items() if k not in ("NEXLA_SERVICE_KEY", "NEXLA_ACCESS_TOKEN")}
    missing = run(bare, "--json")
    assert missing.returncode == 3
    assert "NEXLA_SERVICE_KEY" in missing.stderr and "sandbox" in missing.stderr
    assert json.loads(missing.stdout)["ok"] is False
    rejected = run({**sandbox_env, "NEXLA_SERVICE_KEY": "nxsbx_wrong-key-000000"})
    assert rejected.returncode == 3 and "nxsbx_wrong-key-000000" not in rejected.stderr + rejected.stdout
