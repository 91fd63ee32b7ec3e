"""Pagination to the end against the sandbox's bare-array lists."""

import pytest

from nexla_ops.client import AsyncNexlaClient, NexlaClient


def seed_teams(client: NexlaClient, total: int) -> list[int]:
    existing = len(client.list_page("/teams", per_page=1000).items)
    for i in range(total - existing):
        client.post("/teams", json={"name": f"page-team-{i}"})
    ids = [t["id"] for t in client.list_page("/teams", per_page=1000).items]
    assert len(ids) == total
    return ids


def test_exact_multiple_costs_one_extra_empty_page(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        ids = seed_teams(client, 6)
        controls.reset_requests()
        assert [t["id"] for t in client.paginate("/teams", per_page=3)] == ids
    assert controls.count("GET /teams") == 3


def test_short_last_page_stops(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        ids = seed_teams(client, 7)
        controls.reset_requests()
        assert [t["id"] for t in client.paginate("/teams", per_page=3)] == ids
    assert controls.count("GET /teams") == 3


def test_limit_and_list_page(sandbox, make_settings):
    with NexlaClient(make_settings()) as client:
        ids = seed_teams(client, 7)
        assert [t["id"] for t in client.paginate("/teams", per_page=2, limit=5)] == ids[:5]
        page = client.list_page("/teams", page=2, per_page=3)
        assert [t["id"] for t in page.items] == ids[3:6] and page.has_more and page.page == 2
        last = client.list_page("/teams", page=3, per_page=3)
        assert [t["id"] for t in last.items] == ids[6:] and not last.has_more


def test_bad_paging_arguments_are_rejected_before_sending(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        for kwargs in ({"per_page": 0}, {"limit": -1}):
            with pytest.raises(ValueError):
                list(client.paginate("/teams", **kwargs))
        with pytest.raises(ValueError):
            client.list_page("/teams", page=0)
    assert controls.count("GET /teams") == 0


async def test_async_paginate(sandbox, make_settings):
    with NexlaClient(make_settings()) as client:
        ids = seed_teams(client, 5)
    async with AsyncNexlaClient(make_settings()) as client:
        assert [t["id"] async for t in client.paginate("/teams", per_page=2)] == ids
