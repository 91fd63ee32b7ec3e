"""Retries, the retry budget, the circuit breaker and the rate limiter, driven by sandbox faults."""

import asyncio
import time

import pytest

from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.client.circuit_breaker import CLOSED, OPEN
from nexla_ops.errors import CircuitOpenError, NotFoundError, RateLimitError, ServerError


def test_retry_after_header_is_honoured(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        client.whoami()
        controls.fault(method="GET", path="^/teams$", status=503, retry_after="1", count=1)
        started = time.monotonic()
        assert isinstance(client.get("/teams"), list)
        waited = time.monotonic() - started
    assert waited >= 0.9
    assert controls.count("GET /teams") == 2


def test_retry_after_in_the_body_is_honoured(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        client.whoami()
        controls.fault(
            method="GET", path="^/teams$", status=503, count=1, body={"message": "busy", "retry_after": 1}
        )
        started = time.monotonic()
        client.get("/teams")
        assert time.monotonic() - started >= 0.9


def test_budget_stops_retries_and_keeps_the_hint(sandbox, controls, make_settings):
    controls.fault(method="GET", path="^/teams$", status=503, retry_after="30", count=3)
    with NexlaClient(make_settings(retry_budget_s=2)) as client:
        client.whoami()
        with pytest.raises(ServerError) as info:
            client.get("/teams")
    assert info.value.retry_after == 30.0
    assert "wait 30 s" in str(info.value)
    assert controls.count("GET /teams") == 1, "a 30 s wait does not fit a 2 s budget"


def test_max_attempts_stops_retries(sandbox, controls, make_settings):
    controls.fault(method="GET", path="^/teams$", status=502, retry_after="0", count=10)
    with NexlaClient(make_settings(max_attempts=3)) as client, pytest.raises(ServerError) as info:
        client.get("/teams")
    assert info.value.attempts == 3
    assert controls.count("GET /teams") == 3


def test_post_create_is_not_retried_on_503(sandbox, controls, make_settings):
    controls.fault(method="POST", path="^/teams$", status=503, retry_after="0", count=1)
    with NexlaClient(make_settings()) as client:
        with pytest.raises(ServerError):
            client.post("/teams", json={"name": "only-once"})
        assert controls.count("POST /teams") == 1
        assert "only-once" not in [t["name"] for t in client.paginate("/teams")]


def test_replay_safe_post_is_retried(sandbox, controls, make_settings):
    controls.fault(method="POST", path="^/teams$", status=503, retry_after="0", count=1)
    with NexlaClient(make_settings()) as client:
        # The flag is the caller's promise that a replay cannot duplicate anything.
        created = client.post("/teams", json={"name": "probe-like"}, replay_safe=True)
    assert created["name"] == "probe-like"
    assert controls.count("POST /teams") == 2


def test_put_and_delete_are_retried(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        team = client.post("/teams", json={"name": "to-change"})
        controls.fault(method="PUT", path=r"^/teams/\d+$", status=504, retry_after="0", count=1)
        assert client.put(f"/teams/{team['id']}", json={"description": "changed"})["description"] == "changed"
        controls.fault(method="DELETE", path=r"^/teams/\d+$", status=503, retry_after="0", count=1)
        client.delete(f"/teams/{team['id']}")
        with pytest.raises(NotFoundError):
            client.get(f"/teams/{team['id']}")


def test_breaker_opens_fails_fast_when_the_budget_cannot_cover_the_cooldown(sandbox, controls, make_settings):
    settings = make_settings(max_attempts=1, breaker_cooldown_s=5, retry_budget_s=1)
    with NexlaClient(settings) as client:
        client.whoami()
        controls.fault(method="GET", path="^/teams$", status=503, count=5)
        for _ in range(5):
            with pytest.raises(ServerError):
                client.get("/teams")
        assert client.pipeline.breaker.state == OPEN
        before = controls.count("GET /teams")
        with pytest.raises(CircuitOpenError) as info:
            client.get("/teams")
        assert controls.count("GET /teams") == before, "an open circuit sends nothing"
        assert info.value.exit_code == 6 and 4 < info.value.retry_after <= 5
        assert "HTTP 503" in str(info.value)


def test_open_breaker_is_waited_out_then_the_probe_closes_it(sandbox, controls, make_settings):
    settings = make_settings(max_attempts=1, breaker_cooldown_s=0.5, retry_budget_s=5)
    with NexlaClient(settings) as client:
        client.whoami()
        controls.fault(method="GET", path="^/teams$", status=503, count=5)
        for _ in range(5):
            with pytest.raises(ServerError):
                client.get("/teams")
        assert client.pipeline.breaker.state == OPEN
        before = controls.count("GET /teams")
        assert isinstance(client.get("/teams"), list)  # waited, then sent as the half-open probe
        assert controls.count("GET /teams") == before + 1
        assert client.pipeline.breaker.state == CLOSED


def test_4xx_never_opens_the_breaker(sandbox, make_settings):
    with NexlaClient(make_settings(max_attempts=1)) as client:
        for _ in range(12):
            with pytest.raises(NotFoundError):
                client.get("/data_sources/999999")
        assert client.pipeline.breaker.state == CLOSED


async def test_limiter_keeps_a_burst_under_the_server_limit(sandbox, controls, make_settings):
    # Headroom over the client's pace (12/s, burst 4) so that a loaded machine delaying a few sends
    # into one instant stays under; 30 unpaced requests at once would still bounce off burst 10.
    controls.rate_limit(40, burst=10)
    settings = make_settings(rate_limit_per_s=12, rate_limit_burst=4)
    async with AsyncNexlaClient(settings) as client:
        await client.whoami()
        controls.reset_requests()
        results = await client.fan_out(lambda _: client.get("/teams"), range(30), concurrency=30)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert controls.count("GET /teams") == 30
    assert "429" not in controls.statuses(), "the limiter, not retries, kept us under the limit"


async def test_without_the_limiter_a_burst_bounces(sandbox, controls, make_settings):
    # A limit low enough that even a slow, busy machine sends 15 requests faster than it refills.
    controls.rate_limit(5, burst=2)
    async with AsyncNexlaClient(make_settings(rate_limit_per_s=0, max_attempts=1)) as client:
        await client.whoami()
        results = await client.fan_out(lambda _: client.get("/teams"), range(15), concurrency=15)
    assert any(isinstance(r, RateLimitError) for r in results)


async def test_fan_out_is_bounded_and_ordered(sandbox, make_settings):
    active = peak = 0

    async with AsyncNexlaClient(make_settings()) as client:

        async def fetch(i: int) -> int:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            try:
                await client.get("/teams")
                await asyncio.sleep(0.01)
                return i
            finally:
                active -= 1

        results = await client.fan_out(fetch, range(12), concurrency=3)
    assert results == list(range(12)) and peak <= 3


def test_sync_fan_out_returns_exceptions_in_place(sandbox, make_settings):
    with NexlaClient(make_settings()) as client:
        results = client.fan_out(lambda path: client.get(path), ["/teams", "/data_sources/999999", "/teams"], concurrency=2)
    assert isinstance(results[0], list) and isinstance(results[1], NotFoundError) and isinstance(results[2], list)
