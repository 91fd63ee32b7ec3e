"""manage_project, copy_flow_to_project and run_flow through a real MCP client: the staging-copy task."""

from __future__ import annotations

import pytest

from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, spec_yaml
from tests.helpers.mcp import ToolCaller, connect, settings_for


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
        listed = await call.ok("manage_project", {"action": "list_flows", "project_id": project["project_id"]})
        assert [f["flow_id"] for f in listed["flows"]] == [copied["new_flow_id"]]
        run = await call.ok("run_flow", {"id": copied["new_flow_id"]}, progress_callback=on_progress)
        assert run["finished"] and run["status"] == "SUCCESS"
        assert any(m and "started" in m for m in progress)
        removed = await call.ok("manage_project", {"action": "remove_flows", "project_id": project["project_id"],
                                                   "flow_ids": str(copied["new_flow_id"])})
        assert removed["flows"] == []
