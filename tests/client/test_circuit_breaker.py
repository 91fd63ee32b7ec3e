"""Circuit breaker state machine with an injected clock."""

import threading

import pytest

from nexla_ops.client.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, breaker_for
from nexla_ops.errors import CircuitOpenError


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, **kw) -> CircuitBreaker:
    defaults = {"failure_threshold": 5, "failure_ratio": 0.5, "window": 10, "cooldown_s": 30.0}
    defaults.update(kw)
    return CircuitBreaker(clock=clock, name="http://api", **defaults)


def call(breaker: CircuitBreaker, failure: bool) -> None:
    breaker.record(breaker.before_call(), failure=failure, description="HTTP 503" if failure else "")


def test_opens_only_after_threshold_and_ratio():
    clock = Clock()
    breaker = make(clock)
    for _ in range(4):
        call(breaker, True)
    assert breaker.state == CLOSED
    call(breaker, True)
    assert breaker.state == OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.before_call()
    assert info.value.retry_after == pytest.approx(30.0)
    assert "5 of the last 5 requests failed" in info.value.message
    assert "HTTP 503" in info.value.message
    assert info.value.exit_code == 6


def test_mostly_successful_window_stays_closed():
    clock = Clock()
    breaker = make(clock)
    # 4 failures among 10 calls stays under the threshold of 5 failures.
    for failure in [False, True, False, True, False, True, False, True, False, False]:
        call(breaker, failure)
    assert breaker.state == CLOSED


def test_half_open_lets_one_probe_through_then_closes():
    clock = Clock()
    breaker = make(clock, cooldown_s=10.0)
    for _ in range(5):
        call(breaker, True)
    clock.now += 10.0
    assert breaker.state == HALF_OPEN
    probe = breaker.before_call()
    assert probe.probe
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    breaker.record(probe, failure=False)
    assert breaker.state == CLOSED
    assert not breaker.before_call().probe


def test_failed_probe_reopens_for_another_cooldown():
    clock = Clock()
    breaker = make(clock, cooldown_s=10.0)
    for _ in range(5):
        call(breaker, True)
    clock.now += 10.0
    breaker.record(breaker.before_call(), failure=True)
    assert breaker.state == OPEN
    clock.now += 9.0
    with pytest.raises(CircuitOpenError):
        breaker.before_call()
    clock.now += 1.0
    assert breaker.before_call().probe


def test_abandoned_probe_does_not_wedge_the_breaker():
    clock = Clock()
    breaker = make(clock, cooldown_s=10.0)
    for _ in range(5):
        call(breaker, True)
    clock.now += 10.0
    breaker.before_call()  # probe that never reports back
    clock.now += 10.0
    assert breaker.before_call().probe


def test_late_results_while_open_are_ignored():
    clock = Clock()
    breaker = make(clock)
    early = breaker.before_call()
    for _ in range(5):
        call(breaker, True)
    breaker.record(early, failure=False)
    assert breaker.state == OPEN


def test_concurrent_half_open_admits_exactly_one_probe():
    clock = Clock()
    breaker = make(clock, cooldown_s=1.0)
    for _ in range(5):
        call(breaker, True)
    clock.now += 1.0
    admitted, refused = [], []
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        try:
            admitted.append(breaker.before_call())
        except CircuitOpenError:
            refused.append(1)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 1 and admitted[0].probe
    assert len(refused) == 15


def test_registry_shares_one_breaker_per_url():
    a = breaker_for("http://one", failure_threshold=5, failure_ratio=0.5, window=10, cooldown_s=30)
    b = breaker_for("http://one", failure_threshold=5, failure_ratio=0.5, window=10, cooldown_s=30)
    c = breaker_for("http://two", failure_threshold=5, failure_ratio=0.5, window=10, cooldown_s=30)
    assert a is b and a is not c
