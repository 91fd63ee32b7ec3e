"""Client-side token bucket so bulk work stays under the tenant's rate limit instead of bouncing off 429s.

Each request reserves one token. Tokens refill at ``rate_per_s`` up to ``burst``. A reservation
that finds the bucket empty takes a token "on credit" and is told how long to wait, so waiters
are served in arrival order and never busy-loop. The lock is held only for that arithmetic (never
across a sleep or an ``await``), so one bucket serves threads and asyncio tasks alike.

When the operator sets no rate (``NEXLA_RATE_LIMIT`` unset) the bucket is *adaptive*: the client
reads the tenant's per-second limit from ``GET /limits`` once (:meth:`RateLimiter.learn`) and then
follows the server's answers, additive increase on success and multiplicative decrease on a 429.
With a known limit the rate never goes above it nor below half of it, so a few stray 429s cannot
stall a batch; without one it starts unpaced and settles where the server stops refusing.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

# Share of the learned limit the client aims at: the server's own clock and window edges differ
# from ours, and running a hair under the limit costs far less than one 429 and its Retry-After.
HEADROOM = 0.95
# Multiplicative decrease per 429 and the least time between two decreases: the 429s of requests
# already in flight when the first one arrived describe the same overload, not a new one.
DECREASE_FACTOR = 0.7
DECREASE_EVERY_S = 1.0
# Additive increase per successful request, in requests per second; at full speed this recovers
# about a tenth of the rate each second.
INCREASE_PER_SUCCESS = 0.1
MIN_RATE_PER_S = 1.0
# /limits answers "second" tiers; "common" is the one ordinary API calls draw from.
LIMIT_TIERS = ("common", "light", "medium", "high")


def per_second_limit(body: Any) -> float | None:
    """The requests-per-second limit in a ``GET /limits`` answer, or ``None`` when it names none.

    Reads Nexla's shape ``{second: {common: {limit, count}, light: ..., ...}, day: ...}`` (the
    ``common`` tier, else the strictest tier given) and the sandbox's older
    ``{rate_limit: {requests_per_second, burst}}``.
    """
    if not isinstance(body, Mapping):
        return None
    second = body.get("second")
    if isinstance(second, Mapping):
        limits = {tier: _positive(value.get("limit")) for tier, value in second.items() if isinstance(value, Mapping)}
        if limits.get("common") is not None:
            return limits["common"]
        known = [limit for tier, limit in limits.items() if limit is not None and tier in LIMIT_TIERS]
        return min(known) if known else None
    legacy = body.get("rate_limit")
    if isinstance(legacy, Mapping):
        return _positive(legacy.get("requests_per_second"))
    return None


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return None
    return float(value)


class RateLimiter:
    """Token bucket shared by all requests of one client; ``rate_per_s = 0`` means unpaced.

    ``adaptive=True`` turns on learning (:meth:`learn`, :meth:`throttled`, :meth:`succeeded`);
    a fixed limiter ignores those calls, because the operator's number wins.
    """

    def __init__(
        self, rate_per_s: float, burst: int, *, adaptive: bool = False, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self.adaptive = adaptive
        self.ceiling: float | None = None
        self.throttles = 0
        self._configured_burst = self.burst
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._updated = clock()
        self._last_decrease = -math.inf
        self._sent: deque[float] = deque(maxlen=4096)

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def reserve(self) -> float:
        """Take one token; return the seconds the caller must wait before sending (0 when available)."""
        with self._lock:
            now = self._clock()
            if self.adaptive:
                self._sent.append(now)
            if self.rate_per_s <= 0:
                return 0.0
            self._refill(now)
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate_per_s

    def acquire(self) -> float:
        """Block the current thread until a request may be sent; returns the time waited."""
        wait = self.reserve()
        if wait > 0:
            time.sleep(wait)
        return wait

    async def acquire_async(self) -> float:
        """Wait (without blocking the event loop) until a request may be sent; returns the time waited."""
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
        return wait

    # -- learning (adaptive limiters only) ------------------------------------------------

    def learn(self, limit_per_s: float | None) -> None:
        """Adopt the tenant's per-second limit from ``/limits`` (``None``: none known, stay unpaced)."""
        if not self.adaptive or limit_per_s is None:
            return
        with self._lock:
            now = self._clock()
            self._refill(now)
            self.ceiling = limit_per_s * HEADROOM
            self.burst = max(1, min(self._configured_burst, math.ceil(limit_per_s)))
            # Start half full, less what went out unpaced just before (the /limits call itself): the
            # server's bucket is no fuller than ours, and arrival jitter must not find it empty.
            self._tokens = min(self._tokens, self.burst / 2) - self._sent_within(now, 1.0)
            self.rate_per_s = self.ceiling

    def throttled(self) -> None:
        """The server answered 429: slow down (at most once per ``DECREASE_EVERY_S``)."""
        if not self.adaptive:
            return
        with self._lock:
            now = self._clock()
            self.throttles += 1
            if now - self._last_decrease < DECREASE_EVERY_S:
                return
            self._last_decrease = now
            self._refill(now)
            current = self.rate_per_s if self.rate_per_s > 0 else self._recent_rate(now)
            floor = self.ceiling / 2 if self.ceiling is not None else MIN_RATE_PER_S
            self.rate_per_s = max(floor, current * DECREASE_FACTOR)

    def succeeded(self) -> None:
        """The server accepted a request: speed up a little, never past the learned limit."""
        if not self.adaptive or self.rate_per_s <= 0:
            return
        with self._lock:
            self._refill(self._clock())
            raised = self.rate_per_s + INCREASE_PER_SUCCESS
            self.rate_per_s = min(raised, self.ceiling) if self.ceiling is not None else raised

    def _refill(self, now: float) -> None:
        if self.rate_per_s > 0:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate_per_s)
        self._updated = now

    def _recent_rate(self, now: float) -> float:
        """Requests sent in the last second: where an unpaced client stood when the server pushed back."""
        return max(MIN_RATE_PER_S, float(self._sent_within(now, 1.0)))

    def _sent_within(self, now: float, seconds: float) -> int:
        while self._sent and now - self._sent[0] > seconds:
            self._sent.popleft()
        return len(self._sent)
