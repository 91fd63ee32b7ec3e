"""``/data_credentials`` routes: CRUD plus probe, probe tree and probe sample (rules in ``nexla_sandbox.backend.credentials``)."""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import credentials
from nexla_sandbox.params import integer, require_int, require_str
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.resources import crud_routes


def probe(ctx: Ctx) -> dict:
    """Check that the credential connects (collaborator role): 200 ``{output}``, 403 ``{status, message}`` when not."""
    integer(ctx.query, "request_id")
    return credentials.probe(ctx, ctx.id())


def probe_tree(ctx: Ctx) -> dict:
    """List folders and files reachable with the credential (``depth`` is required; ``path`` ``/`` is the root)."""
    body = ctx.body_dict()
    return credentials.probe_tree(ctx, ctx.id(), require_str(body, "path", required=False), require_int(body, "depth"))


def probe_sample(ctx: Ctx) -> dict:
    """Read a few records under ``path`` with the credential."""
    return credentials.probe_sample(ctx, ctx.id(), require_str(ctx.body_dict(), "path", required=False))


def extra() -> list[Route]:
    return [
        route("/data_credentials/{id:int}/probe", probe, ["GET"]),
        route("/data_credentials/{id:int}/probe/tree", probe_tree, ["POST"]),
        route("/data_credentials/{id:int}/probe/sample", probe_sample, ["POST"]),
    ]


def routes() -> list[Route]:
    return crud_routes(credentials.FAMILY, extra)
