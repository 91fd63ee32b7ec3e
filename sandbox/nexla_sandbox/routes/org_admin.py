"""Org administration beyond membership lists: custodians, and activating or deactivating members.

* ``/orgs/{id}/custodians``: GET lists them; PUT replaces, POST adds and DELETE removes the users
  named in ``{"custodians": [{"id"} | {"email"}]}``. Custodians must be members of the org.
  Each answers the resulting list of ``{id, email, full_name}``.
* ``PUT /orgs/{id}/members/activate|deactivate`` ``{"members": [{"id"} | {"email"}]}`` sets those
  members' org membership status and answers the org's members. An org keeps at least one active admin.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend.orgs import member_org
from nexla_sandbox.backend.records import change
from nexla_sandbox.backend.teams import resolve_members
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_list
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.orgs import members


def named_members(ctx: Ctx, org: dict, field: str) -> list[int]:
    """Ids of the org members named in the body's ``field``; 400 naming a non-member."""
    wanted = [m["id"] for m in resolve_members(ctx, optional_list(ctx.body_dict(), field) or [], field)]
    if not wanted:
        raise bad_request(f"'{field}' is required", field)
    in_org = {m["id"] for m in org.get("members", [])}
    strangers = [i for i in wanted if i not in in_org]
    if strangers:
        raise bad_request(f"'{field}': users {strangers} are not members of org {org['id']}", field)
    return wanted


def custodians(ctx: Ctx, org: dict) -> list[dict]:
    shown = []
    for user_id in org.get("custodian_ids", []):
        user = ctx.store.get("users", user_id)
        if user is not None:
            shown.append({"id": user["id"], "email": user["email"], "full_name": user["full_name"]})
    return shown


def list_custodians(ctx: Ctx) -> list[dict]:
    """Custodians of the org (members)."""
    return custodians(ctx, member_org(ctx, ctx.id()))


def edit_custodians(mode: str):
    def edit(ctx: Ctx) -> list[dict]:
        """Replace (PUT), add (POST) or remove (DELETE) org custodians (org admin)."""
        org = member_org(ctx, ctx.id(), admin=True)
        wanted = named_members(ctx, org, "custodians")
        current = list(org.get("custodian_ids", []))
        if mode == "replace":
            current = wanted
        elif mode == "add":
            current += [i for i in wanted if i not in current]
        else:
            current = [i for i in current if i not in wanted]
        return custodians(ctx, change(ctx, "orgs", org, {"custodian_ids": list(dict.fromkeys(current))}))

    edit.__name__ = f"{mode}_org_custodians"
    return edit


def set_member_status(status: str):
    def handler(ctx: Ctx) -> list[dict]:
        """Activate or deactivate org members (org admin); answers the org's members."""
        org = member_org(ctx, ctx.id(), admin=True)
        wanted = set(named_members(ctx, org, "members"))
        updated = [{**m, "status": status} if m["id"] in wanted else m for m in org.get("members", [])]
        if not any(m.get("is_admin") and m.get("status", "ACTIVE") == "ACTIVE" for m in updated):
            raise bad_request("Refused: the org would be left without an active admin", "members")
        return members(ctx, change(ctx, "orgs", org, {"members": updated}))

    handler.__name__ = "activate_org_members" if status == "ACTIVE" else "deactivate_org_members"
    return handler


def routes() -> list[Route]:
    path = "/orgs/{id:int}/custodians"
    return [route(path, list_custodians, ["GET"]), route(path, edit_custodians("replace"), ["PUT"]),
            route(path, edit_custodians("add"), ["POST"]), route(path, edit_custodians("remove"), ["DELETE"]),
            route("/orgs/{id:int}/members/activate", set_member_status("ACTIVE"), ["PUT"]),
            route("/orgs/{id:int}/members/deactivate", set_member_status("DEACTIVATED"), ["PUT"])]
