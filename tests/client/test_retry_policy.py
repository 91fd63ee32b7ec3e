"""Retry-After parsing, backoff schedule and the retry/stop decisions (pure logic)."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from nexla_ops.client.retry_policy import (
    RetryPolicy,
    full_jitter_backoff,
    is_auto_retryable,
    parse_retry_after,
    retry_after_from,
)
from nexla_ops.errors import (
    AuthenticationError,
    CircuitOpenError,
    ConflictError,
    ConnectionFailedError,
    RateLimitError,
    ReadOnlyError,
    RequestTimeoutError,
    ServerError,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), ("0", 0.0), (" 2.5 ", 2.5), (7, 7.0), ("-4", 0.0), ("", None), (None, None), ("soon", None)],
)
def test_parse_retry_after_seconds(value, expected):
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_http_date():
    later = format_datetime(NOW + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(later, NOW) == pytest.approx(42.0)
    earlier = format_datetime(NOW - timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(earlier, NOW) == 0.0


def test_retry_after_prefers_header_then_body():
    assert retry_after_from({"retry-after": "4"}, {"retry_after": 9}) == 4.0
    assert retry_after_from({}, {"retry_after": 9}) == 9.0
    assert retry_after_from({"retry-after": "junk"}, {"retry_after": "2"}) == 2.0
    assert retry_after_from({}, {"error": {"retry_after": 60}}) == 60.0
    assert retry_after_from({}, ["not", "a", "dict"]) is None
    assert retry_after_from(None, None) is None


def test_full_jitter_backoff_grows_and_is_capped():
    top = [full_jitter_backoff(n, base_s=0.5, max_s=30.0, rng=lambda: 1.0) for n in range(1, 10)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert full_jitter_backoff(3, rng=lambda: 0.0) == 0.0
    assert 0.0 <= full_jitter_backoff(4) <= 4.0


def test_wait_uses_server_hint_before_backoff():
    policy = RetryPolicy(rng=lambda: 1.0)
    assert policy.wait_s(RateLimitError("slow down", status=429, retry_after=3.0), 1) == 3.0
    assert policy.wait_s(ServerError("down", status=503), 2) == 1.0


def test_stop_on_attempts_or_budget():
    policy = RetryPolicy(max_attempts=3, budget_s=10.0)
    assert not policy.should_stop(1, 0.0, 1.0)
    assert policy.should_stop(3, 0.0, 1.0)
    assert policy.should_stop(1, 9.5, 1.0)
    assert not policy.should_stop(2, 8.0, 2.0)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RateLimitError("x", status=429), True),
        (ServerError("x", status=502), True),
        (ServerError("x", status=503), True),
        (ServerError("x", status=504), True),
        (ServerError("x", status=500), False),
        (RequestTimeoutError("x"), True),
        (ConnectionFailedError("x"), True),
        (CircuitOpenError("x"), False),
        (ConflictError("x", status=409), False),
        (AuthenticationError("x", status=401), False),
        (ReadOnlyError("x"), False),
        (ValueError("x"), False),
    ],
)
def test_auto_retryable(error, expected):
    assert is_auto_retryable(error) is expected


def test_not_replay_safe_means_one_attempt():
    kwargs = RetryPolicy().tenacity_kwargs(replay_safe=False)
    from tenacity import Retrying

    calls = []

    def fail():
        calls.append(1)
        raise ServerError("down", status=503)

    with pytest.raises(ServerError):
        Retrying(**kwargs)(fail)
    assert len(calls) == 1


def test_replay_safe_retries_until_attempts_used():
    from tenacity import Retrying

    kwargs = RetryPolicy(max_attempts=3, budget_s=5.0).tenacity_kwargs(replay_safe=True)
    kwargs["sleep"] = lambda _s: None
    calls = []

    def fail():
        calls.append(1)
        raise ServerError("down", status=503, retry_after=0.01)

    with pytest.raises(ServerError) as info:
        Retrying(**kwargs)(fail)
    assert len(calls) == 3
    assert info.value.retry_after == 0.01


def test_retry_after_beyond_budget_stops_and_keeps_hint():
    from tenacity import Retrying

    kwargs = RetryPolicy(max_attempts=5, budget_s=2.0).tenacity_kwargs(replay_safe=True)
    slept = []
    kwargs["sleep"] = slept.append

    def fail():
        raise RateLimitError("slow down", status=429, retry_after=30.0)

    with pytest.raises(RateLimitError) as info:
        Retrying(**kwargs)(fail)
    assert slept == []
    assert info.value.retry_after == 30.0
