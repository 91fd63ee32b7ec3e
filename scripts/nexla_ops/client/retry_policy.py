"""When and how long to wait before retrying a request (pure logic, shared by sync and async).

Policy (numbers in REFERENCE.md, "Retries"): retry on 429, 502, 503, 504, timeouts and connection
failures, only for replay-safe requests; wait what the server asked (``Retry-After`` header as
seconds or HTTP-date, else the body's ``retry_after``), otherwise exponential backoff with full
jitter; stop at ``max_attempts`` or when the next wait would overrun the retry budget.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import RetryCallState, retry_if_exception, stop_after_attempt

from ..errors import CircuitOpenError, NexlaError

logger = logging.getLogger("nexla_ops.client")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0


def parse_retry_after(value: Any, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: integer/decimal seconds or an HTTP-date.

    Returns ``None`` for a missing or unparseable value; dates in the past give ``0.0``.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(0.0, float(value))
    text = str(value).strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


def retry_after_from(headers: Mapping[str, str] | None, body: Any) -> float | None:
    """The server's wait hint: the ``Retry-After`` header first, then ``retry_after`` in the body
    (top level, or inside an ``error`` object as some gateways send it)."""
    if headers is not None:
        header = parse_retry_after(headers.get("retry-after") or headers.get("Retry-After"))
        if header is not None:
            return header
    if isinstance(body, Mapping):
        hint = parse_retry_after(body.get("retry_after"))
        if hint is None and isinstance(body.get("error"), Mapping):
            hint = parse_retry_after(body["error"].get("retry_after"))
        return hint
    return None


def full_jitter_backoff(
    attempt: int, *, base_s: float = BACKOFF_BASE_S, max_s: float = BACKOFF_MAX_S, rng: Callable[[], float] = random.random
) -> float:
    """Wait before retry number ``attempt`` (1-based): uniform in ``[0, min(max_s, base_s * 2**(attempt-1))]``."""
    ceiling = min(max_s, base_s * (2 ** max(0, attempt - 1)))
    return rng() * ceiling


def is_auto_retryable(error: BaseException) -> bool:
    """True for failures the client retries by itself: 429/502/503/504, timeouts, connection errors.

    A 500 is *temporary* (exit code 6) but not retried automatically: it usually means a bug
    that the same request will hit again. An open circuit fails fast by design. An error marked
    ``retries_spent`` (a token exchange that already used its own retries) is not retried again,
    so nested retries never multiply.
    """
    if not isinstance(error, NexlaError) or isinstance(error, CircuitOpenError) or error.retries_spent:
        return False
    if error.status is None:
        return error.retryable
    return error.status in RETRY_STATUSES


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits for one client; :meth:`tenacity_kwargs` configures ``Retrying``/``AsyncRetrying``."""

    max_attempts: int = 5
    budget_s: float = 60.0
    backoff_base_s: float = BACKOFF_BASE_S
    backoff_max_s: float = BACKOFF_MAX_S
    rng: Callable[[], float] = field(default=random.random, compare=False)

    def wait_s(self, error: BaseException | None, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt``: the server's hint, else jittered backoff."""
        if isinstance(error, NexlaError) and error.retry_after is not None:
            return error.retry_after
        return full_jitter_backoff(attempt, base_s=self.backoff_base_s, max_s=self.backoff_max_s, rng=self.rng)

    def should_stop(self, attempt: int, elapsed_s: float, next_wait_s: float) -> bool:
        """Stop when the attempts are used up or waiting would overrun the total budget."""
        return attempt >= self.max_attempts or elapsed_s + next_wait_s > self.budget_s

    def tenacity_kwargs(self, replay_safe: bool, describe: str = "request") -> dict[str, Any]:
        """Keyword arguments for ``tenacity.Retrying``/``AsyncRetrying`` for one request.

        A request that is not replay-safe is attempted once. The last error is re-raised as is,
        so its ``retry_after`` and server message survive.
        """
        if not replay_safe:
            return {"stop": stop_after_attempt(1), "retry": retry_if_exception(lambda _: False), "reraise": True}

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return self.wait_s(error, state.attempt_number)

        def stop(state: RetryCallState) -> bool:
            return self.should_stop(state.attempt_number, state.seconds_since_start or 0.0, state.upcoming_sleep)

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            logger.warning(
                "retrying %s in %.1f s (attempt %d of %d failed: %s)",
                describe,
                state.upcoming_sleep,
                state.attempt_number,
                self.max_attempts,
                getattr(error, "kind", type(error).__name__),
            )

        return {
            "stop": stop,
            "wait": wait,
            "retry": retry_if_exception(is_auto_retryable),
            "before_sleep": before_sleep,
            "reraise": True,
        }
