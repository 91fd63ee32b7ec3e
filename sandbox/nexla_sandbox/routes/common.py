"""The request context handed to every handler, and the decorator that turns a handler into a route.

Handlers are plain synchronous functions ``(ctx) -> result`` run in the thread pool (SQLite and
the runtime block). A result is JSON data (200), a ``(status, data)`` pair, or a Response.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexla_sandbox.backend import Caller
from nexla_sandbox.errors import ApiError, bad_request
from nexla_sandbox.params import MAX_DEPTH, check_storable
from nexla_sandbox.state import audit

Handler = Callable[["Ctx"], Any]


@dataclass(kw_only=True)
class Ctx(Caller):
    """One request: the caller the backend sees, plus what a route parses (path params, query, body)."""

    request: Request
    params: dict
    query: Any
    body: Any
    extras: dict = field(default_factory=dict)

    def id(self, name: str = "id") -> int:
        return int(self.params[name])

    def body_dict(self) -> dict:
        """The JSON body as an object ({} when empty); 400 for any other JSON type."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request("Request body must be a JSON object", "body")
        return self.body


async def read_json(request: Request) -> Any:
    """The parsed JSON body, None when empty; 400 when it is not JSON or holds what cannot be stored."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        body = json.loads(raw)
    except RecursionError:
        field = too_deep_field(raw.decode("utf-8", "replace"))
        raise bad_request(f"'{field}' is nested deeper than {MAX_DEPTH} levels", field) from None
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body is not valid JSON", "body") from None
    check_storable(body)
    return body


def too_deep_field(text: str) -> str:
    """The top-level key under which a JSON text nests deeper than MAX_DEPTH ("body" when none is found)."""
    depth, key, last_string = 0, "body", ""
    in_string = escaped = False
    start = 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                last_string = text[start:index]
        elif char == '"':
            in_string, start = True, index + 1
        elif char == ":" and depth == 1:
            key = last_string
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return key
        elif char in "]}":
            depth -= 1
    return key


def to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], int):
        return JSONResponse(result[1], status_code=result[0])
    return JSONResponse(result)


def endpoint(handler: Handler, **extras: Any) -> Callable[[Request], Any]:
    """Wrap a synchronous handler as an async Starlette endpoint."""

    async def run(request: Request) -> Response:
        body = await read_json(request) if request.method in {"POST", "PUT", "DELETE", "PATCH"} else None
        state = request.app.state
        user = request.state.user
        client = request.client
        info = audit.RequestInfo(user=user, ip=client.host if client else None,
                                 user_agent=request.headers.get("user-agent"), url=str(request.url))
        ctx = Ctx(store=state.store, access=state.access, runtime=state.runtime, user=user, info=info,
                  root_url=str(request.base_url).rstrip("/"), request=request, params=dict(request.path_params),
                  query=request.query_params, body=body, extras=extras)
        return to_response(await run_in_threadpool(handler, ctx))

    run.__doc__ = handler.__doc__
    run.__name__ = handler.__name__
    return run


def route(path: str, handler: Handler, methods: list[str], **extras: Any) -> Route:
    """A Route whose endpoint runs ``handler``; ``extras`` reach it as ``ctx.extras``."""
    return Route(path, endpoint(handler, **extras), methods=methods, name=f"{methods[0]} {path}")


def status_ok(message: str) -> dict:
    return {"status": "success", "message": message}


def ensure(condition: bool, message: str, field: str | None = None) -> None:
    if not condition:
        raise bad_request(message, field)


__all__ = ["ApiError", "Ctx", "endpoint", "ensure", "read_json", "route", "status_ok", "to_response"]
