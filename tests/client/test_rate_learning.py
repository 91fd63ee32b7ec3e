"""The client learns the tenant's rate limit from /limits once and adapts to 429s, over loopback."""

import pytest

from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.client.rate_limiter import HEADROOM, RateLimiter, per_second_limit


def test_limits_answer_in_nexla_shape_and_in_the_older_sandbox_shape():
    nexla = {
        "second": {"common": {"limit": 50, "count": 3}, "light": {"limit": 100, "count": 0},
                   "medium": {"limit": 20, "count": 0}, "high": {"limit": 5, "count": 0}},
        "day": {"common": {"limit": 100000, "count": 12}},
    }
    assert per_second_limit(nexla) == 50
    assert per_second_limit({"second": {"light": {"limit": 100}, "medium": {"limit": 20}}}) == 20
    assert per_second_limit({"rate_limit": {"requests_per_second": 40.0, "burst": 40}}) == 40
    for nothing in ({"rate_limit": {"requests_per_second": None}}, {"second": {"common": {"limit": 0}}},
                    {"second": {"common": {"limit": "fast"}}}, {}, [], None):
        assert per_second_limit(nothing) is None


def test_the_tenant_limit_is_read_once_and_paces_the_client(sandbox, controls, make_settings):
    controls.rate_limit(30, burst=30)
    with NexlaClient(make_settings(rate_limit_per_s=None)) as client:
        for _ in range(5):
            client.get("/teams")
        limiter = client.pipeline.limiter
        assert controls.count("GET /limits") == 1
        assert limiter.ceiling == pytest.approx(30 * HEADROOM) and limiter.rate_per_s == pytest.approx(30 * HEADROOM)


def test_an_operator_limit_wins_and_no_limits_call_is_made(sandbox, controls, make_settings):
    controls.rate_limit(30, burst=30)
    with NexlaClient(make_settings(rate_limit_per_s=7)) as client:
        client.get("/teams")
        assert controls.count("GET /limits") == 0
        assert client.pipeline.limiter.rate_per_s == 7


async def test_a_learned_limit_keeps_a_burst_free_of_429s(sandbox, controls, make_settings):
    controls.rate_limit(25, burst=5)
    async with AsyncNexlaClient(make_settings(rate_limit_per_s=None, rate_limit_burst=5)) as client:
        await client.whoami()
        controls.reset_requests()
        results = await client.fan_out(lambda _: client.get("/teams"), range(40), concurrency=16)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert "429" not in controls.statuses()


async def test_without_a_known_limit_429s_slow_the_client_and_nothing_fails(sandbox, controls, make_settings):
    controls.fault(method="GET", path="^/limits$", status=404, count=1)  # a tenant that does not tell
    settings = make_settings(rate_limit_per_s=None, max_attempts=8, retry_budget_s=30)
    async with AsyncNexlaClient(settings) as client:
        await client.whoami()
        limiter = client.pipeline.limiter
        assert limiter.rate_per_s == 0, "unpaced until the server pushes back"
        # A limit far below any client's pace (2 at once, 5 a second): the first wave of 16 concurrent
        # requests overruns it even when a loaded machine sends them slowly, so the 429s this test is
        # about always come; the limit goes on only now so that whoami's own calls cannot meet it.
        controls.rate_limit(5, burst=2)
        controls.reset_requests()
        results = await client.fan_out(lambda _: client.get("/teams"), range(30), concurrency=16)
    assert [r for r in results if isinstance(r, Exception)] == []
    refused = controls.statuses().get("429", 0)
    assert refused > 0, "the server's limit was never reached"
    assert limiter.throttles == refused, "every 429 the server sent reached the limiter"
    assert 0 < limiter.rate_per_s, "the client now paces itself"


def test_decrease_is_bounded_by_half_the_learned_limit_and_recovers():
    now = [0.0]
    limiter = RateLimiter(0, 10, adaptive=True, clock=lambda: now[0])
    limiter.learn(100)
    for _ in range(20):
        now[0] += 1.1
        limiter.throttled()
    assert limiter.rate_per_s == pytest.approx(100 * HEADROOM / 2)
    for _ in range(1000):
        limiter.succeeded()
    assert limiter.rate_per_s == pytest.approx(100 * HEADROOM)


def test_a_fixed_limiter_ignores_what_an_adaptive_one_learns():
    limiter = RateLimiter(5, 5)
    limiter.learn(100)
    limiter.throttled()
    limiter.succeeded()
    assert limiter.rate_per_s == 5 and limiter.ceiling is None
