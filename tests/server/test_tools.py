"""Every tool, called through a real MCP client (in memory) against the sandbox."""

from __future__ import annotations

import pytest

from nexla_mcp.registry import ToolName
from nexla_ops.audit import AuditLog
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, spec_data, spec_yaml
from tests.helpers.mcp import ToolCaller, connect, settings_for

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    monkeypatch.setenv("NEXLA_SECRET_ROTATED_S3", "rotated-secret-value")


async def test_every_tool_succeeds_and_matches_its_output_schema(sandbox, tmp_path) -> None:
    write_demo_data(sandbox.data_dir)
    audit_file = tmp_path / "audit.jsonl"
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    async with connect(settings_for(sandbox, audit_file)) as client:
        tools = (await client.list_tools()).tools
        call = ToolCaller(client, tools)

        # Deploy: validate, plan (dry run), apply with progress, plan again (nothing to do).
        spec = spec_yaml()
        assert (await call.ok("validate_deployment", {"spec": spec}))["ok"] is True
        plan = await call.ok("plan_deployment", {"spec": spec})
        assert plan
        applied = await call.ok("apply_deployment", {"spec": spec}, progress_callback=on_progress)
        assert applied["status"] == "applied", applied
        assert len(progress) >= 3
        values = [value for value, _ in progress]
        assert values == sorted(set(values)), "progress must strictly increase"
        assert all(message for _, message in progress)
        flow_id, source_id = applied["flow_id"], applied["source_id"]
        sink_id = next(r["id"] for r in applied["resources"] if r["kind"] == "data_sinks")

        # Discover.
        quick = await call.ok("quickstart")
        assert quick["counts"]["data_sources"] >= 1
        listed = await call.ok("list_resources", {"kind": "flows"})
        assert any(row["id"] == flow_id for row in listed["items"])
        one = await call.ok("list_resources", {"kind": "source", "limit": "1", "fields": "name,status"})
        assert one["count"] == 1 and set(one["items"][0]) <= {"id", "name", "status"}
        detail = await call.ok("get_resource", {"kind": "data_sources", "id": str(source_id), "fields": ["name"]})
        assert detail["resource"]["name"] == spec_data()["source"]["name"]
        tree = await call.ok("get_flow", {"kind": "source", "id": source_id})
        assert tree["flow_id"] == flow_id
        credential_id = tree["credentials"][0]["id"]

        # Run it once, then monitor and read logs.
        run = sandbox.control.post(f"sources/{source_id}/run")
        run.raise_for_status()
        runs = await call.ok("get_run_summaries", {"kind": "data_sources", "id": source_id})
        assert runs["total_runs"] >= 1
        await call.ok("get_daily_metrics", {"kind": "data_sources", "id": source_id})
        logs = await call.ok("get_logs", {"kind": "data_sources", "id": source_id, "tail": 5})
        assert len(logs["entries"]) <= 5
        await call.ok("triage_flow", {"kind": "data_sources", "id": source_id})
        health = await call.ok("check_health", {}, progress_callback=on_progress)
        assert health["flows_checked"] >= 1

        # Access.
        operator = sandbox.users["operator"]
        accessors = [{"type": "USER", "id": operator}]
        await call.ok("list_access", {"kind": "data_sinks", "id": sink_id})
        granted = await call.ok(
            "grant_access",
            {"kind": "data_sinks", "resource_ids": sink_id, "accessors": accessors, "roles": ["operator"]},
        )
        assert granted["results"][0]["outcome"] == "changed"
        revoked = await call.ok(
            "revoke_access",
            {"kind": "data_sinks", "resource_ids": [sink_id], "accessors": accessors, "confirm": True},
        )
        assert revoked["results"][0]["outcome"] == "changed"

        # Credentials and transforms.
        await call.ok("probe_credential", {"credential_id": credential_id})
        planned = await call.ok(
            "rotate_credential",
            {"credential_id": credential_id, "fields_from_env": {"secret_access_key": "NEXLA_SECRET_ROTATED_S3"},
             "fields": {"access_key_id": "AKIANEW"}},
        )
        assert planned["outcome"] == "planned"
        plain_secret = await call.client.call_tool("rotate_credential", {
            "credential_id": credential_id, "fields": {"secret_access_key": "pasted-into-the-chat"}})
        assert plain_secret.is_error and "fields_from_user" in str(plain_secret.content)
        assert "pasted-into-the-chat" not in str(plain_secret.content)
        checked = await call.ok(
            "validate_transform",
            {"transform": {"version": 1, "operations": [{"operation": "rename", "fields": {"a": "b"}}]},
             "records": [{"a": 1}, {"a": 2}]},
        )
        assert checked["valid"] and checked["records"] == [{"b": 1}, {"b": 2}]

        # Flow control, batch, copy and delete.
        await call.ok("pause_flow", {"kind": "flows", "id": flow_id})
        await call.ok("activate_flow", {"kind": "flows", "id": flow_id})
        preview = await call.ok(
            "run_batch", {"operation": "pause", "resource_type": "data_sources", "ids": [source_id]}
        )
        assert preview["preview"] is True and preview["selected"] == 1
        copied = await call.ok("copy_flow", {"flow_id": flow_id})
        copy_id = copied["new_flow"]["flow_id"]
        copy_name = copied["new_flow"]["name"] or (await call.ok("get_flow", {"kind": "flows", "id": copy_id}))["name"]
        deleted = await call.ok(
            "delete_resource",
            {"kind": "flows", "id": copy_id, "confirm": True, "confirm_name": copy_name, "pause_first": True},
        )
        assert deleted["deleted"]

        # Look before deploying, projects and safe copies, run now.
        assert (await call.ok("describe_connector", {"connector": "s3"}))["roles"] == ["credential", "source", "sink"]
        looked = await call.ok("preview_source", {"credential_id": credential_id, "path": "ingest/orders/"})
        assert looked["records"]
        project = await call.ok("manage_project", {"action": "create", "name": "staging"})
        staged = await call.ok("copy_flow_to_project", {"flow_id": flow_id, "project_id": project["project_id"]})
        assert staged["activated"] is False and staged["same_destination"]
        held = await call.ok("list_project_flows", {"project_id": project["project_id"]})
        assert [flow["flow_id"] for flow in held["flows"]] == [staged["new_flow_id"]]
        assert (await call.ok("run_flow", {"id": flow_id}))["finished"] is True
        staged_name = (await call.ok("get_flow", {"kind": "flows", "id": staged["new_flow_id"]}))["name"]
        await call.ok("delete_resource", {"kind": "flows", "id": staged["new_flow_id"], "confirm": True,
                                          "confirm_name": staged_name})

        destroyed = await call.ok("destroy_deployment", {"spec": spec, "confirm": True})
        assert destroyed["found"] is True and destroyed["deleted"]

    assert call.called == {name.value for name in ToolName}
    tools_in_audit = {line.get("tool") for line in AuditLog.read(audit_file)}
    assert {"apply_deployment", "grant_access", "revoke_access", "delete_resource", "destroy_deployment"} <= tools_in_audit


async def test_progress_notifications_carry_a_message_per_step(sandbox) -> None:
    write_demo_data(sandbox.data_dir)
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        seen.append((value, total, message))

    async with connect(settings_for(sandbox)) as client:
        result = await client.call_tool("apply_deployment", {"spec": spec_data()}, progress_callback=on_progress)
    assert not result.is_error
    messages = [message for _, _, message in seen]
    assert any("credential" in m.lower() for m in messages), messages
    assert [value for value, _, _ in seen] == list(range(1, len(seen) + 1))
