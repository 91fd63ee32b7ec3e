"""preview_source.py as a subprocess against the sandbox."""

from __future__ import annotations

import asyncio
import json

from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import client_for
from tests.helpers.scripts import run_script


def _credential(sandbox) -> int:
    async def go() -> int:
        async with client_for(sandbox) as client:
            created = await client.post("/data_credentials", json={
                "name": "s3", "credentials_type": "s3",
                "credentials": {"access_key_id": "AKIA", "secret_access_key": "preview-secret"}})
            return int(created["id"])

    return asyncio.run(go())


def test_preview_json_and_failed_probe_exit_code(sandbox, sandbox_env) -> None:
    write_demo_data(sandbox.data_dir, orders=8, files=1)
    credential_id = str(_credential(sandbox))
    done = run_script("preview_source", "--credential-id", credential_id, "--path", "ingest/orders/",
                      "--sample-size", "2", "--json", env=sandbox_env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["sampled_file"] == "ingest/orders/orders-001.json" and len(result["records"]) == 2
    assert "preview-secret" not in done.stdout + done.stderr
    missing = run_script("preview_source", "--credential-id", credential_id, "--path", "nowhere/", env=sandbox_env)
    assert missing.returncode == 5 and "nowhere" in missing.stderr
