"""manage_project.py and copy_flow_to_project.py as subprocesses against the sandbox."""

from __future__ import annotations

import asyncio
import json

from nexla_ops.operations.deploy import apply_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, client_for, make_spec
from tests.helpers.scripts import run_script


def _deploy(sandbox, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    write_demo_data(sandbox.data_dir)

    async def go():
        async with client_for(sandbox) as client:
            return await apply_deployment(client, make_spec())

    result = asyncio.run(go())
    assert result.status == "applied", result.error
    return result


def _json(done) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["result"]


def test_project_then_copy_into_it(sandbox, sandbox_env, monkeypatch) -> None:
    deployed = _deploy(sandbox, monkeypatch)
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
