"""Org administration beyond membership lists: custodians, and activating or deactivating members.

* ``/orgs/{id}/custodians``: GET lists them; PUT replaces, POST adds and DELETE removes the users
  named in ``{"custodians": [{"id"} | {"email"}]}``. Custodians must be members of the org.
  Each answers the resulting list of ``{id, email, full_name}``.
* ``PUT /orgs/{id}/members/activate|deactivate`` ``{"members": [{"id"} | {"email"}]}`` sets those
  members' org membership status and answers the org's members. An org keeps at least one active admin.

The rules are in ``nexla_sandbox.backend.orgs``.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import orgs
from nexla_sandbox.backend.orgs import member_org
from nexla_sandbox.routes.common import Ctx, Handler, route
from nexla_sandbox.routes.orgs import members


def list_custodians(ctx: Ctx) -> list[dict]:
    """Custodians of the org (members)."""
    return orgs.custodians(ctx, member_org(ctx, ctx.id()))


def edit_custodians(mode: str) -> Handler:
    def edit(ctx: Ctx) -> list[dict]:
        """Replace (PUT), add (POST) or remove (DELETE) org custodians (org admin)."""
        return orgs.edit_custodians(ctx, ctx.id(), mode, ctx.body_dict())

    edit.__name__ = f"{mode}_org_custodians"
    return edit


def set_member_status(status: str) -> Handler:
    def handler(ctx: Ctx) -> list[dict]:
        """Activate or deactivate org members (org admin); answers the org's members."""
        return members(ctx, orgs.set_member_status(ctx, ctx.id(), status, ctx.body_dict()))

    handler.__name__ = "activate_org_members" if status == "ACTIVE" else "deactivate_org_members"
    return handler


def routes() -> list[Route]:
    path = "/orgs/{id:int}/custodians"
    return [route(path, list_custodians, ["GET"]), route(path, edit_custodians("replace"), ["PUT"]),
            route(path, edit_custodians("add"), ["POST"]), route(path, edit_custodians("remove"), ["DELETE"]),
            route("/orgs/{id:int}/members/activate", set_member_status("ACTIVE"), ["PUT"]),
            route("/orgs/{id:int}/members/deactivate", set_member_status("DEACTIVATED"), ["PUT"])]
