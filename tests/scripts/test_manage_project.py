"""manage_project.py and copy_flow_to_project.py as subprocesses against the sandbox."""

from __future__ import annotations

import json

from tests.helpers.scripts import run_script


def _json(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["result"]


def test_project_then_copy_into_it(sandbox, sandbox_env, deployed) -> None:
    sink_id = next(r.id for r in deployed.created if r.kind == "data_sinks")
    created = _json(run_script("manage_project", "create", "--name", "staging", "--json", env=sandbox_env))
    pid = str(created["project_id"])
    refused = run_script("copy_flow_to_project", "--flow-id", str(deployed.flow_id), "--project-id", pid,
                         "--activate", env=sandbox_env)
    assert refused.returncode == 2 and "writes where the original writes" in refused.stderr
    copied = _json(run_script("copy_flow_to_project", "--flow-id", str(deployed.flow_id), "--project-id", pid,
                              "--destination-path", f"{sink_id}=staging/orders/", "--activate", "--json",
                              env=sandbox_env))
    assert copied["activated"] is True and copied["same_destination"] == []
    listed = run_script("manage_project", "list", "--project-id", pid, env=sandbox_env)
    assert listed.returncode == 0 and str(copied["new_flow_id"]) in listed.stdout
    removed = _json(run_script("manage_project", "remove", "--project-id", pid, "--flow-id",
                               str(copied["new_flow_id"]), "--json", env=sandbox_env))
    assert removed["flows"] == []
    empty = run_script("manage_project", "remove", "--project-id", pid, env=sandbox_env)
    assert empty.returncode == 2 and "at least one flow" in empty.stderr
