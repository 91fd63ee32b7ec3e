"""Async tasks against the sandbox: discover, create, wait, result, download link, acknowledge."""

from __future__ import annotations

import pydantic
import pytest

from nexla_ops.errors import NotFoundError, ValidationError
from nexla_ops.operations.async_tasks import (
    TERMINAL_STATUSES,
    TaskRequest,
    TaskWaitTimeout,
    acknowledge_task,
    create_task,
    explain_task_arguments,
    get_download_link,
    get_task,
    get_task_result,
    is_terminal,
    list_task_types,
    succeeded,
    wait_for_task,
)
from nexla_ops.operations.progress import ProgressEvent
from tests.helpers.monitor import build_flow, client_for, control


async def test_discover_types_and_their_arguments(sandbox):
    async with client_for(sandbox) as client:
        types = await list_task_types(client)
        explained = await explain_task_arguments(client, "BulkPauseFlows")
        with pytest.raises(NotFoundError, match="Unknown async task type"):
            await explain_task_arguments(client, "NoSuchTask")
    assert set(types.types) == {"BulkDeleteNotifications", "BulkMarkAsReadNotifications", "BulkPauseFlows",
                                "CallProbe", "ChownUserResources", "DeactivateUser", "GetAuditLogs"}
    assert explained.arguments[0]["name"] == "flow_ids" and explained.arguments[0]["required"] is True


async def test_an_unknown_type_is_named_without_reading_the_error_body(sandbox):
    async with client_for(sandbox) as client:
        # The explain 404 has an empty body, as on real Nexla.
        with pytest.raises(NotFoundError) as explained:
            await explain_task_arguments(client, "NoSuchTask")
        # Whatever the 400 body says (here an injected fault's), the message comes from the type list.
        control(sandbox, "POST", "faults", {"method": "POST", "path": "^/async_tasks$", "status": 400, "count": 1})
        with pytest.raises(ValidationError) as created:
            await create_task(client, TaskRequest(type="NoSuchTask"))
        # A known type refused for another reason keeps the server's own error.
        control(sandbox, "POST", "faults", {"method": "POST", "path": "^/async_tasks$", "status": 400, "count": 1})
        with pytest.raises(ValidationError) as other:
            await create_task(client, TaskRequest(type="BulkPauseFlows"))
    for error in (explained.value, created.value):
        assert "Unknown async task type 'NoSuchTask'" in error.message and "BulkPauseFlows" in error.message
        assert "list_task_types" in error.hint
    assert "Unknown async task type" not in other.value.message and other.value.status == 400


async def test_pause_flows_task_runs_to_completion_with_result_link_and_ack(sandbox):
    with sandbox.client() as api:
        flow = build_flow(sandbox, api)
    events: list[ProgressEvent] = []

    async def record(event: ProgressEvent) -> None:
        events.append(event)

    async with client_for(sandbox) as client:
        started = await create_task(client, TaskRequest(type="BulkPauseFlows", arguments={"flow_ids": [flow.flow_id]}))
        done = await wait_for_task(client, started.id, timeout_s=30, progress=record)
        result = await get_task_result(client, started.id)
        link = await get_download_link(client, started.id)
        acknowledged = await acknowledge_task(client, started.id)
        source = await client.get(f"/data_sources/{flow.source_id}")
    assert started.status in {"pending", "running", "completed"}
    assert done.terminal and done.succeeded and done.exit_code == 0 and done.error is None and done.polls >= 1
    assert done.status == "completed" and done.finished_at is not None
    assert events and events[-1].step == "wait"
    assert result.result == {"paused": [flow.flow_id]}
    assert link.url.endswith(f"/async_tasks/{started.id}/download")
    assert acknowledged.acknowledged and source["status"] == "PAUSED"


async def test_a_failing_task_reports_the_error_field(sandbox):
    async with client_for(sandbox) as client:
        started = await create_task(client, TaskRequest(type="BulkPauseFlows", arguments={"flow_ids": ["x"]}))
        done = await wait_for_task(client, started.id, timeout_s=30)
    assert done.terminal and not done.succeeded and done.exit_code == 5 and done.status == "failed"
    assert "flow_ids" in (done.error or "")


async def test_nexla_task_shape_error_object_and_stopped_at(sandbox):
    async with client_for(sandbox) as client:
        started = await create_task(client, TaskRequest(type="BulkDeleteNotifications", arguments={}))
        control(sandbox, "POST", "faults", {
            "method": "GET", "path": f"^/async_tasks/{started.id}$", "status": 200, "count": 1,
            "body": {"id": str(started.id), "type": "BulkDeleteNotifications", "status": "cancelled", "progress": 40,
                     "error": {"message": "cancelled by an admin"}, "stopped_at": "2026-01-02T03:04:05Z",
                     "result_url": "https://files.example/r.json"}})
        done = await wait_for_task(client, started.id, timeout_s=30)
    assert done.id == started.id and done.terminal and not done.succeeded and done.exit_code == 5
    assert done.error == "cancelled by an admin" and done.progress == 40
    assert done.finished_at is not None and done.finished_at.startswith("2026-01-02T03:04:05")
    assert done.result_url == "https://files.example/r.json"


async def test_wait_gives_up_at_the_deadline_without_cancelling(sandbox):
    async with client_for(sandbox) as client:
        started = await create_task(client, TaskRequest(type="BulkDeleteNotifications", arguments={}))
        control(sandbox, "POST", "faults", {"method": "GET", "path": f"^/async_tasks/{started.id}$", "status": 200,
                                             "count": None, "body": {"id": started.id, "status": "running"}})
        with pytest.raises(TaskWaitTimeout) as caught:
            await wait_for_task(client, started.id, timeout_s=0.3, initial_delay_s=0.05, max_delay_s=0.1)
        control(sandbox, "DELETE", "faults")
        after = await get_task(client, started.id)
    assert caught.value.exit_code == 6 and caught.value.retryable and "still 'running'" in caught.value.message
    assert after.succeeded


async def test_download_link_accepts_a_bare_string(sandbox):
    async with client_for(sandbox) as client:
        started = await create_task(client, TaskRequest(type="BulkDeleteNotifications", arguments={}))
        control(sandbox, "POST", "faults", {"method": "GET", "path": "download_link$", "status": 200,
                                             "body": "https://files.example/result.json"})
        link = await get_download_link(client, started.id)
    assert link.url == "https://files.example/result.json" and link.expires_at is None


async def test_bad_requests_are_refused(sandbox):
    with pytest.raises(pydantic.ValidationError, match="type is empty"):
        TaskRequest(type="  ")
    async with client_for(sandbox) as client:
        with pytest.raises(ValidationError, match="'type' must be one of: BulkDeleteNotifications"):
            await create_task(client, TaskRequest(type="NoSuchTask"))
        with pytest.raises(NotFoundError):
            await get_task(client, 999999)
        with pytest.raises(ValueError, match="timeout_s"):
            await wait_for_task(client, 1, timeout_s=0)
    # Another user's task is invisible to a plain member.
    async with client_for(sandbox) as admin:
        task = await create_task(admin, TaskRequest(type="BulkDeleteNotifications", arguments={}))
    async with client_for(sandbox, "collaborator") as other:
        with pytest.raises(NotFoundError):
            await get_task(other, task.id)


def test_status_vocabulary_is_nexlas_compared_case_insensitively():
    assert TERMINAL_STATUSES == {"completed", "failed", "cancelled"}
    assert is_terminal("COMPLETED") and succeeded("Completed") and is_terminal("cancelled") and not succeeded("failed")
    assert not is_terminal("pending") and not is_terminal("running") and not is_terminal(None)
