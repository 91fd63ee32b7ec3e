"""Recovering from failures whose outcome is unknown, and retrying what is safe to retry.

A create (POST) is not replay-safe, so the client sends it once. When its answer is lost (timeout,
dropped connection, 502/503/504) the server may or may not have committed it; sending it again
could make a duplicate, because real Nexla does not refuse duplicate names. So deploy looks the
resource up by what it wrote into it (name, the deployment tag, and the parent it was created
under) and adopts what it finds; only when nothing is there does it send the create again. A 429
or an open circuit means the request was not processed: wait (``Retry-After``, the cool-down) and
send it again. Neither that nor a loss the lookup shows made nothing uses one of the
``NEXLA_MAX_ATTEMPTS`` attempts: the server processed nothing, so only time from the retry budget
(``NEXLA_RETRY_BUDGET``) bounds it, with at most ``SENDS_PER_ATTEMPT`` x ``NEXLA_MAX_ATTEMPTS`` sends.

A replay-safe request (GET, PUT, DELETE) that spent its attempts on transient faults (429, open
circuit, 502/503/504, timeout, dropped connection) is sent again by the deploy step
(``retry_transient``) within the same limits before the step is called failed: one request in a
few hundred meets five faults in a row at a 30% fault rate, and a deploy sends dozens. A 500 is not
retried there (usually a bug the same request hits again). Rollback steps (pause, restore, delete)
are retried on any temporary failure, a 500 included (``retrying``), before rollback gives up on
one and reports it by id.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nexla_ops.client.retry_policy import RetryPolicy
from nexla_ops.errors import (
    CircuitOpenError,
    ConnectionFailedError,
    MethodNotAllowedError,
    NexlaError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
)
from nexla_ops.operations.deploy.state import has_tag, list_all, parent_of

T = TypeVar("T")

AMBIGUOUS_STATUSES = frozenset({502, 503, 504})
PAUSABLE = frozenset({"data_sources", "data_sets", "data_sinks"})
# What a create writes that tells two same-named resources apart (besides the tag).
MARKERS: dict[str, tuple[str, ...]] = {
    "data_sources": ("source_type",),
    "data_sets": ("parent_data_set_id",),
    "data_sinks": ("data_set_id", "sink_type"),
    "data_credentials": ("credentials_type",),
    "projects": (),
}


# A server answering nothing but 429s with "Retry-After: 0" must not keep a step looping for the
# whole budget: a retried step sends at most this many times NEXLA_MAX_ATTEMPTS in all.
SENDS_PER_ATTEMPT = 4

# Planning finds a project by name (tagged or not: see state.find_project), so a lost project
# create is found the same way.
FOUND_BY_NAME = frozenset({"projects"})


def is_ambiguous(error: BaseException) -> bool:
    """True when a request may have been processed although no answer arrived."""
    if isinstance(error, RequestTimeoutError | ConnectionFailedError):
        return True
    return isinstance(error, ServerError) and error.status in AMBIGUOUS_STATUSES


def not_processed(error: BaseException) -> bool:
    """True when the server certainly did nothing and asked us to come back (429, open circuit)."""
    return isinstance(error, RateLimitError | CircuitOpenError)


def is_transient(error: BaseException) -> bool:
    """True for a fault a replay-safe request may not meet on its next try (see the module docstring)."""
    return not_processed(error) or is_ambiguous(error)


def policy_of(client: Any) -> RetryPolicy:
    """The client's retry policy (its attempts and budget), or the defaults."""
    pipeline = getattr(client, "pipeline", None)
    policy = getattr(pipeline, "retry", None)
    return policy if isinstance(policy, RetryPolicy) else RetryPolicy()


@dataclass
class PendingCreate:
    """A create whose answer was lost and whose resource has not been found (yet)."""

    kind: str
    body: dict[str, Any]
    known_ids: set[int] = field(default_factory=set)

    def describe(self) -> str:
        return f"{self.kind} named {self.body.get('name')!r}"


async def find_created(client: Any, pending: PendingCreate) -> dict[str, Any] | None:
    """The resource a lost create made, found by name, tag and markers; None when there is none."""
    body = pending.body
    tag = (body.get("tags") or [None])[0]
    found = []
    for record in await list_all(client, f"/{pending.kind}"):
        if record.get("name") != body.get("name") or not record.get("id") or int(record["id"]) in pending.known_ids:
            continue
        if tag is not None and pending.kind not in FOUND_BY_NAME and not has_tag(record, tag):
            continue
        if any(_marker(record, key) is not None and _marker(record, key) != body.get(key)
               for key in MARKERS.get(pending.kind, ()) if key in body):
            continue
        found.append(record)
    return max(found, key=lambda r: int(r["id"])) if found else None


