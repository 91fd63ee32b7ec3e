"""Run a flow now and wait for its result, against the sandbox's run_now and run_status endpoints."""

from __future__ import annotations

import asyncio
import json

import pytest

from nexla_ops.errors import NexlaError
from nexla_ops.operations.deploy import apply_deployment
from nexla_ops.operations.run_now import RunRequest, run_flow
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, client_for, control, make_spec, mutating_requests, reset_requests


@pytest.fixture
async def deployed(sandbox, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    demo = write_demo_data(sandbox.data_dir, orders=30, files=1)
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, make_spec())
        assert result.status == "applied", result.error
    return result, demo


async def test_run_now_waits_for_the_result_with_progress(sandbox, deployed) -> None:
    applied, _ = deployed
    steps: list[str] = []

    async def progress(event) -> None:
        steps.append(event.step)

    # Activation already ran the flow on the demo files; a new file is what this run reads.
    orders = [{"order_id": f"N{n}", "status": "PAID", "customer": {"id": n}, "line_items": [{"sku": "A", "qty": 1}]}
              for n in range(4)]
    (sandbox.data_dir / "s3" / "ingest" / "orders" / "orders-new.json").write_text(json.dumps(orders))
    async with client_for(sandbox) as client:
        result = await run_flow(client, RunRequest(kind="data_sources", id=applied.source_id), progress)
        assert result.finished and result.succeeded and result.exit_code == 0
        assert result.flow_id == applied.flow_id and result.records_in == 4
        assert steps[0] == "run" and steps[-1] == "result"
        # Waiting again on a finished run starts nothing new and answers the same run.
        again = await run_flow(client, RunRequest(id=applied.flow_id, run_id=result.run_id))
        assert again.run_id == result.run_id and again.records_in == result.records_in


async def test_a_paused_flow_is_refused_by_the_api(sandbox, deployed) -> None:
    applied, _ = deployed
    async with client_for(sandbox) as client:
        await client.put(f"/flows/{applied.flow_id}/pause", params={"all": 1})
        with pytest.raises(NexlaError) as refused:
            await run_flow(client, RunRequest(id=applied.flow_id))
    assert refused.value.status == 405


def _still_running(sandbox, run_id: int, count: int | None) -> None:
    """The next ``count`` run_status reads (None: until cleared) say the run is still running."""
    control(sandbox, "POST", "faults", {"method": "GET", "path": r"/run_status/", "status": 200, "count": count,
                                        "body": {"run_id": run_id, "status": "RUNNING"}, "retry_after": None,
                                        "delay_s": 0})


async def test_polls_until_the_run_ends_and_times_out_honestly(sandbox, deployed) -> None:
    applied, _ = deployed
    events: list[str] = []

    async def progress(event) -> None:
        events.append(f"{event.step}:{event.message}")

    async with client_for(sandbox) as client:
        first = await run_flow(client, RunRequest(id=applied.flow_id))
        _still_running(sandbox, first.run_id, 3)
        waited = await run_flow(client, RunRequest(id=applied.flow_id, run_id=first.run_id, poll_s=0.01), progress)
        assert waited.finished and waited.status == "SUCCESS"
        assert sum(e.startswith("wait:") for e in events) == 3 and "RUNNING" in events[0]
        _still_running(sandbox, first.run_id, None)
        late = await run_flow(client, RunRequest(id=applied.flow_id, run_id=first.run_id, poll_s=0.01, timeout_s=0.05))
        assert not late.finished and late.status == "RUNNING" and late.exit_code == 6
        control(sandbox, "DELETE", "faults")


async def test_cancelling_the_wait_leaves_the_run_alone(sandbox, deployed) -> None:
    applied, _ = deployed
    async with client_for(sandbox) as client:
        first = await run_flow(client, RunRequest(id=applied.flow_id))
        _still_running(sandbox, first.run_id, None)
        polled = asyncio.Event()

        async def progress(event) -> None:
            if event.step == "wait":
                polled.set()

        reset_requests(sandbox)
        waiting = asyncio.ensure_future(run_flow(client, RunRequest(id=applied.flow_id, run_id=first.run_id,
                                                                     poll_s=0.01), progress))
        await asyncio.wait_for(polled.wait(), timeout=30)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert mutating_requests(sandbox) == {}
        control(sandbox, "DELETE", "faults")
        status = await client.get(f"/flows/{applied.flow_id}/run_status/{first.run_id}")
    assert status["status"] == "SUCCESS"
