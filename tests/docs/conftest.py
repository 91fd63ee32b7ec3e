"""The recipe world: a sandbox with demo data and the guide's pipeline deployed and run once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sandbox.testing import SandboxHandle, running_sandbox
from tests.docs.recipes import REPO


def _deploy_demo(env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "scripts/deploy_flow.py", "apply", "--spec", "examples/orders_to_parquet.yaml", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, f"demo deploy failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout)["result"]


def _user_emails(sandbox: SandboxHandle) -> dict[str, str]:
    token = httpx.post(f"{sandbox.base_url}/token", headers={"Authorization": f"Basic {sandbox.service_key}"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    users = httpx.get(f"{sandbox.base_url}/users", headers=headers, params={"per_page": 100}).json()
    by_id = {user["id"]: user["email"] for user in users}
    return {label: by_id[user_id] for label, user_id in sandbox.users.items() if user_id in by_id}


@pytest.fixture
def recipe_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment the documents' recipes assume (see EXAMPLES.md, "Before you start")."""
    with running_sandbox(tmp_path / "sandbox-data") as sandbox:
        write_demo_data(sandbox.data_dir)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "NEXLA_API_URL": sandbox.base_url,
            "NEXLA_SERVICE_KEY": sandbox.service_key,
            "NEXLA_AUDIT_LOG": str(tmp_path / "audit.jsonl"),
            "NEXLA_SANDBOX_ADMIN_KEY": sandbox.service_key,
            "NEXLA_SANDBOX_DATA_DIR": str(sandbox.data_dir),
            "NEXLA_SECRET_DEMO_S3": "demo-secret-value",
            "WORK_DIR": str(tmp_path),
        }
        deployed = _deploy_demo(env)
        ids = {(ref["kind"], ref["name"]): ref["id"] for ref in deployed["resources"] + deployed["created"]}
        source_id = deployed["source_id"]
        run = sandbox.control.post(f"/sources/{source_id}/run")
        assert run.status_code == 200, run.text
        env.update(
            FLOW_ID=str(deployed["flow_id"]),
            SOURCE_ID=str(source_id),
            CREDENTIAL_ID=str(ids[("data_credentials", "demo-s3")]),
            NEXSET_ID=str(ids[("data_sets", "orders-line-items")]),
            SINK_ID=str(ids[("data_sinks", "orders-parquet")]),
            RUN_ID=str(run.json()["run_id"]),
        )
        for label, email in _user_emails(sandbox).items():
            env[f"{label.upper()}_EMAIL"] = email
        for label, user_id in sandbox.users.items():
            env[f"{label.upper()}_USER_ID"] = str(user_id)
        yield env
