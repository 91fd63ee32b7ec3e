"""Next steps through MCP are tool calls the caller can make as given; scripts still get command lines."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from nexla_ops.domain import LogEntry
from nexla_ops.operations.guidance import current_face, face, step
from nexla_ops.operations.metrics import Target
from nexla_ops.operations.triage import diagnose
from nexla_ops.resources import ResourceKind
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.access import make_credential, make_flow
from tests.helpers.deploy import client_for, run_source
from tests.helpers.mcp import SUGGESTED_CALL, ToolCaller, connect, settings_for, suggested_calls

REPO = Path(__file__).resolve().parents[2]


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
    calls = _tool_calls(suggestion, {tool.name: tool.input_schema for tool in tools})
    assert ("apply_deployment", {"spec": "examples/orders_to_parquet.yaml"}) in calls
    assert (REPO / "examples" / "orders_to_parquet.yaml").is_file()


def test_the_quickstart_script_still_suggests_a_command(sandbox_env) -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "nexla_quickstart.py"), "--json"],
                          env=sandbox_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "python scripts/deploy_flow.py apply --spec examples/orders_to_parquet.yaml" in done.stdout


def _tool_calls(text: str, schemas: dict[str, dict]) -> list[tuple[str, dict]]:
    """Every ``tool {arguments}`` in ``text``, each checked against the tool's input schema."""
    calls = suggested_calls(text)
    assert calls, text
    for name, arguments in calls:
        jsonschema.validate(arguments, schemas[name])
    return calls


async def test_triage_through_mcp_suggests_tool_calls_with_arguments(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=4, files=1)
    async with client_for(sandbox) as api:
        flow = await make_flow(api, (await make_credential(api))["id"])
        (sandbox.data_dir / "s3" / "blocked").write_text("a file where the sink wants a folder", encoding="utf-8")
        await api.put(f"/data_sinks/{flow.sink_id}", json={"sink_config": {"path": "blocked/x/", "data_format": "json"}})
    run_source(sandbox, flow.source_id)
    async with connect(settings_for(sandbox)) as client:
        tools = (await client.list_tools()).tools
        report = await ToolCaller(client, tools).ok("triage_flow", {"kind": "data_sources", "id": flow.source_id})
    schemas = {tool.name: tool.input_schema for tool in tools}
    assert "python scripts" not in json.dumps(report)
    calls = _tool_calls(report["next_step"], schemas)
    assert ("get_resource", {"kind": "data_sinks", "id": flow.sink_id, "fields": ["sink_config"]}) in calls
    assert any(name in ("probe_credential", "check_health") for name, _ in calls)
    for group in report["groups"]:
        _tool_calls(group["next_step"], schemas)


def test_every_triage_rule_has_a_tool_call_inside_mcp() -> None:
    target = Target(kind=ResourceKind.SOURCES, id=5)
    cases = [
        ("ERROR", "GET bucket failed: 403 Forbidden", "data_sources", {"data_credentials_id": 77}),
        ("ERROR", "operations[1]: cannot cast qty value 'x' to int", "data_sets", {}),
        ("WARN", "2 record(s) of a.json quarantined", "data_sources", {}),
        ("ERROR", "cannot read the source's input: no such file", "data_sources", {}),
        ("ERROR", "sink 9 could not write: read-only", "data_sinks", {}),
        ("ERROR", "the moon is in the wrong phase", "data_sources", {}),
    ]
    for level, message, kind, details in cases:
        lines = [LogEntry(level=level, message=message, resource_type=kind, resource_id=9, run_id=3, details=details)]
        with face("mcp"):
            _, step_text, _ = diagnose(lines, target, "data_sources:5")
        assert "python scripts" not in step_text and SUGGESTED_CALL.search(step_text), step_text
        _, command, _ = diagnose(lines, target, "data_sources:5")
        assert "python scripts" in command or "GET /data_credentials" in command, command


async def test_an_invalid_spec_through_mcp_points_at_the_schema_resource(sandbox) -> None:
    async with connect(settings_for(sandbox)) as client:
        error = await ToolCaller(client, (await client.list_tools()).tools).error(
            "validate_deployment", {"spec": {"name": "x", "sourse": {}}})
    assert "nexla://deploy/spec-schema.json" in error["hint"] and "--print-schema" not in json.dumps(error)


async def test_deleting_an_active_flow_through_mcp_suggests_pausing_it_with_a_tool_call(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=4, files=1)
    async with client_for(sandbox) as api:
        flow = await make_flow(api, (await make_credential(api))["id"], sink=False)
    async with connect(settings_for(sandbox)) as client:
        tools = (await client.list_tools()).tools
        call = ToolCaller(client, tools)
        tree = await call.ok("get_flow", {"kind": "data_sources", "id": flow.source_id})
        refused = await call.error("delete_resource", {"kind": "flows", "id": tree["flow_id"], "confirm": True,
                                                       "confirm_name": tree["name"]})
    calls = _tool_calls(refused["hint"], {tool.name: tool.input_schema for tool in tools})
    assert calls == [("pause_flow", {"kind": "flows", "id": tree["flow_id"]})] and "pause_first=true" in refused["hint"]
