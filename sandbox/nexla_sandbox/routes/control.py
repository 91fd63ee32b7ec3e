"""Operator endpoints under ``/_sandbox`` (outside the Nexla API; admin key only; never counted or faulted).

* ``POST /_sandbox/faults`` add a fault (see :class:`nexla_sandbox.faults.Fault`; ``seed`` reseeds the
  random source; ``after_commit: true`` processes the request, then loses the answer), ``GET`` lists
  them, ``DELETE`` clears them.
* ``PUT /_sandbox/rate_limit`` ``{"requests_per_second", "burst"}`` or ``null`` to disable.
* ``GET /_sandbox/requests`` counters and the recent request log; ``DELETE`` resets them.
* ``POST /_sandbox/tokens/revoke`` ends every session token (the next API call gets 401).
* ``POST /_sandbox/reset`` wipes all resources, run history (runs, metrics, logs, error samples) and
  delivered-file ledgers, re-seeds (same users, same keys), and clears faults, rate limit and counters.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexla_sandbox import auth
from nexla_sandbox.errors import error_response
from nexla_sandbox.faults import ControlError
from nexla_sandbox.state import seed


async def _json(request: Request) -> tuple[object, Response | None]:
    raw = await request.body()
    if not raw.strip():
        return None, None
    try:
        return json.loads(raw), None
    except ValueError:
        return None, error_response(400, "Request body is not valid JSON", field="body")


async def add_fault(request: Request) -> Response:
    """Inject a fault into the next matching API responses."""
    spec, problem = await _json(request)
    if problem:
        return problem
    try:
        fault = request.app.state.controls.add_fault(spec)
    except ControlError as error:
        return error_response(400, str(error), field=error.field)
    return JSONResponse(fault.public())


async def list_faults(request: Request) -> Response:
    """Faults still armed."""
    return JSONResponse([f.public() for f in request.app.state.controls.faults])


async def clear_faults(request: Request) -> Response:
    """Remove every fault."""
    request.app.state.controls.clear_faults()
    return JSONResponse({"status": "success", "message": "Faults cleared"})


async def rate_limit(request: Request) -> Response:
    """Set (or with null, remove) the per-key token-bucket rate limit."""
    spec, problem = await _json(request)
    if problem:
        return problem
    try:
        request.app.state.controls.set_rate_limit(spec)
    except ControlError as error:
        return error_response(400, str(error), field=error.field)
    return JSONResponse({"rate_limit": request.app.state.controls.rate_limit})


async def requests(request: Request) -> Response:
    """Request counters: total, by_route ("METHOD /path"), by_status and the recent log."""
    return JSONResponse(request.app.state.controls.counters())


async def reset_requests(request: Request) -> Response:
    """Reset the request counters."""
    request.app.state.controls.reset_counters()
    return JSONResponse({"status": "success", "message": "Counters reset"})


async def revoke_tokens(request: Request) -> Response:
    """End every session token."""
    auth.revoke_user_tokens(request.app.state.store)
    return JSONResponse({"status": "success", "message": "All tokens revoked"})


async def reset(request: Request) -> Response:
    """Wipe every resource and re-seed with the same users and keys."""
    store = request.app.state.store
    previous = seed.keys(store)
    with store.db.transaction():
        for table in ("records", "credential_secrets", "accessors", "audit", "service_keys", "meta"):
            store.db.execute(f"DELETE FROM {table}")
        # Ids restart after a reset, so the run history must go too, or a new source would inherit old runs.
        request.app.state.runtime.ledger.clear()
        store.db.execute("DELETE FROM sqlite_sequence")
        seed.ensure_seeded(store, previous_keys=previous)
    controls = request.app.state.controls
    controls.clear_faults()
    controls.set_rate_limit(None)
    controls.reset_counters()
    return JSONResponse({"status": "success", "message": "Sandbox reset"})


def routes() -> list[Route]:
    return [Route("/_sandbox/faults", add_fault, methods=["POST"]),
            Route("/_sandbox/faults", list_faults, methods=["GET"]),
            Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
            Route("/_sandbox/rate_limit", rate_limit, methods=["PUT"]),
            Route("/_sandbox/requests", requests, methods=["GET"]),
            Route("/_sandbox/requests", reset_requests, methods=["DELETE"]),
            Route("/_sandbox/tokens/revoke", revoke_tokens, methods=["POST"]),
            Route("/_sandbox/reset", reset, methods=["POST"])]
