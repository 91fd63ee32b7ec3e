"""Blocking client: ``NexlaClient`` (httpx.Client with connection pooling + the shared pipeline)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from tenacity import Retrying

from ..config import Settings
from ..errors import NexlaError
from .pagination import Page, check_paging, check_progress, page_params, to_page
from .circuit_breaker import Ticket
from .pipeline import Call, RequestPipeline

T = TypeVar("T")
R = TypeVar("R")


class NexlaClient:
    """Typed, retrying, rate-aware Nexla API client (thread-safe; share one per process).

    ``NexlaClient()`` reads settings from the environment (``Settings.from_env()``).
    ``transport`` replaces the network layer (``httpx.MockTransport`` in tests).
    """

    def __init__(self, settings: Settings | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings if settings is not None else Settings.from_env()
        self._pipeline = RequestPipeline(self.settings)
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.settings.timeout_s),
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            follow_redirects=False,
        )
        self._token_lock = threading.Lock()
        self._limits_lock = threading.Lock()

    # -- public surface -------------------------------------------------------------------

    @property
    def pipeline(self) -> RequestPipeline:
        """Shared policy state (breaker, limiter, token cache, audit log) for diagnostics and tests."""
        return self._pipeline

    def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        """GET ``path`` (relative to the API URL); returns parsed JSON."""
        return self.request("GET", path, params=params)

    def post(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None, replay_safe: bool = False) -> Any:
        """POST; retried automatically only with ``replay_safe=True`` (reads like probe/search, never creates)."""
        return self.request("POST", path, json=json, params=params, replay_safe=replay_safe)

    def put(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request("PUT", path, json=json, params=params)

    def delete(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, json=json, params=params)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        replay_safe: bool | None = None,
    ) -> Any:
        """Send one API request through the full pipeline; returns parsed JSON (``None`` for 204/empty)."""
        call = self._pipeline.plan(method, path, params=params, json=json, replay_safe=replay_safe)
        return self._run(call)

    def paginate(
        self, path: str, *, params: dict[str, Any] | None = None, per_page: int = 100, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a list endpoint, page by page until a short or empty page (or ``limit`` items)."""
        check_paging(1, per_page, limit)
        yielded = 0
        previous: list[dict[str, Any]] | None = None
        page = 1
        while limit is None or yielded < limit:
            current = self.list_page(path, params=params, page=page, per_page=per_page)
            check_progress(path, previous, current.items, page)
            for item in current.items:
                if limit is not None and yielded >= limit:
                    return
                yielded += 1
                yield item
            if not current.has_more:
                return
            previous = current.items
            page += 1

    def list_page(self, path: str, *, params: dict[str, Any] | None = None, page: int = 1, per_page: int = 100) -> Page:
        """One page of a list endpoint."""
        check_paging(page, per_page)
        body = self.get(path, params=page_params(params, page, per_page))
        return to_page(path, body, page, per_page)

    def whoami(self) -> dict[str, Any]:
        """The current user (``GET /users/current``); also used as the audit actor."""
        user = self.get("/users/current")
        self._pipeline.remember_identity(user)
        return user

    def audit(self, operation: str, resource_type: str | None, resource_id: Any, outcome: str, **details: Any) -> dict[str, Any]:
        """Append a higher-level audit line (the client already audits each mutating HTTP call)."""
        return self._pipeline.audit(operation, resource_type, resource_id, outcome, **details)

    def fan_out(self, func: Callable[[T], R], items: Iterable[T], concurrency: int = 8) -> list[R | Exception]:
        """Run ``func`` over ``items`` on up to ``concurrency`` threads; results (or exceptions) in input order."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")

        def guarded(item: T) -> R | Exception:
            try:
                return func(item)
            except Exception as exc:  # returned, not raised: one failure must not hide the others
                return exc

        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="nexla-fan-out") as pool:
            return list(pool.map(guarded, items))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NexlaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- I/O ------------------------------------------------------------------------------

    def _run(self, call: Call) -> Any:
        response_box: list[httpx.Response] = []
        if self._pipeline.needs_limits(call):
            self._learn_limits()
        if self._pipeline.needs_identity(call):
            try:
                self.whoami()
            except NexlaError:
                self._pipeline.remember_identity(None)
        try:
            result = Retrying(**self._pipeline.retry.tenacity_kwargs(call.replay_safe, call.describe))(
                self._attempt, call, response_box
            )
        except NexlaError as error:
            self._pipeline.record_final(error)
            self._pipeline.audit_http(call, outcome="failed", status=error.status, request_id=error.request_id, error=error)
            raise
        self._pipeline.record_final(None)
        last = response_box[-1] if response_box else None
        self._pipeline.audit_http(
            call, outcome="ok", status=last.status_code if last else None, request_id=self._pipeline.request_id(last), result=result
        )
        return result

    def _learn_limits(self) -> None:
        with self._limits_lock:
            # Another thread may have asked while we waited for the lock.
            if not self._pipeline.limits_pending:
                return
            try:
                body = self._run(self._pipeline.limits_call())
            except NexlaError:
                body = None
            self._pipeline.learn_limits(body)

    def _attempt(self, call: Call, response_box: list[httpx.Response]) -> Any:
        call.attempts += 1
        token = self._token(call)
        response = self._transmit(call, token)
        if self._pipeline.should_reauthenticate(call, response):
            self._pipeline.tokens.invalidate(token or "")
            response = self._transmit(call, self._token(call))
        response_box.append(response)
        return self._pipeline.interpret(call, response)

    def _token(self, call: Call) -> str | None:
        if call.is_token_exchange:
            return None
        token = self._pipeline.tokens.current()
        if token is not None:
            return token
        with self._token_lock:
            # Another thread may have exchanged while we waited for the lock.
            token = self._pipeline.tokens.current()
            if token is None:
                try:
                    body = self._run(self._pipeline.token_call())
                except NexlaError as error:
                    error.retries_spent = True
                    raise
                token = self._pipeline.tokens.store(body)
            return token

    def _admit(self, call: Call) -> Ticket:
        """A breaker ticket, after waiting out an open circuit if the retry budget allows."""
        while True:
            decision = self._pipeline.breaker.admit()
            if isinstance(decision, Ticket):
                return decision
            time.sleep(self._pipeline.admission_wait(call, decision))

    def _transmit(self, call: Call, token: str | None) -> httpx.Response:
        pipeline = self._pipeline
        ticket = self._admit(call)
        try:
            pipeline.limiter.acquire()
            response = self._http.request(
                call.method,
                pipeline.url(call),
                params=call.params,
                json=call.json if call.has_body else None,
                content=b"" if call.is_token_exchange else None,
                headers=pipeline.headers(call, token),
            )
        except httpx.TransportError as exc:
            if ticket.probe:
                pipeline.breaker.record(ticket, failure=True, description=pipeline.breaker_description(None, exc))
            raise pipeline.error_from_transport(call, exc) from exc
        except BaseException:
            pipeline.breaker.release(ticket)
            raise
        if ticket.probe:
            # Only the half-open probe reports per attempt: it alone decides whether to close.
            pipeline.breaker.record(
                ticket, failure=pipeline.is_breaker_failure(response.status_code), description=pipeline.breaker_description(response)
            )
        return response
