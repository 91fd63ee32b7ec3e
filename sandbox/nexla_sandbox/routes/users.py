"""``/users``: the caller (every user of their org for an org admin), ``/users/current``, audit logs.

``GET /users`` lists only the caller unless an org admin asks; single users are visible to members
of an org they belong to. Org admins create users in their org and
update anyone in it; a user may update their own ``full_name``. The rules are in
``nexla_sandbox.backend.users``.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexla_sandbox.backend import users
from nexla_sandbox.params import flag, page_headers, paginate, requested_window
from nexla_sandbox.routes.common import Ctx, route


def list_users(ctx: Ctx) -> Response:
    """The caller alone; for an org admin, every user of the orgs they administer."""
    found = users.listed_users(ctx)
    return JSONResponse([ctx.render("users", u, expand=flag(ctx.query, "expand")) for u in paginate(found, ctx.query)],
                        headers=page_headers(str(ctx.request.url), requested_window(ctx.query), len(found)))


def current(ctx: Ctx) -> dict:
    """The caller, with org memberships and current org."""
    org = ctx.renderer.org(ctx.user["org_id"])
    return {**ctx.render("users", ctx.get("users", ctx.user["id"])), "org": org, "current_org": org,
            "is_org_admin": ctx.user["is_org_admin"]}


def get_user(ctx: Ctx) -> dict:
    """One user (``expand=1`` adds account_summary)."""
    return ctx.render("users", users.visible_user(ctx, ctx.id()), expand=flag(ctx.query, "expand"))


def create_user(ctx: Ctx) -> dict:
    """Create a user in the caller's org (org admin only)."""
    return ctx.render("users", users.create_user(ctx, ctx.body_dict()))


def update_user(ctx: Ctx) -> dict:
    """Update a user (themselves, or an org admin of a shared org)."""
    return ctx.render("users", users.update_user(ctx, ctx.id(), ctx.body_dict()))


def user_audit_log(ctx: Ctx) -> list[dict]:
    """Audit entries of actions taken by a user (the user or an org admin)."""
    return paginate(users.user_audit_log(ctx, ctx.id()), ctx.query)


def routes() -> list[Route]:
    return [route("/users", list_users, ["GET"]), route("/users", create_user, ["POST"]),
            route("/users/current", current, ["GET"]), route("/users/{id:int}", get_user, ["GET"]),
            route("/users/{id:int}", update_user, ["PUT"]),
            route("/users/{id:int}/audit_log", user_audit_log, ["GET"])]
