"""Token bucket arithmetic with an injected clock."""

import pytest

from nexla_ops.client.rate_limiter import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_paced_in_arrival_order():
    clock = Clock()
    limiter = RateLimiter(rate_per_s=5, burst=3, clock=clock)
    waits = [limiter.reserve() for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.2, 0.4, 0.6])


def test_refills_over_time_up_to_burst():
    clock = Clock()
    limiter = RateLimiter(rate_per_s=2, burst=2, clock=clock)
    limiter.reserve()
    limiter.reserve()
    clock.now += 100.0
    assert [limiter.reserve() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])


def test_any_window_of_requests_respects_the_rate():
    clock = Clock()
    limiter = RateLimiter(rate_per_s=4, burst=4, clock=clock)
    send_times = sorted(clock.now + limiter.reserve() for _ in range(40))
    # Over any span, at most burst + rate * span requests go out.
    for i, start in enumerate(send_times):
        for j in range(i, len(send_times)):
            span = send_times[j] - start
            assert j - i + 1 <= 4 + 4 * span + 1e-9


def test_zero_rate_disables():
    limiter = RateLimiter(rate_per_s=0, burst=1)
    assert not limiter.enabled
    assert all(limiter.reserve() == 0.0 for _ in range(100))


async def test_async_acquire_does_not_wait_within_burst():
    limiter = RateLimiter(rate_per_s=1, burst=2)
    assert await limiter.acquire_async() == 0.0
    assert await limiter.acquire_async() == 0.0
