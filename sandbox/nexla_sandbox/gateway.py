"""The ASGI middleware in front of the API: counters, rate limit, faults, then bearer auth.

Under the prefix, every route except ``/_sandbox/...`` is counted, rate limited and subject to
injected faults (``/token`` included); every route except ``/token``, ``/token/logout`` and
``/openapi.json`` needs ``Authorization: Bearer <token>``. ``/_sandbox/...`` needs
``X-Sandbox-Admin-Key: <admin service key>``. Paths outside the prefix (webhooks) pass through.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexla_sandbox import auth
from nexla_sandbox.errors import error_body, error_response, reason
from nexla_sandbox.faults import Controls, Fault
from nexla_sandbox.state.seed import keys
from nexla_sandbox.state.store import Store

PUBLIC = {"/token", "/token/logout", "/openapi.json"}
# Ids are SQLite integers (signed 64-bit): a longer number names nothing, and must not reach SQLite.
MAX_ID = 2**63 - 1


def oversized_id(path: str) -> tuple[str, str] | None:
    """``(collection, id)`` for the first all-digit path segment too large to be an id, else None."""
    segments = path.strip("/").split("/")
    for index, segment in enumerate(segments):
        if segment.isdigit() and int(segment) > MAX_ID:
            return (segments[index - 1] if index else "", segment)
    return None


class Gateway:
    def __init__(self, app: ASGIApp, *, prefix: str, store: Store, controls: Controls) -> None:
        self.app = app
        self.prefix = prefix
        self.store = store
        self.controls = controls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            if not await self.refused_id(scope, receive, send, path):
                await self.app(scope, receive, send)
            return
        sub = path[len(self.prefix):] or "/"
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if sub == "/_sandbox" or sub.startswith("/_sandbox/"):
            if not await self.refused_id(scope, receive, send, sub):
                await self.operator(scope, receive, send, headers)
            return
        status = {"code": 500}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.guarded(scope, receive, counting_send, sub, headers)
        finally:
            self.controls.count(scope["method"], sub, status["code"], headers.get("authorization"))

    async def operator(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        admin_key = keys(self.store).get("admin")
        if not admin_key or headers.get("x-sandbox-admin-key") != admin_key:
            await self.reply(scope, receive, send, 401, "Operator endpoints need 'X-Sandbox-Admin-Key: <admin service key>'")
            return
        admin_id = self.store.db.execute("SELECT user_id FROM service_keys WHERE label = 'admin'")[0]["user_id"]
        scope.setdefault("state", {})["user"] = auth.principal(self.store, admin_id)
        await self.app(scope, receive, send)

    async def guarded(self, scope: Scope, receive: Receive, send: Send, sub: str, headers: dict[str, str]) -> None:
        bucket = headers.get("authorization") or (scope.get("client") or ("local",))[0]
        wait = self.controls.take(bucket)
        if wait is not None:
            await self.reply(scope, receive, send, 429, f"Rate limit exceeded; retry after {wait} s",
                             headers={"Retry-After": str(wait)}, retry_after=wait)
            return
        fault = self.controls.match_fault(scope["method"], sub)
        if fault is not None and not fault.after_commit:
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.status == 0:
                await self.drop(send)
                return
            if fault.status is not None:
                await self.injected(scope, receive, send, fault)
                return
        if sub not in PUBLIC:
            user = self.authenticate(headers)
            if user is None:
                await self.reply(scope, receive, send, 401,
                                 "Missing, invalid or expired bearer token: POST /token with 'Authorization: Basic <service key>'")
                return
            scope.setdefault("state", {})["user"] = user
        if await self.refused_id(scope, receive, send, sub):
            return
        if fault is not None and fault.after_commit:
            await self.lose_answer(scope, receive, send, fault)
            return
        await self.app(scope, receive, send)

    async def lose_answer(self, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
        """Process the request to the end (its writes commit), then cut the connection or answer the fault's status."""

        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.status == 0:
            await self.drop(send)
        else:
            await self.injected(scope, receive, send, fault)

    async def refused_id(self, scope: Scope, receive: Receive, send: Send, path: str) -> bool:
        """Answer 404 for a path naming an id beyond the integer range; True when it did."""
        found = oversized_id(path)
        if found is None:
            return False
        kind, value = found
        await self.reply(scope, receive, send, 404, f"{kind or 'resource'} {value} not found",
                         resource_type=kind or None, resource_id=value)
        return True

    def authenticate(self, headers: dict[str, str]) -> dict | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user_id = auth.user_for_token(self.store, token.strip())
        return auth.principal(self.store, user_id) if user_id is not None else None

    async def injected(self, scope: Scope, receive: Receive, send: Send, fault: Fault) -> None:
        # Only faults with a status reach here: status None only delays, status 0 drops the connection.
        assert fault.status is not None
        extra: dict[str, Any] = {}
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
            if fault.retry_after.isdigit():
                extra["retry_after"] = int(fault.retry_after)
        body = fault.body if fault.body is not None else error_body(
            fault.status, f"Injected fault: {reason(fault.status)}", **extra)
        await JSONResponse(body, status_code=fault.status, headers=headers)(scope, receive, send)

    @staticmethod
    async def drop(send: Send) -> None:
        """Promise a body and never send it: the server closes the connection mid-response."""
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def reply(scope: Scope, receive: Receive, send: Send, status: int, message: str,
                    headers: dict[str, str] | None = None, **extra: Any) -> None:
        await error_response(status, message, headers=headers, **extra)(scope, receive, send)
