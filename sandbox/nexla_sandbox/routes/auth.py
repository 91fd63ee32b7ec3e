"""``POST /token`` and ``POST /token/logout`` (they run before the bearer check)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexla_sandbox import auth
from nexla_sandbox.errors import error_response


async def token(request: Request) -> Response:
    """Exchange ``Authorization: Basic <service key>`` for a bearer token (expires_in 3600, with user, org and org_membership)."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    store = request.app.state.store
    user_id = auth.user_for_key(store, key.strip()) if scheme.lower() == "basic" and key.strip() else None
    if user_id is None or auth.principal(store, user_id) is None:
        return error_response(401, "Invalid service key: send 'Authorization: Basic <service key>'")
    return JSONResponse(auth.issue_token(store, user_id))


async def logout(request: Request) -> Response:
    """End the bearer token of this request."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        auth.revoke_token(request.app.state.store, value.strip())
    return JSONResponse({"status": "success", "message": "Logged out"})


def routes() -> list[Route]:
    return [Route("/token", token, methods=["POST"]), Route("/token/logout", logout, methods=["POST"])]
