"""Operator controls kept in memory: injected faults, a per-key token-bucket rate limit and request counters.

Nothing here is persisted: a restart clears faults, the rate limit and the counters. None of it
applies to the ``/_sandbox`` operator routes.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


class ControlError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Fault:
    """Answer the next ``count`` matching requests (``None`` = until cleared) with ``status``.

    ``status`` 0 hangs for ``delay_s`` then drops the connection; ``status`` None only adds
    ``delay_s`` of latency; ``probability`` < 1 makes the fault random (seeded via ``seed``).
    With ``after_commit`` the request is processed first (its writes are committed) and then the
    answer is lost: the connection is cut (``status`` 0) or a ``status`` such as 502/504 replaces it,
    which is how a caller meets an ambiguous failure.
    """

    method: str = "*"
    path: str = ".*"
    status: int | None = 503
    count: int | None = 1
    retry_after: str | None = None
    body: Any = None
    delay_s: float = 0.0
    probability: float = 1.0
    after_commit: bool = False
    id: int = 0
    matched: int = 0
    pattern: re.Pattern = field(default=re.compile(".*"), repr=False)

    def public(self) -> dict:
        return {"id": self.id, "method": self.method, "path": self.path, "status": self.status, "count": self.count,
                "retry_after": self.retry_after, "body": self.body, "delay_s": self.delay_s,
                "probability": self.probability, "after_commit": self.after_commit, "matched": self.matched}


def parse_fault(spec: Any, fault_id: int) -> Fault:
    if not isinstance(spec, dict):
        raise ControlError("fault must be a JSON object", "body")
    fault = Fault(id=fault_id)
    fault.method = str(spec.get("method") or "*").upper()
    fault.path = str(spec.get("path") or ".*")
    try:
        fault.pattern = re.compile(fault.path)
    except re.error as error:
        raise ControlError(f"'path' is not a valid regex: {error}", "path") from None
    status = spec.get("status", 503)
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not (status == 0 or 100 <= status <= 599)):
        raise ControlError("'status' must be 0 (drop), null (latency only) or an HTTP status", "status")
    fault.status = status
    count = spec.get("count", 1)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ControlError("'count' must be a positive integer or null", "count")
    fault.count = count
    retry_after = spec.get("retry_after")
    fault.retry_after = None if retry_after is None else str(retry_after)
    if fault.retry_after is None and status == 429:
        fault.retry_after = "1"
    fault.body = spec.get("body")
    for name in ("delay_s", "probability"):
        value = spec.get(name, getattr(fault, name))
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ControlError(f"'{name}' must be a non-negative number", name)
        setattr(fault, name, float(value))
    if fault.probability > 1:
        raise ControlError("'probability' must be between 0 and 1", "probability")
    after_commit = spec.get("after_commit", False)
    if not isinstance(after_commit, bool):
        raise ControlError("'after_commit' must be a boolean", "after_commit")
    if after_commit and (status is None or (status != 0 and status < 500)):
        raise ControlError("with 'after_commit', 'status' must be 0 (cut the connection) or a 5xx such as 502 or 504",
                           "status")
    fault.after_commit = after_commit
    return fault


class Controls:
    """Thread-safe state behind ``/_sandbox/faults``, ``/_sandbox/rate_limit`` and ``/_sandbox/requests``."""

    LOG_SIZE = 1000

    def __init__(self, rate_limit: float | None = None) -> None:
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self._next_id = 1
        self._rng = random.Random(0)
        self.rate_limit: dict | None = None
        self._buckets: dict[str, tuple[float, float]] = {}
        self.reset_counters()
        if rate_limit:
            self.set_rate_limit({"requests_per_second": rate_limit, "burst": max(1, math.ceil(rate_limit))})

    def add_fault(self, spec: Any) -> Fault:
        with self._lock:
            fault = parse_fault(spec, self._next_id)
            if isinstance(spec, dict) and spec.get("seed") is not None:
                self._rng = random.Random(spec["seed"])
            self._next_id += 1
            self.faults.append(fault)
            return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def match_fault(self, method: str, path: str) -> Fault | None:
        """The first fault that fires for this request (its count is used up by one)."""
        with self._lock:
            for fault in list(self.faults):
                if fault.method not in {"*", method} or not fault.pattern.search(path):
                    continue
                if fault.probability < 1 and self._rng.random() >= fault.probability:
                    continue
                fault.matched += 1
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def set_rate_limit(self, spec: Any) -> None:
        if spec is not None:
            if not isinstance(spec, dict):
                raise ControlError("rate limit must be an object or null", "body")
            rate = spec.get("requests_per_second")
            if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
                raise ControlError("'requests_per_second' must be a positive number", "requests_per_second")
            burst = spec.get("burst", max(1, math.ceil(rate)))
            if isinstance(burst, bool) or not isinstance(burst, int | float) or burst < 1:
                raise ControlError("'burst' must be at least 1", "burst")
            spec = {"requests_per_second": float(rate), "burst": float(burst)}
        with self._lock:
            self.rate_limit = spec
            self._buckets.clear()

    def take(self, key: str) -> int | None:
        """None when the request may pass; otherwise the whole seconds to wait before retrying."""
        with self._lock:
            if self.rate_limit is None:
                return None
            rate, burst = self.rate_limit["requests_per_second"], self.rate_limit["burst"]
            now = time.monotonic()
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / rate))

    def count(self, method: str, path: str, status: int, key: str | None = None) -> None:
        with self._lock:
            if key is not None:
                now = time.time()
                recent = self._by_key.setdefault(key, deque())
                recent.append(now)
                while recent and recent[0] < now - 86400:
                    recent.popleft()
            self.total += 1
            key = f"{method} {path}"
            self.by_route[key] = self.by_route.get(key, 0) + 1
            self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1
            self.log.append({"method": method, "path": path, "status": status, "at": time.time()})

    def counters(self) -> dict:
        with self._lock:
            return {"total": self.total, "by_route": dict(self.by_route), "by_status": dict(self.by_status),
                    "log": list(self.log)}

    def usage(self, key: str) -> tuple[int, int]:
        """(requests in the last second, requests in the last day) made with one Authorization header."""
        with self._lock:
            stamps = self._by_key.get(key, deque())
            now = time.time()
            return sum(1 for t in stamps if t >= now - 1), sum(1 for t in stamps if t >= now - 86400)

    def reset_counters(self) -> None:
        with self._lock:
            self._by_key: dict[str, deque] = {}
            self.total = 0
            self.by_route: dict[str, int] = {}
            self.by_status: dict[str, int] = {}
            self.log: deque = deque(maxlen=self.LOG_SIZE)
