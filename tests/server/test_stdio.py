"""The server as a subprocess over stdio: a real client session, and stdout carrying only JSON-RPC."""

from __future__ import annotations

import json
import subprocess
import sys

from mcp import Client, StdioServerParameters

from tests.helpers.mcp import text_of


def _requests() -> str:
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "quickstart", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
         "params": {"name": "get_resource", "arguments": {"kind": "data_sources", "id": 424242}}},
    ]
    return "".join(json.dumps(message) + "\n" for message in messages)


async def test_client_session_over_stdio(sandbox_env) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "nexla_mcp", "--toolsets", "discover"],
                                   env=sandbox_env)
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == {"quickstart", "list_resources", "get_resource"}
        result = await client.call_tool("quickstart", {})
        assert not result.is_error, text_of(result)
        assert result.structured_content["identity"]["user_id"]


def test_stdout_carries_only_json_rpc(sandbox_env) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "nexla_mcp", "--log-level", "DEBUG"], env=sandbox_env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(_requests())
    process.stdin.flush()
    answers: dict[int, dict] = {}
    lines: list[str] = []
    while len(answers) < 4:
        line = process.stdout.readline()
        assert line, "server closed stdout early"
        lines.append(line)
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0"
        if "id" in message:
            answers[message["id"]] = message
    process.stdin.close()
    lines.extend(process.stdout.readlines())
    stderr = process.stderr.read() if process.stderr else ""
    assert process.wait(timeout=30) == 0
    assert all(json.loads(line)["jsonrpc"] == "2.0" for line in lines if line.strip())
    assert len(answers[2]["result"]["tools"]) > 20
    assert answers[3]["result"]["isError"] is False
    assert answers[4]["result"]["isError"] is True
    assert answers[4]["result"]["structuredContent"]["error"] == "not_found"
    assert "serving" in stderr and sandbox_env["NEXLA_SERVICE_KEY"] not in stderr + "".join(lines)


def test_unknown_toolset_stops_start_up(sandbox_env) -> None:
    done = subprocess.run([sys.executable, "-m", "nexla_mcp", "--toolsets", "discover,everything"],
                          env=sandbox_env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and done.stdout == ""
    assert "unknown toolset 'everything'" in done.stderr and "discover" in done.stderr


def test_missing_credentials_stop_start_up(sandbox_env) -> None:
    env = {k: v for k, v in sandbox_env.items() if k not in ("NEXLA_SERVICE_KEY", "NEXLA_ACCESS_TOKEN")}
    done = subprocess.run([sys.executable, "-m", "nexla_mcp"], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 3 and done.stdout == "" and "NEXLA_SERVICE_KEY" in done.stderr
