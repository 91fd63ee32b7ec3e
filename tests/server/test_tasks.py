"""Long tools as MCP tasks through a real MCP client: create, progress, result; cancel leaves nothing behind."""

from __future__ import annotations

import asyncio

import pytest
from mcp.shared.exceptions import MCPError

from nexla_mcp.tasks import TASKS_EXTENSION
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers import tasks
from tests.helpers.deploy import SECRET_ENV, client_for, inject_fault, inventory, spec_data
from tests.helpers.mcp import connect, settings_for, text_of


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")


async def _wait_for(session, task_id: str, needle: str) -> tasks.GetTaskResult:
    for _ in range(600):
        state = await tasks.get(session, task_id)
        if needle in (state.status_message or "") or state.status != "working":
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"task never reached {needle!r}")


async def test_apply_deployment_as_a_task_reports_progress_and_its_result(sandbox) -> None:
    write_demo_data(sandbox.data_dir)
    watcher = tasks.TasksClient()
    async with connect(settings_for(sandbox), extensions=[watcher]) as client:
        result = await client.call_tool("apply_deployment", {"spec": spec_data()}, meta={TASKS_EXTENSION: {"ttl": 60_000}})
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None and result.structured_content["status"] == "applied"
        messages = [state.status_message for state in watcher.seen if state.status == "working"]
        # Polling sees the latest step each time: at least one, in order, then the end.
        assert messages and all((m or "").startswith("step ") for m in messages)
        assert watcher.seen[-1].status == "completed"
        steps = [int(m.split(":")[0].removeprefix("step ")) for m in messages if m]
        assert steps == sorted(steps)
        # The synchronous call is still there for clients without the extension.
        again = await client.call_tool("apply_deployment", {"spec": spec_data()})
        assert again.structured_content is not None and again.structured_content["status"] == "unchanged"


async def test_cancelling_mid_way_rolls_back_everything_the_task_started(sandbox) -> None:
    # Apply is held in discovery (after creating a credential and a source): the source polls it
    # makes there are slowed down, so the cancel lands mid-way however fast the sandbox detects.
    (sandbox.data_dir / "s3").mkdir(parents=True, exist_ok=True)
    inject_fault(sandbox, "GET", r"^/data_sources/\d+$", status=None, count=3, delay_s=2)
    async with client_for(sandbox) as api:
        before = await inventory(api)
    async with connect(settings_for(sandbox), extensions=[tasks.TasksClient()]) as client:
        task = await tasks.start(client.session, "apply_deployment", {"spec": spec_data(discovery_timeout_s=60)})
        assert task.status == "working"
        state = await _wait_for(client.session, task.task_id, "discovery")
        assert state.status == "working" and "discovery" in (state.status_message or "")
        async with client_for(sandbox) as api:
            assert await inventory(api) != before  # the credential and source exist now
        cancelled = await tasks.cancel(client.session, task.task_id)
        assert cancelled.status == "cancelled"
        final = await tasks.result(client.session, task.task_id)
        assert final.is_error and "cancelled" in text_of(final)
        with pytest.raises(MCPError, match="already ended"):
            await tasks.cancel(client.session, task.task_id)
    async with client_for(sandbox) as api:
        assert await inventory(api) == before


async def test_unknown_tasks_and_tools_that_are_not_tasks(sandbox) -> None:
    async with connect(settings_for(sandbox), extensions=[tasks.TasksClient()]) as client:
        with pytest.raises(MCPError, match="no task"):
            await tasks.get(client.session, "no-such-task")
        # A short tool asked to run as a task just answers.
        plain = await client.session.call_tool("quickstart", {}, meta={TASKS_EXTENSION: {}}, allow_claimed=True)
        assert not isinstance(plain, tasks.TaskCreated) and not plain.is_error
