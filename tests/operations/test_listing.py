"""Listing and getting resources against the sandbox: filters, fields, cursor, no silent truncation."""

from __future__ import annotations

import pytest

from nexla_ops.operations.listing import ListQuery, get_resource, list_resources
from tests.helpers.deploy import client_for


async def _make_sources(client, count: int) -> list[int]:
    ids = []
    for n in range(count):
        record = await client.post("/data_sources", json={
            "name": f"src-{n:03d}", "source_type": "s3", "source_config": {"path": f"in/{n}/"},
            "tags": ["even"] if n % 2 == 0 else [],
        })
        ids.append(record["id"])
    return ids


async def test_cursor_pages_through_everything_exactly_once(sandbox):
    async with client_for(sandbox) as client:
        ids = await _make_sources(client, 7)
        seen, cursor, pages = [], None, 0
        while True:
            page = await list_resources(client, ListQuery(kind="sources", limit=3, cursor=cursor))
            pages += 1
            seen += [item["id"] for item in page.items]
            assert page.truncated == page.has_more
            if not page.has_more:
                break
            cursor = page.next_cursor
        assert seen == ids and pages == 3


async def test_filters_and_fields(sandbox):
    async with client_for(sandbox) as client:
        await _make_sources(client, 6)
        tagged = await list_resources(client, ListQuery(kind="source", tag="even", name="SRC-00"))
        assert [i["name"] for i in tagged.items] == ["src-000", "src-002", "src-004"]
        assert set(tagged.items[0]) == {"id", "name", "status", "type", "owner", "updated_at"}
        assert tagged.items[0]["type"] == "s3"
        picked = await list_resources(client, ListQuery(kind="sources", fields=["source_config.path"], limit=1))
        assert picked.items == [{"id": picked.items[0]["id"], "source_config.path": "in/0/"}] and picked.has_more
        none = await list_resources(client, ListQuery(kind="sources", status="ACTIVE"))
        assert none.count == 0 and not none.has_more


async def test_get_resource_and_bad_input(sandbox):
    async with client_for(sandbox) as client:
        [source_id] = await _make_sources(client, 1)
        detail = await get_resource(client, "data_sources", source_id, fields=["name"])
        assert detail.resource == {"id": source_id, "name": "src-000"}
        with pytest.raises(ValueError, match="^cursor is invalid"):
            await list_resources(client, ListQuery(kind="sources", cursor="not-a-cursor"))
    with pytest.raises(ValueError, match="unknown resource type"):
        ListQuery(kind="widgets")
