"""``/teams`` and ``/teams/{id}/members`` (GET, PUT add, POST replace, DELETE some or, without a body, all).

The rules are in ``nexla_sandbox.backend.teams``.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import records, teams
from nexla_sandbox.routes.common import Ctx, Handler, route
from nexla_sandbox.routes.resources import crud_routes


def list_members(ctx: Ctx) -> list[dict]:
    """Members of a team."""
    return ctx.render("teams", records.read(ctx, "teams", ctx.id()))["members"]


def edit_members(mode: str) -> Handler:
    def edit(ctx: Ctx) -> list[dict]:
        """Add (PUT), replace (POST) or remove (DELETE; no body = all) team members (admin role)."""
        body = None if ctx.body is None or ctx.body == {} else ctx.body_dict()
        return ctx.render("teams", teams.edit_members(ctx, ctx.id(), mode, body))["members"]

    edit.__name__ = f"{mode}_team_members"
    return edit


def extra() -> list[Route]:
    path = "/teams/{id:int}/members"
    return [route(path, list_members, ["GET"]), route(path, edit_members("add"), ["PUT"]),
            route(path, edit_members("replace"), ["POST"]), route(path, edit_members("remove"), ["DELETE"])]


def routes() -> list[Route]:
    return crud_routes(teams.FAMILY, extra)
