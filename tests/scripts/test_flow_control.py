"""flow_control.py as a subprocess."""

from __future__ import annotations

import json
import subprocess

from tests.helpers.scripts import run_script


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_script("flow_control", *args, env=env)


def test_help():
    assert "--confirm-name" in run("--help").stdout


def test_show_pause_delete(sandbox, sandbox_env, deployed):
    shown = json.loads(run("show", "--kind", "sources", "--id", str(deployed.source_id), "--json", env=sandbox_env).stdout)
    assert shown["result"]["flow_id"] == deployed.flow_id
    paused = run("pause", "--kind", "flows", "--id", str(deployed.flow_id), env=sandbox_env)
    assert paused.returncode == 0 and "PAUSED" in paused.stdout
    name = shown["result"]["name"]
    refused = run("delete", "--kind", "flows", "--id", str(deployed.flow_id), "--json", env=sandbox_env)
    assert refused.returncode == 2 and "confirm" in json.loads(refused.stdout)["error"]["message"]
    deleted = run("delete", "--kind", "flows", "--id", str(deployed.flow_id), "--yes", "--confirm-name", name, env=sandbox_env)
    assert deleted.returncode == 0, deleted.stderr
    assert run("show", "--kind", "sources", "--id", str(deployed.source_id), env=sandbox_env).returncode == 4


def test_delete_refusals_say_which_flags_to_pass(sandbox, sandbox_env, deployed):
    target = ("--kind", "flows", "--id", str(deployed.flow_id))
    shown = run("show", *target, env=sandbox_env)
    name = json.loads(run("show", *target, "--json", env=sandbox_env).stdout)["result"]["name"]
    assert shown.stdout.startswith(f"flow {deployed.flow_id} {name!r} status=ACTIVE\n") and "None" not in shown.stdout
    unconfirmed = run("delete", *target, env=sandbox_env)
    assert unconfirmed.returncode == 2 and f"--yes --confirm-name {name!r}" in unconfirmed.stderr
    unnamed = run("delete", *target, "--yes", env=sandbox_env)
    assert unnamed.returncode == 2 and "no confirm_name was given" in unnamed.stderr
    assert f"--confirm-name {name!r}" in unnamed.stderr
    active = run("delete", *target, "--yes", "--confirm-name", name, env=sandbox_env)
    assert active.returncode == 2 and "is active" in active.stderr and "--pause-first" in active.stderr
    assert run("show", *target, env=sandbox_env).returncode == 0


def test_option_scripts_share_one_spelling_for_kind_and_id(sandbox, sandbox_env, deployed):
    """--kind/--id and --resource-type/--resource-id mean the same in every option-style script."""
    source = str(deployed.source_id)
    shown = run("show", "--resource-type", "sources", "--resource-id", source, "--json", env=sandbox_env)
    assert shown.returncode == 0, shown.stderr
    listed = run_script("manage_access", "list", "--kind", "sources", "--id", source, "--json", env=sandbox_env)
    assert listed.returncode == 0, listed.stderr
    previewed = run_script(
        "batch_operations", "--operation", "pause", "--kind", "sources", "--ids", source, env=sandbox_env
    )
    assert previewed.returncode == 0, previewed.stderr
