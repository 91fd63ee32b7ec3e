"""``/users``: the caller (every user of their org for an org admin), ``/users/current``, audit logs.

``GET /users`` lists only the caller unless an org admin asks; single users are visible to members
of an org they belong to. Org admins create users in their org and
update anyone in it; a user may update their own ``full_name``.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexla_sandbox.backend.records import change, insert
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import flag, page_headers, paginate, requested_window, require_str
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.state import accessors, audit

STATUSES = {"ACTIVE", "DEACTIVATED"}


def shared_orgs(ctx: Ctx, user: dict) -> set[int]:
    mine = {m["id"] for m in ctx.renderer.memberships(ctx.user["id"])}
    theirs = {m["id"] for m in ctx.renderer.memberships(user["id"])}
    return mine & theirs


def visible_user(ctx: Ctx, user_id: int) -> dict:
    user = ctx.store.get("users", user_id)
    if user is None or (user["id"] != ctx.user["id"] and not shared_orgs(ctx, user)):
        raise not_found("users", user_id)
    return user


def can_manage(ctx: Ctx, user: dict) -> bool:
    return user["id"] == ctx.user["id"] or any(
        (accessors.org_membership(ctx.store, ctx.user["id"], org_id) or {}).get("is_admin")
        for org_id in shared_orgs(ctx, user))


def list_users(ctx: Ctx) -> Response:
    """The caller alone; for an org admin, every user of the orgs they administer."""
    admin_of = {m["id"] for m in ctx.renderer.memberships(ctx.user["id"]) if m["is_admin"]}
    users = [u for u in ctx.store.list("users")
             if u["id"] == ctx.user["id"] or (admin_of and admin_of & shared_orgs(ctx, u))]
    expand = flag(ctx.query, "expand")
    window = requested_window(ctx.query)
    return JSONResponse([ctx.render("users", u, expand=expand) for u in paginate(users, ctx.query)],
                        headers=page_headers(str(ctx.request.url), window, len(users)))


def current(ctx: Ctx) -> dict:
    """The caller, with org memberships and current org."""
    shaped = ctx.render("users", ctx.get("users", ctx.user["id"]))
    shaped["org"] = ctx.renderer.org(ctx.user["org_id"])
    shaped["current_org"] = shaped["org"]
    shaped["is_org_admin"] = ctx.user["is_org_admin"]
    return shaped


def get_user(ctx: Ctx) -> dict:
    """One user (``expand=1`` adds account_summary)."""
    return ctx.render("users", visible_user(ctx, ctx.id()), expand=flag(ctx.query, "expand"))


def create_user(ctx: Ctx) -> dict:
    """Create a user in the caller's org (org admin only)."""
    if not ctx.user["is_org_admin"]:
        raise ApiError(403, "Forbidden: only an org admin can create users")
    body = ctx.body_dict()
    full_name, email = require_str(body, "full_name"), str(require_str(body, "email"))
    with ctx.store.db.transaction():
        existing = next((u for u in ctx.store.list("users") if u["email"].lower() == email.lower()), None)
        if existing:
            raise ApiError(409, f"A user with email {email} already exists (id {existing['id']})",
                           resource_type="users", resource_id=existing["id"])
        user = insert(ctx, "users", {"email": email, "full_name": full_name, "status": "ACTIVE",
                                     "default_org_id": ctx.user["org_id"], "user_tier": "PAID"})
        org = ctx.get("orgs", ctx.user["org_id"])
        member = {"id": user["id"], "is_admin": bool(body.get("admin") is True), "status": "ACTIVE"}
        change(ctx, "orgs", org, {"members": [*org["members"], member]})
    return ctx.render("users", user)


def update_user(ctx: Ctx) -> dict:
    """Update a user (themselves, or an org admin of a shared org)."""
    user = visible_user(ctx, ctx.id())
    if not can_manage(ctx, user):
        raise ApiError(403, "Forbidden: only the user or an org admin can change a user",
                       resource_type="users", resource_id=user["id"])
    body = ctx.body_dict()
    fields = {}
    if "full_name" in body:
        fields["full_name"] = require_str(body, "full_name")
    if "status" in body:
        if body["status"] not in STATUSES:
            raise bad_request("'status' must be ACTIVE or DEACTIVATED", "status")
        fields["status"] = body["status"]
    return ctx.render("users", change(ctx, "users", user, fields))


def user_audit_log(ctx: Ctx) -> list[dict]:
    """Audit entries of actions taken by a user (the user or an org admin)."""
    user = visible_user(ctx, ctx.id())
    if not can_manage(ctx, user):
        raise ApiError(403, "Forbidden: only the user or an org admin can read a user's audit log")
    return paginate(audit.entries(ctx.store, user_id=user["id"]), ctx.query)


def routes() -> list[Route]:
    return [route("/users", list_users, ["GET"]), route("/users", create_user, ["POST"]),
            route("/users/current", current, ["GET"]), route("/users/{id:int}", get_user, ["GET"]),
            route("/users/{id:int}", update_user, ["PUT"]),
            route("/users/{id:int}/audit_log", user_audit_log, ["GET"])]
