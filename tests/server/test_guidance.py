"""Next steps through MCP are tool calls the caller can make as given; scripts still get command lines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

from nexla_ops.operations.guidance import current_face, face, step
from tests.helpers.mcp import ToolCaller, connect, settings_for

REPO = Path(__file__).resolve().parents[2]
_CALL = re.compile(r"([a-z_]+) (\{.*?\})(?=$|[ ,;)])")


def test_a_step_renders_for_the_face_it_runs_in() -> None:
    assert current_face() == "script"
    assert step("check_health", {}, "python scripts/health_check.py") == "python scripts/health_check.py"
    with face("mcp"):
        assert step("get_flow", {"kind": "flows", "id": 5}, "x") == 'get_flow {"kind": "flows", "id": 5}'
    assert current_face() == "script"


async def test_quickstart_through_mcp_suggests_a_valid_tool_call(sandbox) -> None:
    async with connect(settings_for(sandbox)) as client:
        tools = (await client.list_tools()).tools
        report = await ToolCaller(client, tools).ok("quickstart")
    suggestion = report["next_step"]
    assert "python scripts" not in suggestion
    calls = _CALL.findall(suggestion)
    assert calls, suggestion
    schemas = {tool.name: tool.input_schema for tool in tools}
    for name, arguments in calls:
        jsonschema.validate(json.loads(arguments), schemas[name])
    assert ("apply_deployment", '{"spec": "examples/orders_to_parquet.yaml"}') in calls
    assert (REPO / "examples" / "orders_to_parquet.yaml").is_file()


def test_the_quickstart_script_still_suggests_a_command(sandbox_env) -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "nexla_quickstart.py"), "--json"],
                          env=sandbox_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "python scripts/deploy_flow.py apply --spec examples/orders_to_parquet.yaml" in done.stdout
