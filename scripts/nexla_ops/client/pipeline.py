"""The request pipeline shared by the sync and async clients, written once and free of I/O.

The clients only move bytes: for every request they ask the pipeline to *plan* it (read-only
check, URL, replay safety), to build *headers*, to turn a response or a transport failure into
a result or a typed error, and to *audit* mutations. Retry limits, the circuit breaker, the rate
limiter and the token cache live here too, so both clients behave identically.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..audit import AuditLog
from ..config import Settings
from ..errors import (
    AuthenticationError,
    CircuitOpenError,
    ConnectionFailedError,
    NexlaError,
    ReadOnlyError,
    RequestTimeoutError,
    error_type_for_status,
)
from ..redaction import redact, register_secrets_in, scrub_text
from .auth import TokenCache
from .circuit_breaker import CircuitBreaker, Refusal, Ticket, breaker_for
from .rate_limiter import RateLimiter, per_second_limit
from .retry_policy import RetryPolicy, retry_after_from

ACCEPT = "application/vnd.nexla.api.v1+json"
TOKEN_PATH = "/token"
LIMITS_PATH = "/limits"
REQUEST_ID_HEADERS = ("x-request-id", "x-nexla-request-id", "request-id", "x-correlation-id")
_REPLAY_SAFE_METHODS = frozenset({"GET", "PUT", "DELETE"})
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})
# Path segments that group resources without being a resource type themselves.
_GROUPING_SEGMENTS = frozenset({"data_flows"})


def _package_version() -> str:
    try:
        return metadata.version("nexla-data-flows-operator")
    except metadata.PackageNotFoundError:
        return "unknown"


USER_AGENT = f"nexla-data-flows-operator/{_package_version()}"


def resource_from_path(path: str) -> tuple[str | None, str | None]:
    """``(resource_type, resource_id)`` from an API path, e.g. ``/data_sources/5/activate`` -> ``("data_sources", "5")``."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    while segments and segments[0] in _GROUPING_SEGMENTS:
        segments = segments[1:]
    if not segments:
        return None, None
    resource_id = segments[1] if len(segments) > 1 and segments[1].isdigit() else None
    return segments[0], resource_id


def operation_from_path(method: str, path: str) -> str:
    """A stable operation label: the method and the path with numeric ids replaced by ``{id}``."""
    template = re.sub(r"/\d+(?=/|$)", "/{id}", path.split("?", 1)[0])
    return f"{method} {template}"


@dataclass
class Call:
    """One planned request (mutable only to count attempts)."""

    method: str
    path: str
    params: dict[str, Any] | None
    json: Any
    replay_safe: bool
    is_token_exchange: bool = False
    attempts: int = 0
    has_body: bool = False
    is_limits_lookup: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def mutating(self) -> bool:
        return self.method != "GET" and not self.is_token_exchange

    @property
    def describe(self) -> str:
        return f"{self.method} {self.path}"