def _marker(record: dict[str, Any], key: str) -> Any:
    if key == "parent_data_set_id":
        return parent_of(record)
    if key == "data_set_id" and record.get("data_set_id") is None and isinstance(record.get("data_set"), dict):
        return record["data_set"].get("id")
    return record.get(key)


class Tries:
    """The limits of one retried step: attempts (``NEXLA_MAX_ATTEMPTS``) and time (``NEXLA_RETRY_BUDGET``).

    A send the server did not process (a 429, an open circuit, a lost create the lookup shows was
    not made) uses time but no attempt; the number of sends is capped all the same
    (``SENDS_PER_ATTEMPT``), and the backoff grows with every send.
    """

    def __init__(self, client: Any) -> None:
        self.policy = policy_of(client)
        self.started = time.monotonic()
        self.attempts = 0
        self.sends = 0

    def wait_after(self, error: NexlaError, *, processed: bool) -> float | None:
        """Seconds to wait before sending again after ``error``, or None when the limits are reached."""
        self.sends += 1
        self.attempts += 1 if processed else 0
        wait = self.policy.wait_s(error, self.sends)
        if self.sends >= self.policy.max_attempts * SENDS_PER_ATTEMPT or self.policy.should_stop(
                self.attempts, time.monotonic() - self.started, wait):
            return None
        return wait


async def create_resource(
    client: Any, kind: str, body: dict[str, Any], known_ids: set[int], pending: list[PendingCreate],
    on_retry: Callable[[str], Awaitable[None]] | None = None,
) -> tuple[dict[str, Any], bool]:
    """POST ``body`` to ``/{kind}`` once, recovering from an unknown outcome; (record, adopted).

    ``pending`` collects lost creates not found yet, so rollback can look for them again.
    Raises the last error when the create certainly failed or the retry budget is spent.
    """
    tries = Tries(client)
    entry: PendingCreate | None = None
    while True:
        try:
            record = await client.post(f"/{kind}", json=body)
            if entry is not None:
                pending.remove(entry)
            return record, False
        except NexlaError as error:
            if is_ambiguous(error):
                if entry is None:
                    entry = PendingCreate(kind=kind, body=body, known_ids=set(known_ids))
                    pending.append(entry)
                found = await retry_transient(client, lambda lost=entry: find_created(client, lost))  # type: ignore[misc]
                if found is not None:
                    pending.remove(entry)
                    return found, True
            elif not not_processed(error):
                raise
            # Here the server did not make the resource: a refusal, or a loss the lookup found nothing for.
            wait = tries.wait_after(error, processed=False)
            if wait is None:
                raise
            if on_retry is not None:
                await on_retry(f"{kind} create: {error.kind}; sending it again in {wait:.1f} s")
            await asyncio.sleep(wait)


async def _retry(client: Any, operation: Callable[[], Awaitable[T]], retry_on: Callable[[NexlaError], bool]) -> T:
    tries = Tries(client)
    while True:
        try:
            return await operation()
        except NexlaError as error:
            wait = tries.wait_after(error, processed=not not_processed(error)) if retry_on(error) else None
            if wait is None:
                raise
            await asyncio.sleep(wait)


async def retry_transient(client: Any, operation: Callable[[], Awaitable[T]]) -> T:
    """Run a replay-safe ``operation`` of a deploy step, again after a transient fault, within budget."""
    return await _retry(client, operation, is_transient)


async def retrying(client: Any, operation: Callable[[], Awaitable[T]]) -> T:
    """Run a replay-safe undo ``operation``, retrying any temporary failure (500 included) within budget."""
    return await _retry(client, operation, lambda error: error.retryable or isinstance(error, ServerError))


async def delete_resource(client: Any, kind: str, resource_id: int) -> None:
    """DELETE with retries; gone already counts as deleted; an active resource is paused first."""

    async def attempt() -> None:
        try:
            await client.delete(f"/{kind}/{resource_id}")
        except NotFoundError:
            return
        except MethodNotAllowedError:
            if kind not in PAUSABLE:
                raise
            await client.put(f"/{kind}/{resource_id}/pause")
            await client.delete(f"/{kind}/{resource_id}")

    await retrying(client, attempt)


__all__ = [
    "AMBIGUOUS_STATUSES",
    "PendingCreate",
    "Tries",
    "create_resource",
    "delete_resource",
    "find_created",
    "is_ambiguous",
    "is_transient",
    "not_processed",
    "policy_of",
    "retry_transient",
    "retrying",
]
