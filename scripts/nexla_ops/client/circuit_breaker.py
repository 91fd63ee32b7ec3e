"""A circuit breaker per API base URL: stop hammering an API that keeps failing.

Closed: calls flow; the outcomes of the last ``window`` requests are kept. The clients report a
request once, with its final outcome after retries, so transient faults that a retry cured never
count. It opens when at least ``failure_threshold`` of them failed *and* failures are at least
``failure_ratio`` of the window seen so far. Only 5xx responses, timeouts and connection failures
count as failures; any 4xx proves the server is answering. Open: nothing is sent until
``cooldown_s`` has passed; the clients wait that out within the request's retry budget (a refused
request was never sent, so waiting cannot duplicate anything) and raise :class:`CircuitOpenError`
only when the budget cannot cover the wait. Half-open: exactly one probe attempt goes through;
success closes the circuit, failure re-opens it for another cool-down.

All state changes happen under a ``threading.Lock`` held for a few instructions and never across
I/O or an ``await``, so the same breaker is safe for threads and for asyncio tasks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import CircuitOpenError

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


# How often a request waiting behind a half-open probe asks again: the probe usually answers
# within one round trip, far sooner than the stale-probe timeout.
PROBE_POLL_S = 0.05


@dataclass(frozen=True)
class Ticket:
    """Permission to send one call; ``probe`` is True for the single half-open probe."""

    probe: bool


@dataclass(frozen=True)
class Refusal:
    """The breaker said not now: ``wait_s`` until it may admit again, ``error`` to raise if giving up."""

    wait_s: float
    error: CircuitOpenError


class CircuitBreaker:
    """Failure-rate circuit breaker; see the module docstring for the state machine."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        failure_ratio: float = 0.5,
        window: int = 10,
        cooldown_s: float = 30.0,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.failure_ratio = failure_ratio
        self.window = window
        self.cooldown_s = cooldown_s
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._outcomes: deque[bool] = deque(maxlen=window)
        self._state = CLOSED
        self._opened_at = 0.0
        self._probe_started: float | None = None
        self._last_failure = ""

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (an open breaker past its cool-down reports ``half_open``)."""
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.cooldown_s:
                return HALF_OPEN
            return self._state

    def before_call(self) -> Ticket:
        """Ask to send a call. Returns a ticket, or raises :class:`CircuitOpenError` while open."""
        decision = self.admit()
        if isinstance(decision, Refusal):
            raise decision.error
        return decision

    def admit(self) -> Ticket | Refusal:
        """A ticket to send now, or a :class:`Refusal` saying how long to wait before asking again."""
        with self._lock:
            now = self._clock()
            if self._state == CLOSED:
                return Ticket(probe=False)
            if self._state == OPEN and now - self._opened_at >= self.cooldown_s:
                self._state = HALF_OPEN
                self._probe_started = None
            if self._state == HALF_OPEN:
                # A probe that never reported back (cancelled task, crash) must not wedge the
                # breaker: after another cool-down a new probe is allowed.
                if self._probe_started is None or now - self._probe_started >= self.cooldown_s:
                    self._probe_started = now
                    return Ticket(probe=True)
                wait = self.cooldown_s - (now - self._probe_started)
                poll = min(wait, PROBE_POLL_S)
            else:
                wait = self.cooldown_s - (now - self._opened_at)
                poll = wait
            failures = sum(self._outcomes)
            seen = len(self._outcomes)
            last = self._last_failure
        error = CircuitOpenError(
            f"Circuit breaker for {self.name or 'the API'} is open: {failures} of the last {seen} requests failed"
            f"{' (last: ' + last + ')' if last else ''}; not sending the request",
            retry_after=round(max(0.0, wait), 3),
        )
        return Refusal(wait_s=max(0.0, poll), error=error)

    def record(self, ticket: Ticket, *, failure: bool, description: str = "") -> None:
        """Report an outcome: a probe's attempt (it decides the state), or a request's final outcome."""
        with self._lock:
            if failure and description:
                self._last_failure = description
            if ticket.probe:
                self._probe_started = None
                if failure:
                    self._state = OPEN
                    self._opened_at = self._clock()
                else:
                    self._state = CLOSED
                    self._outcomes.clear()
                return
            if self._state != CLOSED:
                # Late results of calls sent before the circuit opened say nothing about now.
                return
            self._outcomes.append(failure)
            failures = sum(self._outcomes)
            if failures >= self.failure_threshold and failures / len(self._outcomes) >= self.failure_ratio:
                self._state = OPEN
                self._opened_at = self._clock()

    def release(self, ticket: Ticket) -> None:
        """Give a ticket back without an outcome (the call was abandoned before the server answered)."""
        if ticket.probe:
            with self._lock:
                self._probe_started = None


_registry_lock = threading.Lock()
_registry: dict[tuple[str, int, float, int, float], CircuitBreaker] = {}


def breaker_for(
    base_url: str, *, failure_threshold: int, failure_ratio: float, window: int, cooldown_s: float
) -> CircuitBreaker:
    """The process-wide breaker for ``base_url`` (shared by every client with the same URL and thresholds)."""
    key = (base_url, failure_threshold, failure_ratio, window, cooldown_s)
    with _registry_lock:
        breaker = _registry.get(key)
        if breaker is None:
            breaker = CircuitBreaker(
                failure_threshold=failure_threshold,
                failure_ratio=failure_ratio,
                window=window,
                cooldown_s=cooldown_s,
                name=base_url,
            )
            _registry[key] = breaker
        return breaker