class RequestPipeline:
    """Shared policy state and logic for one client (see module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.retry = RetryPolicy(max_attempts=settings.max_attempts, budget_s=settings.retry_budget_s)
        self.breaker: CircuitBreaker = breaker_for(
            settings.api_url,
            failure_threshold=settings.breaker_failure_threshold,
            failure_ratio=settings.breaker_failure_ratio,
            window=settings.breaker_window,
            cooldown_s=settings.breaker_cooldown_s,
        )
        learn = settings.rate_limit_per_s is None
        self.limiter = RateLimiter(settings.rate_limit_per_s or 0.0, settings.rate_limit_burst, adaptive=learn)
        self.tokens = TokenCache(settings)
        self.audit_log = AuditLog(settings.audit_file, actor=settings.actor)
        self._identity_asked = False
        self._limits_known = not learn

    # -- planning -------------------------------------------------------------------------

    def plan(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        replay_safe: bool | None = None,
        has_body: bool = False,
    ) -> Call:
        """Validate and describe a request; raises ReadOnlyError (and audits the refusal) in read-only mode."""
        method = method.upper()
        if method not in _METHODS:
            raise ValueError(f"unsupported HTTP method {method!r}")
        if not path.startswith("/"):
            raise ValueError(f"API paths start with '/', got {path!r}")
        safe = method in _REPLAY_SAFE_METHODS if method != "POST" else bool(replay_safe)
        if json is not None:
            register_secrets_in(json)
        call = Call(method, path, params, json, safe, has_body=has_body or json is not None)
        if self.settings.read_only and call.mutating:
            resource_type, resource_id = resource_from_path(path)
            error = ReadOnlyError(
                f"Read-only mode is on, so {call.describe} was not sent",
                method=method,
                path=path,
                resource_type=resource_type,
                resource_id=resource_id,
            )
            self.audit_http(call, outcome="refused", status=None, request_id=None, error=error)
            raise error
        return call

    def token_call(self) -> Call:
        """The ``POST /token`` exchange: replay-safe and allowed in read-only mode."""
        return Call("POST", TOKEN_PATH, None, None, replay_safe=True, is_token_exchange=True)

    def limits_call(self) -> Call:
        """``GET /limits``, asked once per client to learn the tenant's rate limit."""
        return Call("GET", LIMITS_PATH, None, None, replay_safe=True, is_limits_lookup=True)

    @property
    def limits_pending(self) -> bool:
        """True until the tenant's rate limit was asked for (only when the operator set none)."""
        return not self._limits_known

    def needs_limits(self, call: Call) -> bool:
        return self.limits_pending and not (call.is_token_exchange or call.is_limits_lookup)

    def learn_limits(self, body: Any) -> None:
        """Pace by the ``/limits`` answer (``None`` when it could not be read: the 429s teach instead)."""
        self._limits_known = True
        self.limiter.learn(per_second_limit(body))

    # -- circuit breaker ------------------------------------------------------------------

    def admission_wait(self, call: Call, refusal: Refusal) -> float:
        """Seconds to wait for an open circuit, or raise its error when the retry budget cannot cover it.

        A refused request was never sent, so waiting is safe for every method, creates included.
        """
        if time.monotonic() - call.started + refusal.wait_s > self.retry.budget_s:
            raise refusal.error
        return refusal.wait_s

    def record_final(self, error: NexlaError | None, description: str = "") -> None:
        """Tell the breaker how a request ended after its retries (once per request, not per attempt)."""
        if error is None:
            self.breaker.record(_FINAL, failure=False)
        elif not isinstance(error, CircuitOpenError):
            failure = error.status >= 500 if error.status is not None else isinstance(
                error, (ConnectionFailedError, RequestTimeoutError)
            )
            self.breaker.record(_FINAL, failure=failure, description=description or _describe_failure(error))

    def url(self, call: Call) -> str:
        return self.settings.api_url + call.path

    def headers(self, call: Call, token: str | None) -> dict[str, str]:
        """Headers per the API contract (§1.2/§1.3)."""
        if call.is_token_exchange:
            return {
                "Accept": ACCEPT,
                "User-Agent": USER_AGENT,
                "Authorization": self.tokens.basic_authorization(),
                "Content-Length": "0",
            }
        return {
            "Accept": ACCEPT,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Authorization": f"Bearer {token}",
        }

    def should_reauthenticate(self, call: Call, response: httpx.Response) -> bool:
        """A 401 on an API call in service-key mode earns one re-exchange and replay."""
        return response.status_code == 401 and not call.is_token_exchange and self.tokens.service_key_mode

    # -- responses ------------------------------------------------------------------------

    @staticmethod
    def parse_body(response: httpx.Response) -> Any:
        """Parsed JSON; ``None`` for 204/empty; ``{"raw_text", "status_code"}`` for non-JSON text."""
        if response.status_code == 204 or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            return {"raw_text": response.text[:2000], "status_code": response.status_code}

    @staticmethod
    def request_id(response: httpx.Response | None) -> str | None:
        if response is None:
            return None
        for name in REQUEST_ID_HEADERS:
            if name in response.headers:
                return response.headers[name]
        return None

    @staticmethod
    def is_breaker_failure(status: int) -> bool:
        return status >= 500

    def interpret(self, call: Call, response: httpx.Response) -> Any:
        """The parsed body of a 2xx response, or raise the typed error for anything else.

        Also what the adaptive rate limiter learns from: a 429 slows it, a success speeds it up.
        """
        body = self.parse_body(response)
        if 200 <= response.status_code < 300:
            self.limiter.succeeded()
            return body
        if response.status_code == 429:
            self.limiter.throttled()
        raise self.error_from_response(call, response, body)

    def error_from_response(self, call: Call, response: httpx.Response, body: Any) -> NexlaError:
        status = response.status_code
        cls = error_type_for_status(status)
        server_message = _server_message(body)
        message = server_message or response.reason_phrase or "HTTP error"
        resource_type, resource_id = resource_from_path(call.path)
        if isinstance(body, dict):
            resource_type = body.get("resource_type") or resource_type
            resource_id = body.get("resource_id") or resource_id
        if call.is_token_exchange and status in (401, 403):
            cls = AuthenticationError
            message = f"The service key was rejected by POST /token: {message}"
        elif status == 401 and not self.tokens.service_key_mode:
            message = f"The access token was rejected (it may have expired): {message}"
        elif status == 404 and not server_message:
            message = f"Not found: {resource_type}/{resource_id}" if resource_id else f"Not found: {call.path}"
        return cls(
            message,
            status=status,
            resource_type=resource_type,
            resource_id=resource_id,
            retry_after=retry_after_from(response.headers, body),
            method=call.method,
            path=call.path,
            request_id=self.request_id(response),
            body=body if isinstance(body, (dict, list)) else None,
            attempts=max(1, call.attempts),
        )

    def error_from_transport(self, call: Call, exc: httpx.TransportError) -> NexlaError:
        """Timeouts become RequestTimeoutError; every other transport failure ConnectionFailedError."""
        host = urlsplit(self.settings.api_url).netloc
        common: dict[str, Any] = {"method": call.method, "path": call.path, "attempts": max(1, call.attempts)}
        if isinstance(exc, httpx.TimeoutException):
            return RequestTimeoutError(
                f"No response from {host} within {self.settings.timeout_s:g} s ({type(exc).__name__})", **common
            )
        return ConnectionFailedError(f"Could not reach {host}: {type(exc).__name__}: {scrub_text(str(exc))}", **common)

    @staticmethod
    def breaker_description(response: httpx.Response | None, exc: BaseException | None = None) -> str:
        if response is not None:
            return f"HTTP {response.status_code}"
        return type(exc).__name__ if exc is not None else "failure"

    # -- audit ----------------------------------------------------------------------------

    def audit_http(
        self,
        call: Call,
        *,
        outcome: str,
        status: int | None,
        request_id: str | None,
        result: Any = None,
        error: NexlaError | None = None,
    ) -> None:
        """One audit line for a mutating request (no-op for reads and the token exchange)."""
        if not call.mutating:
            return
        resource_type, resource_id = resource_from_path(call.path)
        if resource_id is None and call.method == "POST" and isinstance(result, dict) and "id" in result:
            resource_id = str(result["id"])
        details: dict[str, Any] = {}
        if error is not None:
            details["error"] = error.kind
            details["message"] = error.message
        if call.attempts > 1:
            details["attempts"] = call.attempts
        self.audit_log.record(
            operation=operation_from_path(call.method, call.path),
            outcome=outcome,
            method=call.method,
            path=call.path,
            resource_type=resource_type,
            resource_id=resource_id,
            status=status,
            request_id=request_id,
            **details,
        )

    def audit(self, operation: str, resource_type: str | None, resource_id: Any, outcome: str, **details: Any) -> dict[str, Any]:
        """A higher-level audit line written by an operation (e.g. ``deploy_flow``)."""
        return self.audit_log.record(
            operation=operation,
            outcome=outcome,
            resource_type=resource_type,
            resource_id=resource_id,
            **redact(details),
        )

    def needs_identity(self, call: Call) -> bool:
        """True before the first audited mutation when nothing names the actor yet.

        The client then asks the API who it is (once), so audit lines written by scripts and tools
        name the user even when ``NEXLA_ACTOR`` is not set.
        """
        log = self.audit_log
        return call.mutating and log.path is not None and not (log.actor or log.fallback_actor or self._identity_asked)

    def remember_identity(self, user: Any) -> None:
        """Use the current user's email (or id) as the audit actor when NEXLA_ACTOR is not set.

        ``None`` records that the question was asked and had no answer, so it is not asked again.
        """
        self._identity_asked = True
        if isinstance(user, dict):
            ident = user.get("email") or user.get("id")
            if ident is not None:
                self.audit_log.fallback_actor = str(ident)


_FINAL = Ticket(probe=False)


def _describe_failure(error: NexlaError) -> str:
    return f"HTTP {error.status}" if error.status is not None else type(error).__name__


def _server_message(body: Any) -> str | None:
    """The human message from an error body: ``message``, then ``error``, then FastAPI's ``detail``."""
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, dict):
                nested = _server_message(value)
                if nested:
                    return nested
        if "raw_text" in body:
            return str(body["raw_text"])[:300].strip() or None
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return None
