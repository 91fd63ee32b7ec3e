"""Projects, copies into them and run_flow through a real MCP client: the staging copy, read-only listing, failed runs."""

from __future__ import annotations

import pytest

from nexla_mcp.app import ServerOptions
from nexla_ops.operations.flows import get_flow
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.access import make_credential, make_flow
from tests.helpers.deploy import SECRET_ENV, client_for, spec_yaml
from tests.helpers.mcp import ToolCaller, connect, settings_for, text_of


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")


async def test_copy_to_a_staging_project_then_run_it(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=12, files=1)
    progress: list[str | None] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(message)

    async with connect(settings_for(sandbox)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        applied = await call.ok("apply_deployment", {"spec": spec_yaml()})
        flow_id = applied["flow_id"]
        sink_id = next(r["id"] for r in applied["resources"] if r["kind"] == "data_sinks")
        project = await call.ok("manage_project", {"action": "create", "name": "staging"})
        refused = await call.error("copy_flow_to_project", {"flow_id": flow_id, "project_id": project["project_id"],
                                                            "activate": True})
        assert refused["error"] == "refused" and "destination_overrides" in refused["hint"]
        copied = await call.ok("copy_flow_to_project", {
            "flow_id": flow_id, "project_id": project["project_id"], "activate": True,
            "destination_overrides": {str(sink_id): {"config": {"path": "staging/orders/"}}}})
        assert copied["activated"] and copied["same_destination"] == []
        listed = await call.ok("list_project_flows", {"project_id": project["project_id"]})
        assert [f["flow_id"] for f in listed["flows"]] == [copied["new_flow_id"]]
        run = await call.ok("run_flow", {"id": copied["new_flow_id"]}, progress_callback=on_progress)
        assert run["finished"] and run["status"] == "SUCCESS"
        assert any(m and "started" in m for m in progress)
        removed = await call.ok("manage_project", {"action": "remove_flows", "project_id": project["project_id"],
                                                   "flow_ids": str(copied["new_flow_id"])})
        assert removed["flows"] == []


async def test_read_only_mode_lists_a_projects_flows_but_cannot_change_it(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=4, files=1)
    async with client_for(sandbox) as api:
        flow = await make_flow(api, (await make_credential(api))["id"], activate=False, sink=False)
        flow_id = (await get_flow(api, "data_sources", flow.source_id)).flow_id
        project = await api.post("/projects", json={"name": "reporting", "description": ""})
        await api.put(f"/projects/{project['id']}/flows", json={"flows": [flow_id]})
    async with connect(settings_for(sandbox), ServerOptions(read_only=True, toolsets=("flows",), tools=("manage_project",))) as client:
        tools = (await client.list_tools()).tools
        assert "manage_project" not in {tool.name for tool in tools}
        listed = await ToolCaller(client, tools).ok("list_project_flows", {"project_id": project["id"]})
    assert listed["name"] == "reporting" and [f["flow_id"] for f in listed["flows"]] == [flow_id]


async def test_a_run_that_fails_is_an_error_result(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=4, files=1)
    async with client_for(sandbox) as api:
        flow = await make_flow(api, (await make_credential(api))["id"])
        # A file where the destination's folder should be: the write fails, so the run fails.
        (sandbox.data_dir / "s3" / "blocked").write_text("not a folder", encoding="utf-8")
        await api.put(f"/data_sinks/{flow.sink_id}", json={"sink_config": {"path": "blocked/orders/", "data_format": "json"}})
    async with connect(settings_for(sandbox)) as client:
        result = await client.call_tool("run_flow", {"kind": "data_sources", "id": flow.source_id})
    assert result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["finished"] and result.structured_content["status"] == "FAILED"
