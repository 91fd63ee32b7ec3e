"""Client-side token bucket so bulk work stays under the tenant's rate limit instead of bouncing off 429s.

Each request reserves one token. Tokens refill at ``rate_per_s`` up to ``burst``. A reservation
that finds the bucket empty takes a token "on credit" and is told how long to wait, so waiters
are served in arrival order and never busy-loop. The lock is held only for that arithmetic (never
across a sleep or an ``await``), so one bucket serves threads and asyncio tasks alike.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token bucket shared by all requests of one client; ``rate_per_s = 0`` disables it."""

    def __init__(self, rate_per_s: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_per_s = rate_per_s
        self.burst = max(1, burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._updated = clock()

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def reserve(self) -> float:
        """Take one token; return the seconds the caller must wait before sending (0 when available)."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate_per_s)
            self._updated = now
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
