"""Read-only mode, and destructive tools: refused without confirmation, accepted with it or via elicitation."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitRequestParams, ElicitResult

from nexla_mcp.app import ServerOptions, effective_settings
from nexla_mcp.catalog import ALL_TOOLS
from nexla_ops.client import AsyncNexlaClient
from nexla_ops.errors import ReadOnlyError
from tests.helpers.access import make_credential, make_flow
from tests.helpers.deploy import client_for
from tests.helpers.mcp import ToolCaller, connect, offline_settings, settings_for

MUTATING = {spec.name.value for spec in ALL_TOOLS if spec.mutating}
DESTRUCTIVE = {"apply_deployment", "delete_resource", "revoke_access", "destroy_deployment", "run_batch", "rotate_credential"}


async def test_annotations_mark_every_mutating_and_destructive_tool() -> None:
    async with connect(offline_settings()) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    for name, tool in tools.items():
        hints = tool.annotations
        assert hints is not None and hints.title, name
        assert hints.read_only_hint is (name not in MUTATING), name
        assert hints.destructive_hint is (name in DESTRUCTIVE), name
        assert hints.idempotent_hint is not None and hints.open_world_hint is not None, name


@pytest.mark.parametrize("how", ["option", "environment"])
async def test_read_only_hides_mutating_tools_and_the_client_refuses_changes(how: str, sandbox) -> None:
    if how == "option":
        options, settings = ServerOptions(read_only=True), settings_for(sandbox)
    else:
        options, settings = ServerOptions(toolsets=("all",)), settings_for(sandbox, read_only=True)
    async with connect(settings, options) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names and not names & MUTATING
        assert all(tool.annotations.read_only_hint for tool in (await client.list_tools()).tools)
        listed = await client.call_tool("list_resources", {"kind": "data_sources"})
        assert not listed.is_error
        missing = await client.call_tool("delete_resource", {"kind": "flows", "id": 1, "confirm": True})
        assert missing.is_error
    # The same settings the server hands its API client refuse any non-GET before sending it.
    async with AsyncNexlaClient(effective_settings(options, settings)) as api:
        with pytest.raises(ReadOnlyError):
            await api.post("/data_credentials", json={"name": "x", "credentials_type": "s3", "credentials": {}})


async def _paused_flow(sandbox) -> tuple[int, str]:
    async with client_for(sandbox) as api:
        credential = await make_credential(api)
        flow = await make_flow(api, credential["id"], name="to-delete", activate=False, sink=False)
        source = await api.get(f"/data_sources/{flow.source_id}")
    return flow.source_id, source["name"]


async def _source_exists(sandbox, source_id: int) -> bool:
    async with client_for(sandbox) as api:
        return any(row["id"] == source_id for row in await api.get("/data_sources"))


async def test_delete_is_refused_without_confirmation_and_with_a_wrong_name(sandbox) -> None:
    source_id, name = await _paused_flow(sandbox)
    async with connect(settings_for(sandbox)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        refused = await call.error("delete_resource", {"kind": "data_sources", "id": source_id})
        assert refused["error"] == "refused" and "confirm" in refused["hint"]
        wrong = await call.error(
            "delete_resource", {"kind": "data_sources", "id": source_id, "confirm": True, "confirm_name": "other"}
        )
        assert wrong["error"] == "refused" and name in wrong["message"]
        assert await _source_exists(sandbox, source_id)
        deleted = await call.ok(
            "delete_resource", {"kind": "data_sources", "id": source_id, "confirm": True, "confirm_name": name}
        )
        assert {item["id"] for item in deleted["deleted"]} >= {source_id}
    assert not await _source_exists(sandbox, source_id)


async def test_delete_asks_the_user_when_the_client_supports_elicitation(sandbox) -> None:
    source_id, name = await _paused_flow(sandbox)
    questions: list[str] = []
    answer: dict[str, Any] = {"action": "decline"}

    async def on_elicit(context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(**answer)

    async with connect(settings_for(sandbox), elicitation_callback=on_elicit) as client:
        declined = await client.call_tool("delete_resource", {"kind": "data_sources", "id": source_id})
        assert declined.is_error and declined.structured_content["error"] == "refused"
        assert "declined" in declined.structured_content["message"]
        assert await _source_exists(sandbox, source_id)

        # confirm=true from the model does not bypass the human when the client can ask.
        answer.update(action="accept", content={"confirm_name": "not the name"})
        mistyped = await client.call_tool(
            "delete_resource", {"kind": "data_sources", "id": source_id, "confirm": True, "confirm_name": name}
        )
        assert mistyped.is_error and mistyped.structured_content["error"] == "refused"
        assert await _source_exists(sandbox, source_id)

        answer.update(content={"confirm_name": name})
        accepted = await client.call_tool("delete_resource", {"kind": "data_sources", "id": source_id})
        assert not accepted.is_error, accepted.structured_content
    assert len(questions) == 3 and "cannot be undone" in questions[0]
    assert not await _source_exists(sandbox, source_id)


async def test_batch_delete_and_revoke_need_confirmation(sandbox) -> None:
    source_id, _ = await _paused_flow(sandbox)
    async with connect(settings_for(sandbox)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        refused = await call.error(
            "run_batch", {"operation": "delete", "resource_type": "data_sources", "ids": [source_id], "preview": False}
        )
        assert refused["error"] == "refused"
        accessors = [{"type": "USER", "id": sandbox.users["operator"]}]
        revoke = await call.error(
            "revoke_access", {"kind": "data_sources", "resource_ids": [source_id], "accessors": accessors}
        )
        assert revoke["error"] == "refused" and "confirm" in revoke["hint"]
        assert await _source_exists(sandbox, source_id)
        done = await call.ok(
            "run_batch",
            {"operation": "delete", "resource_type": "data_sources", "ids": [source_id], "preview": False,
             "confirm": True},
        )
        assert done["succeeded"] == 1
    assert not await _source_exists(sandbox, source_id)
