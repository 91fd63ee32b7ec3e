"""Listing and getting resources against the sandbox: filters, fields, cursor, no silent truncation."""

from __future__ import annotations

import pytest

from nexla_ops.operations.listing import ListQuery, get_resource, list_resources
from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
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


def _client_as(sandbox, label: str):
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.keys[label], "NEXLA_AUDIT_LOG": ""}
    return AsyncNexlaClient(Settings.from_env(env=env))


async def test_flows_by_tag_and_owner_return_the_matching_flows(sandbox):
    async with client_for(sandbox) as client:
        ids = await _make_sources(client, 4)
        me = await client.get("/users/current")
        tagged = await list_resources(client, ListQuery(kind="flows", tag="even"))
        mine = await list_resources(client, ListQuery(kind="flows", owner=str(me["id"])))
        by_email = await list_resources(client, ListQuery(kind="flows", owner=me["email"], tag="even"))
        nobody = await list_resources(client, ListQuery(kind="flows", owner="999999"))
    assert sorted(row["data_source_id"] for row in tagged.items) == [ids[0], ids[2]]
    assert sorted(row["data_source_id"] for row in mine.items) == ids
    assert sorted(row["data_source_id"] for row in by_email.items) == [ids[0], ids[2]]
    assert nobody.count == 0 and not nobody.has_more


async def test_lists_see_what_is_shared_with_the_caller(sandbox):
    async with client_for(sandbox) as client:
        [shared, private] = await _make_sources(client, 2)
        await client.put(f"/data_sources/{shared}/accessors", json={"accessors": [
            {"type": "USER", "id": sandbox.users["collaborator"], "access_roles": ["collaborator"]}]})
    async with _client_as(sandbox, "collaborator") as client:
        reachable = await list_resources(client, ListQuery(kind="sources"))
        owned = await list_resources(client, ListQuery(kind="sources", access_role="owner"))
    assert [item["id"] for item in reachable.items] == [shared]
    assert owned.count == 0 and private not in [item["id"] for item in reachable.items]


async def test_a_list_cut_to_fit_a_size_budget_ends_with_a_cursor(sandbox):
    async with client_for(sandbox) as client:
        ids = await _make_sources(client, 6)
        first = await list_resources(client, ListQuery(kind="sources", limit=50), max_result_chars=400)
        rest = await list_resources(client, ListQuery(kind="sources", limit=50, cursor=first.next_cursor))
    assert 0 < first.count < 6 and first.has_more and first.next_cursor
    assert [i["id"] for i in first.items + rest.items] == ids and not rest.has_more
