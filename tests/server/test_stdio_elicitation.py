"""Destructive tools ask the human over stdio too: the server as a subprocess, a real client
answering elicitation, in both connection modes a client may use.

``mode="auto"`` negotiates 2026-07-28, where the question travels as an ``input_required`` round
of the tool call; ``mode="legacy"`` negotiates 2025-11-25, where the server sends an
``elicitation/create`` request mid-call. The product supports both.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.types import ElicitRequestParams, ElicitResult

from tests.helpers.access import make_credential, make_flow
from tests.helpers.deploy import client_for
from tests.helpers.mcp import text_of

PROTOCOL = {"auto": "2026-07-28", "legacy": "2025-11-25"}


async def _paused_source(sandbox) -> tuple[int, str]:
    async with client_for(sandbox) as api:
        credential = await make_credential(api)
        flow = await make_flow(api, credential["id"], name="stdio-delete", activate=False, sink=False)
        source = await api.get(f"/data_sources/{flow.source_id}")
    return flow.source_id, source["name"]


async def _source_exists(sandbox, source_id: int) -> bool:
    async with client_for(sandbox) as api:
        return any(row["id"] == source_id for row in await api.get("/data_sources"))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_delete_over_stdio_asks_and_proceeds_only_on_accept(mode: str, sandbox, sandbox_env) -> None:
    source_id, name = await _paused_source(sandbox)
    questions: list[str] = []
    answer: dict[str, Any] = {"action": "decline"}

    async def on_elicit(context: Any, params: ElicitRequestParams) -> ElicitResult:
        questions.append(params.message)
        return ElicitResult(**answer)

    server = StdioServerParameters(command=sys.executable, args=["-m", "nexla_mcp", "--toolsets", "flows"],
                                   env=sandbox_env)
    async with Client(server, elicitation_callback=on_elicit, mode=mode) as client:
        assert client.protocol_version == PROTOCOL[mode]
        arguments = {"kind": "data_sources", "id": source_id}
        # Bad arguments are rejected before anyone is asked.
        bad = await client.call_tool("delete_resource", {"kind": "data_sources", "id": "first"})
        assert bad.is_error and bad.structured_content["error"] == "invalid_arguments", text_of(bad)
        assert bad.structured_content["arguments"] == ["id"] and not questions
        declined = await client.call_tool("delete_resource", arguments)
        assert declined.is_error, text_of(declined)
        assert declined.structured_content["error"] == "refused"
        assert await _source_exists(sandbox, source_id)

        answer.update(action="accept", content={"confirm_name": name})
        accepted = await client.call_tool("delete_resource", arguments)
        assert not accepted.is_error, text_of(accepted)
        assert source_id in {item["id"] for item in accepted.structured_content["deleted"]}
    assert len(questions) == 2 and "cannot be undone" in questions[0]
    assert not await _source_exists(sandbox, source_id)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_delete_over_stdio_without_elicitation_needs_confirm_and_the_name(mode: str, sandbox, sandbox_env) -> None:
    source_id, name = await _paused_source(sandbox)
    server = StdioServerParameters(command=sys.executable, args=["-m", "nexla_mcp", "--toolsets", "flows"],
                                   env=sandbox_env)
    async with Client(server, mode=mode) as client:
        assert client.protocol_version == PROTOCOL[mode]
        arguments: dict[str, Any] = {"kind": "data_sources", "id": source_id}
        refused = await client.call_tool("delete_resource", arguments)
        assert refused.is_error and refused.structured_content["error"] == "refused"
        assert "confirm" in refused.structured_content["hint"]
        assert await _source_exists(sandbox, source_id)
        accepted = await client.call_tool("delete_resource", {**arguments, "confirm": True, "confirm_name": name})
        assert not accepted.is_error, text_of(accepted)
    assert not await _source_exists(sandbox, source_id)
