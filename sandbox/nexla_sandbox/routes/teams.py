"""``/teams`` and ``/teams/{id}/members`` (GET, PUT add, POST replace, DELETE some or, without a body, all)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_list, require_str
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.resources import Family, change, crud_routes


def resolve_members(ctx: Ctx, entries: list, field: str = "members") -> list[dict]:
    """[{id, admin}] for request entries identified by ``id`` or ``email``."""
    resolved = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise bad_request(f"each of '{field}' must be an object with 'id' or 'email'", field)
        user = None
        if isinstance(entry.get("id"), int) and not isinstance(entry.get("id"), bool):
            user = ctx.store.get("users", entry["id"])
        elif isinstance(entry.get("email"), str):
            user = next((u for u in ctx.store.list("users") if u["email"].lower() == entry["email"].lower()), None)
        if user is None:
            raise bad_request(f"'{field}': no user matches {entry}", field)
        resolved.append({"id": user["id"], "admin": bool(entry.get("admin", entry.get("is_admin", False)))})
    return resolved


def create(ctx: Ctx, body: dict) -> dict:
    return {"name": require_str(body, "name"), "description": body.get("description") or "",
            "members": resolve_members(ctx, optional_list(body, "members") or [])}


def update(ctx: Ctx, record: dict, body: dict) -> dict:
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "description" in body:
        fields["description"] = body["description"] or ""
    if body.get("members") is not None:
        fields["members"] = resolve_members(ctx, optional_list(body, "members") or [])
    return fields


def members_body(ctx: Ctx) -> list[dict] | None:
    if ctx.body is None or ctx.body == {}:
        return None
    return resolve_members(ctx, optional_list(ctx.body_dict(), "members") or [])


def shaped(ctx: Ctx, team: dict) -> list[dict]:
    return ctx.render("teams", team)["members"]


def list_members(ctx: Ctx) -> list[dict]:
    """Members of a team."""
    return shaped(ctx, ctx.access.require(ctx.user, "teams", ctx.id(), "read"))


def edit_members(mode: str):
    def edit(ctx: Ctx) -> list[dict]:
        """Add (PUT), replace (POST) or remove (DELETE; no body = all) team members (admin role)."""
        team = ctx.access.require(ctx.user, "teams", ctx.id(), "share")
        wanted = members_body(ctx)
        current = {m["id"]: m for m in team.get("members", [])}
        if mode == "add":
            current.update({m["id"]: m for m in wanted or []})
        elif mode == "replace":
            current = {m["id"]: m for m in wanted or []}
        else:
            current = {} if wanted is None else {k: v for k, v in current.items() if k not in {m["id"] for m in wanted}}
        return shaped(ctx, change(ctx, "teams", team, {"members": list(current.values())}))

    edit.__name__ = f"{mode}_team_members"
    return edit


def extra(family: Family) -> list[Route]:
    path = "/teams/{id:int}/members"
    return [route(path, list_members, ["GET"]), route(path, edit_members("add"), ["PUT"]),
            route(path, edit_members("replace"), ["POST"]), route(path, edit_members("remove"), ["DELETE"])]


def routes() -> list[Route]:
    return crud_routes(Family("teams", create, update, extra_routes=extra))
