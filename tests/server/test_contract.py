"""The whole tools/list answer is a committed contract: any change to the tool surface is a reviewed diff.

Regenerate with ``UPDATE_SNAPSHOT=1 python -m pytest tests/server/test_contract.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.helpers.mcp import connect, offline_settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools_list.json"


async def test_tools_list_matches_the_committed_snapshot() -> None:
    async with connect(offline_settings()) as client:
        tools = (await client.list_tools()).tools
    current = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    text = json.dumps(current, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert SNAPSHOT.is_file(), "no snapshot yet: run with UPDATE_SNAPSHOT=1"
    assert json.loads(text) == json.loads(SNAPSHOT.read_text(encoding="utf-8")), (
        "the tool surface changed; review it and rerun with UPDATE_SNAPSHOT=1"
    )


async def test_every_tool_publishes_title_annotations_and_an_output_schema() -> None:
    async with connect(offline_settings()) as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        assert len(tool.name) <= 64 and tool.title and tool.description, tool.name
        assert tool.output_schema and tool.output_schema.get("type") == "object", tool.name
        for prop, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description") or "$ref" in schema or "anyOf" in schema, (tool.name, prop)
