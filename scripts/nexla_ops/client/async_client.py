"""Asyncio client: ``AsyncNexlaClient`` (httpx.AsyncClient + the same pipeline as ``NexlaClient``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying

from ..config import Settings
from ..errors import NexlaError
from ..telemetry import http_span, record_status
from .pagination import Page, check_paging, check_progress, page_params, to_page
from .circuit_breaker import Ticket
from .pipeline import Call, RequestPipeline

T = TypeVar("T")
R = TypeVar("R")


class AsyncNexlaClient:
    """The async twin of :class:`~nexla_ops.client.NexlaClient`: same methods, awaited.

    One instance serves many concurrent tasks; they share its connection pool, rate limiter,
    circuit breaker and session token. Use it from a single event loop.
    """

    def __init__(self, settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings if settings is not None else Settings.from_env()
        self._pipeline = RequestPipeline(self.settings)
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.timeout_s),
            transport=transport,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            follow_redirects=False,
        )
        self._token_lock: asyncio.Lock | None = None
        self._limits_lock: asyncio.Lock | None = None

    @property
    def pipeline(self) -> RequestPipeline:
        """Shared policy state (breaker, limiter, token cache, audit log) for diagnostics and tests."""
        return self._pipeline

    async def get(self, path: str, *, params: dict[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(
        self, path: str, *, json: Any = None, params: dict[str, Any] | None = None, replay_safe: bool = False
    ) -> Any:
        """POST; retried automatically only with ``replay_safe=True``."""
        return await self.request("POST", path, json=json, params=params, replay_safe=replay_safe)

    async def put(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return await self.request("PUT", path, json=json, params=params)

    async def delete(self, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        return await self.request("DELETE", path, json=json, params=params)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        replay_safe: bool | None = None,
    ) -> Any:
        call = self._pipeline.plan(method, path, params=params, json=json, replay_safe=replay_safe)
        return await self._run(call)

    async def paginate(
        self, path: str, *, params: dict[str, Any] | None = None, per_page: int = 100, limit: int | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Async iterator over every item of a list endpoint (see ``NexlaClient.paginate``)."""
        check_paging(1, per_page, limit)
        yielded = 0
        previous: list[dict[str, Any]] | None = None
        page = 1
        while limit is None or yielded < limit:
            current = await self.list_page(path, params=params, page=page, per_page=per_page)
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

    async def list_page(
        self, path: str, *, params: dict[str, Any] | None = None, page: int = 1, per_page: int = 100
    ) -> Page:
        check_paging(page, per_page)
        body = await self.get(path, params=page_params(params, page, per_page))
        return to_page(path, body, page, per_page)

    async def whoami(self) -> dict[str, Any]:
        user = await self.get("/users/current")
        self._pipeline.remember_identity(user)
        return user

    def audit(self, operation: str, resource_type: str | None, resource_id: Any, outcome: str, **details: Any) -> dict[str, Any]:
        """Append a higher-level audit line (synchronous: a local file append)."""
        return self._pipeline.audit(operation, resource_type, resource_id, outcome, **details)

    async def fan_out(
        self, func: Callable[[T], Awaitable[R]], items: Iterable[T], concurrency: int = 8
    ) -> list[R | Exception]:
        """Await ``func(item)`` for every item, at most ``concurrency`` at a time.

        Results come back in input order; a failing item yields its exception instead of
        cancelling the rest. All calls share this client's rate limiter and breaker.
        """
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        semaphore = asyncio.Semaphore(concurrency)

        async def guarded(item: T) -> R | Exception:
            async with semaphore:
                try:
                    return await func(item)
                except Exception as exc:  # returned, not raised: one failure must not hide the others
                    return exc

        return list(await asyncio.gather(*(guarded(item) for item in items)))

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncNexlaClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- I/O ------------------------------------------------------------------------------

    async def _run(self, call: Call) -> Any:
        response_box: list[httpx.Response] = []
        if self._pipeline.needs_limits(call):
            await self._learn_limits()
        if self._pipeline.needs_identity(call):
            try:
                await self.whoami()
            except NexlaError:
                self._pipeline.remember_identity(None)
        try:
            result: Any = await AsyncRetrying(**self._pipeline.retry.tenacity_kwargs(call.replay_safe, call.describe))(
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

    async def _learn_limits(self) -> None:
        if self._limits_lock is None:
            self._limits_lock = asyncio.Lock()
        async with self._limits_lock:
            if not self._pipeline.limits_pending:
                return
            try:
                body = await self._run(self._pipeline.limits_call())
            except NexlaError:
                body = None
            self._pipeline.learn_limits(body)

    async def _attempt(self, call: Call, response_box: list[httpx.Response]) -> Any:
        call.attempts += 1
        token = await self._token(call)
        response = await self._transmit(call, token)
        if self._pipeline.should_reauthenticate(call, response):
            self._pipeline.tokens.invalidate(token or "")
            response = await self._transmit(call, await self._token(call))
        response_box.append(response)
        return self._pipeline.interpret(call, response)

    async def _token(self, call: Call) -> str | None:
        if call.is_token_exchange:
            return None
        token = self._pipeline.tokens.current()
        if token is not None:
            return token
        if self._token_lock is None:
            self._token_lock = asyncio.Lock()
        async with self._token_lock:
            token = self._pipeline.tokens.current()
            if token is None:
                try:
                    body = await self._run(self._pipeline.token_call())
                except NexlaError as error:
                    error.retries_spent = True
                    raise
                token = self._pipeline.tokens.store(body)
            return token

    async def _admit(self, call: Call) -> Ticket:
        """A breaker ticket, after waiting out an open circuit if the retry budget allows."""
        while True:
            decision = self._pipeline.breaker.admit()
            if isinstance(decision, Ticket):
                return decision
            await asyncio.sleep(self._pipeline.admission_wait(call, decision))

    async def _transmit(self, call: Call, token: str | None) -> httpx.Response:
        pipeline = self._pipeline
        ticket = await self._admit(call)
        try:
            await pipeline.limiter.acquire_async()
            with http_span(call.method, call.path) as span:
                response = await self._http.request(
                    call.method,
                    pipeline.url(call),
                    params=call.params,
                    json=call.json if call.has_body else None,
                    content=b"" if call.is_token_exchange else None,
                    headers=pipeline.headers(call, token),
                )
                record_status(span, response.status_code)
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
