"""Batch operations against the sandbox: preview, pause/activate/update/delete, per-item failures,
checkpoint resume and the guards (confirm, selection size, checkpoint of another batch)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from nexla_ops.operations.batch import BatchRequest, run_batch
from nexla_ops.operations.errors import OperationRefused
from tests.helpers.access import client_for, control, inject_fault, mutating_requests, reset_requests


@pytest.fixture
async def admin(sandbox):
    async with client_for(sandbox) as client:
        yield client


async def make_sources(client, count: int, prefix: str = "batch", **fields) -> list[int]:
    ids = []
    for n in range(count):
        created = await client.post(
            "/data_sources",
            json={
                "name": f"{prefix}-{n}",
                "source_type": "s3",
                "source_config": {"path": f"ingest/{prefix}/{n}/", "file_format": "json"},
                **fields,
            },
        )
        ids.append(created["id"])
    return ids


async def statuses(client, ids) -> list[str]:
    return [(await client.get(f"/data_sources/{i}"))["status"] for i in ids]


def batch(**fields) -> BatchRequest:
    fields.setdefault("resource_type", "source")
    return BatchRequest(**fields)


async def test_preview_lists_items_and_changes_nothing(sandbox, admin):
    ids = await make_sources(admin, 3)
    await make_sources(admin, 1, prefix="other")
    reset_requests(sandbox)
    result = await run_batch(admin, batch(operation="pause", name_contains="BATCH-"))
    assert result.preview and result.selected == 3
    assert [i.id for i in result.items] == ids
    assert {i.outcome for i in result.items} == {"planned"}
    assert mutating_requests(sandbox) == {}
    assert set(await statuses(admin, ids)) == {"INIT"}


async def test_pause_skips_what_is_already_paused(sandbox, admin):
    ids = await make_sources(admin, 4)
    await admin.put(f"/data_sources/{ids[0]}/pause")
    result = await run_batch(admin, batch(operation="pause", ids=ids, preview=False, concurrency=2))
    assert (result.succeeded, result.skipped, result.failed) == (3, 1, 0)
    assert result.items[0].outcome == "skipped" and result.items[0].detail == "already paused"
    assert set(await statuses(admin, ids)) == {"PAUSED"}
    assert result.exit_code == 0


async def test_update_changes_one_nested_value_and_keeps_the_rest(sandbox, admin):
    ids = await make_sources(admin, 2, tags=["team-a"])
    other = await make_sources(admin, 1, prefix="untagged")
    request = batch(
        operation="update",
        tag="TEAM-A",
        set={"source_config.path": "ingest/moved/", "description": "moved"},
        preview=False,
    )
    result = await run_batch(admin, request)
    assert result.succeeded == 2
    for source_id in ids:
        source = await admin.get(f"/data_sources/{source_id}")
        assert source["source_config"] == {"path": "ingest/moved/", "file_format": "json"}
        assert source["description"] == "moved"
    assert (await admin.get(f"/data_sources/{other[0]}"))["source_config"]["path"] == "ingest/untagged/0/"
    reset_requests(sandbox)
    again = await run_batch(admin, request)
    assert again.skipped == 2 and {i.detail for i in again.items} == {"already up to date"}
    assert mutating_requests(sandbox) == {}


async def test_delete_needs_confirm_and_pauses_active_items_first(sandbox, admin):
    ids = await make_sources(admin, 2)
    await admin.put(f"/data_sources/{ids[0]}/activate")
    with pytest.raises(OperationRefused, match="confirmation"):
        await run_batch(admin, batch(operation="delete", ids=ids, preview=False))
    preview = await run_batch(admin, batch(operation="delete", ids=ids))
    assert [i.detail for i in preview.items] == ["pause, then delete", "delete"]
    result = await run_batch(admin, batch(operation="delete", ids=ids, preview=False, confirm=True))
    assert result.succeeded == 2
    assert result.items[0].detail == "paused and deleted"
    assert await admin.get("/data_sources") == []


async def test_one_failing_item_does_not_stop_the_others(sandbox, admin):
    ids = await make_sources(admin, 3)
    inject_fault(sandbox, "PUT", rf"^/data_sources/{ids[1]}/pause$", status=403)
    result = await run_batch(admin, batch(operation="pause", ids=[*ids, 999999], preview=False))
    outcomes = {i.id: i for i in result.items}
    assert outcomes[ids[1]].outcome == "failed" and outcomes[ids[1]].error.status == 403
    assert outcomes[ids[1]].error.error == "authorization"
    assert outcomes[999999].outcome == "failed" and outcomes[999999].error.status == 404
    assert (result.succeeded, result.failed) == (2, 2)
    assert result.exit_code == 1


async def test_checkpoint_resume_retries_only_unfinished_items(sandbox, admin, tmp_path):
    ids = await make_sources(admin, 4)
    checkpoint = tmp_path / "pause.jsonl"
    inject_fault(sandbox, "PUT", rf"^/data_sources/{ids[2]}/pause$", status=400)
    first = await run_batch(
        admin, batch(operation="pause", name_contains="batch-", preview=False, checkpoint=str(checkpoint))
    )
    assert (first.succeeded, first.failed) == (3, 1)
    lines = [json.loads(line) for line in checkpoint.read_text().splitlines()]
    assert lines[0]["operation"] == "pause"
    assert sorted(e["id"] for e in lines[1:]) == ids
    reset_requests(sandbox)
    second = await run_batch(
        admin, batch(operation="pause", name_contains="batch-", preview=False, checkpoint=str(checkpoint))
    )
    assert second.done_before == 3 and second.succeeded == 1
    assert {i.id for i in second.items if i.outcome == "succeeded"} == {ids[2]}
    assert mutating_requests(sandbox) == {f"PUT /data_sources/{ids[2]}/pause": 1}


async def test_checkpoint_of_another_batch_is_refused(sandbox, admin, tmp_path):
    ids = await make_sources(admin, 1)
    checkpoint = tmp_path / "cp.jsonl"
    await run_batch(admin, batch(operation="pause", ids=ids, preview=False, checkpoint=str(checkpoint)))
    with pytest.raises(OperationRefused, match="different batch"):
        await run_batch(
            admin, batch(operation="activate", ids=ids, preview=False, checkpoint=str(checkpoint))
        )
    stray = tmp_path / "notes.txt"
    stray.write_text("hello\n")
    with pytest.raises(OperationRefused, match="not a batch checkpoint"):
        await run_batch(admin, batch(operation="pause", ids=ids, preview=False, checkpoint=str(stray)))


async def test_selection_larger_than_max_items_is_refused(sandbox, admin):
    await make_sources(admin, 3)
    with pytest.raises(OperationRefused, match="more than 2"):
        await run_batch(admin, batch(operation="pause", select_all=True, max_items=2))


def test_request_validation_names_the_field():
    with pytest.raises(ValidationError, match="select items"):
        BatchRequest(operation="pause", resource_type="source")
    with pytest.raises(ValidationError, match="resource_type"):
        BatchRequest(operation="activate", resource_type="credentials", ids=[1])
    with pytest.raises(ValidationError, match="'status' cannot be changed"):
        BatchRequest(operation="update", resource_type="source", ids=[1], set={"status": "ACTIVE"})
    with pytest.raises(ValidationError, match="set: update needs"):
        BatchRequest(operation="update", resource_type="source", ids=[1])
    with pytest.raises(ValidationError, match="only the update operation"):
        BatchRequest(operation="pause", resource_type="source", ids=[1], set={"name": "x"})


async def test_a_failed_delete_reactivates_what_it_paused(sandbox, admin):
    ids = await make_sources(admin, 2, prefix="keep")
    for source_id in ids:
        await admin.put(f"/data_sources/{source_id}/activate")
    # Until cleared: a 500 that lasts also fails the end-of-batch second try.
    inject_fault(sandbox, "DELETE", rf"^/data_sources/{ids[1]}$", 500, count=None)
    result = await run_batch(admin, batch(operation="delete", ids=ids, preview=False, confirm=True))
    control(sandbox, "DELETE", "faults")
    outcomes = {item.id: item.outcome for item in result.items}
    assert outcomes == {ids[0]: "succeeded", ids[1]: "failed"}
    assert (await admin.get(f"/data_sources/{ids[1]}"))["status"] == "ACTIVE"


async def test_parallel_workers_ask_who_we_are_once(sandbox, admin, tmp_path):
    ids = await make_sources(admin, 12, prefix="whoami")
    async with client_for(sandbox, audit_log_path=str(tmp_path / "audit.jsonl")) as audited:
        reset_requests(sandbox)
        result = await run_batch(audited, BatchRequest(operation="activate", resource_type="sources", ids=ids,
                                                       preview=False, concurrency=8))
    assert result.succeeded == 12
    routes = control(sandbox, "GET", "requests")["by_route"]
    assert routes.get("GET /users/current") == 1, routes
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert lines and all(line.get("actor") for line in lines)


async def test_transient_failures_are_tried_again_after_the_rest(sandbox):
    """An item that still fails after the client's own retries (an outage, or answers lost after the
    server applied them) gets one more try at the end, from a fresh read, and is never done twice."""
    async with client_for(sandbox, max_attempts=2) as client:
        ids = await make_sources(client, 3)
        inject_fault(sandbox, "PUT", rf"^/data_sources/{ids[1]}$", status=503, count=2)
        control(sandbox, "POST", "faults", {"method": "PUT", "path": rf"^/data_sources/{ids[2]}$",
                                            "status": 504, "count": 2, "after_commit": True})
        reset_requests(sandbox)
        result = await run_batch(
            client, batch(operation="update", ids=ids, set={"description": "moved"}, preview=False)
        )
        outcomes = {i.id: i for i in result.items}
        assert (result.succeeded, result.failed) == (3, 0), [i.error for i in result.items if i.error]
        assert "second try" in outcomes[ids[2]].detail
        for i in ids:
            assert (await client.get(f"/data_sources/{i}"))["description"] == "moved"
        sent = mutating_requests(sandbox)
        # ids[1]: two refused attempts, then the second round's one; ids[2]: its two committed attempts only.
        assert sent[f"PUT /data_sources/{ids[1]}"] == 3
        assert sent[f"PUT /data_sources/{ids[2]}"] == 2


async def test_a_failure_that_is_not_transient_is_not_tried_again(sandbox, admin):
    ids = await make_sources(admin, 2)
    inject_fault(sandbox, "PUT", rf"^/data_sources/{ids[0]}$", status=400, count=2)
    reset_requests(sandbox)
    result = await run_batch(admin, batch(operation="update", ids=ids, set={"description": "x"}, preview=False))
    assert (result.succeeded, result.failed) == (1, 1)
    assert mutating_requests(sandbox)[f"PUT /data_sources/{ids[0]}"] == 1


async def test_an_id_whose_first_read_failed_is_read_and_done_on_the_second_try(sandbox):
    async with client_for(sandbox, max_attempts=2) as client:
        ids = await make_sources(client, 2)
        await client.put(f"/data_sources/{ids[1]}", json={"description": "already"})
        for source_id in ids:
            inject_fault(sandbox, "GET", rf"^/data_sources/{source_id}$", status=503, count=2)
        result = await run_batch(
            client, batch(operation="update", ids=ids, set={"description": "already"}, preview=False)
        )
    outcomes = {i.id: i for i in result.items}
    assert outcomes[ids[0]].outcome == "succeeded" and outcomes[ids[0]].detail.startswith("updated")
    # Nothing was sent for it in either round: it was up to date, not "confirmed".
    assert outcomes[ids[1]].outcome == "skipped" and outcomes[ids[1]].detail == "already up to date"
