"""run_flow.py as a subprocess against the sandbox."""

from __future__ import annotations

import asyncio
import json

from nexla_ops.operations.deploy import apply_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, client_for, make_spec
from tests.helpers.scripts import run_script


def test_run_now_json_then_wait_on_the_run_id(sandbox, sandbox_env, monkeypatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    write_demo_data(sandbox.data_dir, orders=10, files=1)

    async def go():
        async with client_for(sandbox) as client:
            return await apply_deployment(client, make_spec())

    deployed = asyncio.run(go())
    done = run_script("run_flow", "--id", str(deployed.flow_id), "--json", env=sandbox_env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["finished"] is True and result["status"] == "SUCCESS"
    assert f"run {result['run_id']} of flow {deployed.flow_id} started" in done.stderr
    again = run_script("run_flow", "--id", str(deployed.flow_id), "--run-id", str(result["run_id"]), env=sandbox_env)
    assert again.returncode == 0 and f"run {result['run_id']}: SUCCESS" in again.stdout
