"""The sandbox ASGI app: ``create_app(data_dir)`` wires state, access control, the runtime and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from nexla_sandbox.access import Access
from nexla_sandbox.errors import ApiError, error_response, reason
from nexla_sandbox.faults import Controls
from nexla_sandbox.gateway import Gateway
from nexla_sandbox.routes import (
    accessors,
    aliases,
    async_tasks,
    auth,
    code,
    control,
    credentials,
    flows,
    lookups,
    misc,
    monitoring,
    nexset_docs,
    nexsets,
    notifications,
    org_admin,
    orgs,
    projects,
    run_data,
    runtimes,
    settings,
    sinks,
    sources,
    teams,
    users,
)
from nexla_sandbox.routes.misc import openapi_document
from nexla_sandbox.runtime import Runtime
from nexla_sandbox.state.seed import ensure_seeded
from nexla_sandbox.state.store import Store

PREFIX = "/nexla-api"
log = logging.getLogger("nexla_sandbox")


def api_routes() -> list[BaseRoute]:
    """Every route under the prefix; run data routes first (they own samples, metrics, logs, run)."""
    table: list[BaseRoute] = [*run_data.routes(), *auth.routes(), *control.routes(), *misc.routes(), *flows.routes()]
    for module in (credentials, sources, nexsets, sinks, code, teams, projects, accessors, users, orgs,
                   notifications, async_tasks, lookups, settings, org_admin, monitoring, nexset_docs,
                   aliases, runtimes):
        table += module.routes()
    return table


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, headers=exc.headers, status_field=exc.status_field, **exc.extra)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.detail and exc.detail != reason(exc.status_code) else {
        404: f"No route for {request.method} {request.url.path}",
        405: f"Method {request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code, reason(exc.status_code))
    return error_response(exc.status_code, str(message), headers=getattr(exc, "headers", None))


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "Internal sandbox error; see the server log")


def create_app(data_dir: Path, service_key: str | None = None, *, rate_limit: float | None = None,
               prefix: str = PREFIX) -> Starlette:
    """The sandbox app over the state in ``data_dir`` (created and seeded on first use).

    ``service_key`` becomes the admin user's key (otherwise the seeded one is kept);
    ``rate_limit`` (requests per second per key) starts with a rate limit in force.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(data_dir)
    ensure_seeded(store, admin_key=service_key)
    runtime = Runtime(store, data_dir)
    controls = Controls(rate_limit)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    routes = [Mount(prefix, routes=api_routes()), *run_data.webhook_routes()]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Gateway, prefix=prefix, store=store, controls=controls)],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: unexpected},
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.access = Access(store)
    app.state.runtime = runtime
    app.state.controls = controls
    app.state.data_dir = data_dir
    app.state.openapi = openapi_document(routes, prefix)
    return app
