"""Cron schedules of ACTIVE sources (`source_config["start.cron"]` or `source_config["start"]["cron"]`).

`CronScheduler.tick(now)` does all the work and is what tests drive with their own clock; the
thread started by `start()` only calls `tick(clock())` about once a second. A source's next fire
time is computed from when the scheduler first saw its current cron expression, so activating a
source never fires a run for a tick that passed before activation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from croniter import croniter

log = logging.getLogger(__name__)


def cron_of(source: dict) -> str | None:
    """The source's cron expression, or None when it has no schedule."""
    config = source.get("source_config") or {}
    value = config.get("start.cron")
    if not value and isinstance(config.get("start"), dict):
        value = config["start"].get("cron")
    return str(value).strip() if value else None


def valid_cron(expression: str) -> bool:
    return croniter.is_valid(expression)


def utc_now() -> datetime:
    return datetime.now(UTC)


class CronScheduler:
    """Fires `trigger(source_id)` for each ACTIVE source whose cron time has come."""

    def __init__(self, active_sources: Callable[[], list[dict]], trigger: Callable[[int], None],
                 clock: Callable[[], datetime] = utc_now, interval_s: float = 1.0) -> None:
        self._active_sources = active_sources
        self._trigger = trigger
        self._clock = clock
        self._interval_s = interval_s
        self._next: dict[int, tuple[str, datetime]] = {}
        # tick() runs on the scheduler thread and, in tests and operator tools, on callers' threads too.
        self._state_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime) -> list[int]:
        """Trigger every due source; returns the ids triggered. Paused sources are forgotten."""
        fired = []
        seen = set()
        # Reading the sources under the lock orders this tick against forget(): a pause committed
        # before the read is seen here, one committed after it is followed by forget() undoing this tick.
        with self._state_lock:
            for source in self._active_sources():
                expression = cron_of(source)
                if not expression or not valid_cron(expression):
                    continue
                source_id = source["id"]
                seen.add(source_id)
                known = self._next.get(source_id)
                if known is None or known[0] != expression:
                    self._next[source_id] = (expression, croniter(expression, now).get_next(datetime))
                    continue
                if now >= known[1]:
                    fired.append(source_id)
                    self._next[source_id] = (expression, croniter(expression, now).get_next(datetime))
            for source_id in set(self._next) - seen:
                del self._next[source_id]
        for source_id in fired:
            self._trigger(source_id)
        return fired

    def next_run(self, source_id: int) -> datetime | None:
        with self._state_lock:
            known = self._next.get(source_id)
        return known[1] if known else None

    def forget(self, source_id: int) -> None:
        with self._state_lock:
            self._next.pop(source_id, None)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sandbox-cron", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick(self._clock())
            except Exception:  # the scheduler must outlive one bad tick (e.g. a database hiccup)
                log.exception("cron tick failed")
            self._stop.wait(self._interval_s)
