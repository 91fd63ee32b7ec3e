"""The circuit breaker counts requests by their final outcome and makes an open circuit a wait, over loopback."""

import pytest

from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.client.circuit_breaker import CLOSED, OPEN
from nexla_ops.errors import CircuitOpenError, ServerError


def open_the_breaker(client: NexlaClient, controls, route: str = "^/teams$") -> None:
    """Five requests that fail for good (one attempt each) open a breaker with the default thresholds."""
    controls.fault(method="GET", path=route, status=503, count=5)
    for _ in range(5):
        with pytest.raises(ServerError):
            client.request("GET", "/teams", replay_safe=True)
    assert client.pipeline.breaker.state == OPEN


def test_retried_faults_are_not_counted_as_failures(sandbox, controls, make_settings):
    with NexlaClient(make_settings(max_attempts=3)) as client:
        client.whoami()
        for _ in range(6):
            # Two failed attempts before each success: 12 failed attempts in all, no failed request.
            controls.fault(method="GET", path="^/teams$", status=503, retry_after="0", count=2)
            assert isinstance(client.get("/teams"), list)
        assert controls.count("GET /teams") == 18
        assert client.pipeline.breaker.state == CLOSED


def test_a_request_that_fails_after_its_retries_counts_once(sandbox, controls, make_settings):
    with NexlaClient(make_settings(max_attempts=3)) as client:
        client.whoami()
        for _ in range(4):
            controls.fault(method="GET", path="^/teams$", status=502, retry_after="0", count=3)
            with pytest.raises(ServerError):
                client.get("/teams")
        # 12 failed attempts, but only 4 failed requests: under the threshold of 5.
        assert client.pipeline.breaker.state == CLOSED
        controls.fault(method="GET", path="^/teams$", status=502, retry_after="0", count=3)
        with pytest.raises(ServerError):
            client.get("/teams")
        assert client.pipeline.breaker.state == OPEN


def test_rollback_delete_waits_out_the_cooldown(sandbox, controls, make_settings):
    settings = make_settings(max_attempts=1, breaker_cooldown_s=0.5, retry_budget_s=5)
    with NexlaClient(settings) as client:
        team = client.post("/teams", json={"name": "to-roll-back"})
        open_the_breaker(client, controls)
        client.delete(f"/teams/{team['id']}")
        assert controls.count(f"DELETE /teams/{team['id']}") == 1
        assert team["id"] not in [t["id"] for t in client.paginate("/teams")]


def test_a_create_refused_by_the_open_circuit_waits_and_is_sent_once(sandbox, controls, make_settings):
    settings = make_settings(max_attempts=1, breaker_cooldown_s=0.5, retry_budget_s=5)
    with NexlaClient(settings) as client:
        client.whoami()
        open_the_breaker(client, controls)
        created = client.post("/teams", json={"name": "created-after-the-wait"})
        assert controls.count("POST /teams") == 1, "refused while open means never sent, so waiting cannot duplicate"
        names = [t["name"] for t in client.paginate("/teams")]
    assert names.count("created-after-the-wait") == 1 and created["name"] == "created-after-the-wait"


def test_a_failed_probe_reopens_and_the_wait_stops_at_the_budget(sandbox, controls, make_settings):
    settings = make_settings(max_attempts=1, breaker_cooldown_s=0.4, retry_budget_s=3)
    with NexlaClient(settings) as client:
        client.whoami()
        open_the_breaker(client, controls)
        controls.fault(method="GET", path="^/teams$", status=503, count=1)
        with pytest.raises(ServerError):
            client.get("/teams")  # waited 0.4 s, the probe failed: open again
        assert client.pipeline.breaker.state == OPEN
        controls.fault(method="GET", path="^/teams$", status=503, count=1)
        with pytest.raises(ServerError):
            client.get("/teams")  # the next cool-down still fits in the budget: probe, fails again
    # A cool-down longer than the budget is not waited out (20 s: its own breaker, and no timing
    # of this test can outlast it).
    with NexlaClient(make_settings(max_attempts=1, breaker_cooldown_s=20, retry_budget_s=0.1)) as impatient:
        open_the_breaker(impatient, controls)
        before = controls.count("GET /teams")
        with pytest.raises(CircuitOpenError) as info:
            impatient.get("/teams")
    assert 0 < info.value.retry_after <= 20
    assert controls.count("GET /teams") == before


async def test_async_waiters_share_one_probe_then_all_go_through(sandbox, controls, make_settings):
    settings = make_settings(max_attempts=1, breaker_cooldown_s=0.5, retry_budget_s=5)
    async with AsyncNexlaClient(settings) as client:
        await client.whoami()
        with NexlaClient(settings) as sync_client:
            open_the_breaker(sync_client, controls)  # the same process-wide breaker for this API URL
        assert client.pipeline.breaker is sync_client.pipeline.breaker
        before = controls.count("GET /teams")
        results = await client.fan_out(lambda _: client.get("/teams"), range(8), concurrency=8)
        assert [r for r in results if isinstance(r, Exception)] == []
        assert controls.count("GET /teams") == before + 8, "each request sent once: one probe, then the rest"
        assert client.pipeline.breaker.state == CLOSED
