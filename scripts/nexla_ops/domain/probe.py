"""The one rule for "did the credential pass its probe": ``passed``, ``failed`` or ``unknown``.

Real Nexla answers ``GET /data_credentials/{id}/probe`` with ``{output}`` when the connection
works and an error status (403 ``{status, message}``, 400) when it does not; ``async=1`` gives an
async task instead. The sandbox (and older servers) answer 200 ``{status: "success"|"failed",
message, connection_verified}``. Whatever the shape:

* a 5xx, 429, timeout, dropped connection or open circuit says nothing about the credential:
  ``unknown`` with ``retryable=True`` (an outage must never read as a broken credential);
* 401 (our own key rejected) and 404 (credential gone or not shared) cannot judge it: ``unknown``;
* any other 4xx, or a 200 whose status says it failed: ``failed``;
* a 200 with ``output``, or a success status: ``passed``; success with ``connection_verified:
  false`` means "accepted, not checked" (no connector to try): ``unknown``, not retryable;
* a pending async task: ``unknown`` (retryable: ask again later).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.errors import NexlaError

ProbeVerdict = Literal["passed", "failed", "unknown"]
_PASSED = {"ok", "success", "succeeded", "verified", "passed", "completed", "200"}
_FAILED = {"failed", "failure", "error", "errored", "invalid", "cancelled"}
_PENDING = {"pending", "running"}


class Probe(BaseModel):
    """The verdict of one credential probe."""

    credential_id: int
    verdict: ProbeVerdict
    message: str = ""
    retryable: bool = Field(default=False, description="an unknown verdict a later probe may settle (outage, pending)")
    status: int | None = Field(default=None, description="HTTP status of a probe answered with an error")

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    @property
    def failed(self) -> bool:
        return self.verdict == "failed"


def probe_from_reply(credential_id: int, body: Any) -> Probe:
    """Verdict of a probe the API answered with 2xx ``body``."""
    if body is None or body == "" or isinstance(body, str):
        return Probe(credential_id=credential_id, verdict="passed", message=body or "ok")
    if not isinstance(body, dict):
        return Probe(credential_id=credential_id, verdict="unknown", message="unexpected probe reply")
    status = str(body.get("status", "")).strip().lower()
    # The server's own words; faces redact what they print (NexlaError messages are scrubbed already).
    message = str(body.get("message") or status or "ok")
    if status in _PENDING or (status and "request_id" in body and status not in _PASSED | _FAILED):
        return Probe(credential_id=credential_id, verdict="unknown", retryable=True,
                     message=f"the probe is still {status or 'pending'} (async request {body.get('request_id')})")
    if status in _FAILED:
        return Probe(credential_id=credential_id, verdict="failed", message=message)
    if status and status not in _PASSED:
        return Probe(credential_id=credential_id, verdict="unknown", message=f"unrecognised probe status {status!r}")
    if body.get("connection_verified") is False:
        return Probe(credential_id=credential_id, verdict="unknown",
                     message="accepted without a connection check (this connector cannot be probed)")
    return Probe(credential_id=credential_id, verdict="passed", message=message)


def probe_from_error(credential_id: int, error: BaseException) -> Probe:
    """Verdict of a probe that raised ``error`` (HTTP error status, outage or anything else)."""
    if not isinstance(error, NexlaError):
        return Probe(credential_id=credential_id, verdict="unknown", retryable=True,
                     message=f"the probe could not be completed ({type(error).__name__})")
    if error.retryable or error.status is None:
        return Probe(credential_id=credential_id, verdict="unknown", retryable=error.retryable, status=error.status,
                     message=f"the API could not probe it: {error.message}")
    if error.status in (401, 404):
        return Probe(credential_id=credential_id, verdict="unknown", status=error.status,
                     message=f"cannot be probed with this key: {error.message}")
    return Probe(credential_id=credential_id, verdict="failed", status=error.status, message=error.message)


def probe_verdict(credential_id: int, outcome: Any) -> Probe:
    """Verdict from whatever a probe call gave: a reply body or the exception it raised."""
    if isinstance(outcome, BaseException):
        return probe_from_error(credential_id, outcome)
    return probe_from_reply(credential_id, outcome)


__all__ = ["Probe", "ProbeVerdict", "probe_from_error", "probe_from_reply", "probe_verdict"]
