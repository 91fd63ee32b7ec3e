"""Secrets through MCP: the server's own environment is out of reach, a .env file the user points at works,
and the value never reaches the tool result."""

from __future__ import annotations

import json

from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import spec_data
from tests.helpers.mcp import ToolCaller, connect, settings_for


async def test_env_outside_the_allow_list_is_refused_and_dotenv_deploys(sandbox, tmp_path, monkeypatch) -> None:
    write_demo_data(sandbox.data_dir, orders=5, files=1)
    monkeypatch.setenv("SERVER_ONLY_SECRET", "server-side-value-9")
    dotenv = tmp_path / "nexla.env"
    dotenv.write_text("S3_SECRET=dotenv-value-for-s3\n")
    async with connect(settings_for(sandbox)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        leaky = spec_data()
        leaky["credential"]["fields"]["secret_access_key"] = {"from_env": "SERVER_ONLY_SECRET"}
        report = await call.ok("validate_deployment", {"spec": leaky})
        assert report["ok"] is False and "not allowed here" in json.dumps(report)
        literal = spec_data()
        literal["credential"]["fields"]["secret_access_key"] = "typed-into-the-chat"
        refused = await call.error("validate_deployment", {"spec": literal})
        assert "secret_access_key is a secret" in refused["message"] and "from_keyring" in refused["message"]
        assert "typed-into-the-chat" not in json.dumps(refused)
        good = spec_data()
        good["credential"]["fields"]["secret_access_key"] = {"from_dotenv": {"file": str(dotenv), "key": "S3_SECRET"}}
        applied = await call.ok("apply_deployment", {"spec": good})
        assert applied["status"] == "applied"
        assert "dotenv-value-for-s3" not in json.dumps(applied) and "server-side-value-9" not in json.dumps(report)
