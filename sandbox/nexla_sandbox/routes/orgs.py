"""``/orgs``: the caller's orgs, their members, account summaries and org audit logs.

Members can read; only org admins update the org or its members. An org keeps at least one
active admin (400 otherwise).
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend.orgs import member_org
from nexla_sandbox.backend.records import change
from nexla_sandbox.backend.teams import resolve_members
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_list, paginate, require_str
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.state import accessors, audit


def list_orgs(ctx: Ctx) -> list[dict]:
    """Orgs the caller belongs to."""
    orgs = [o for o in ctx.store.list("orgs") if accessors.org_membership(ctx.store, ctx.user["id"], o["id"])]
    return [ctx.render("orgs", o) for o in paginate(orgs, ctx.query)]


def get_org(ctx: Ctx) -> dict:
    """One org the caller belongs to."""
    return ctx.render("orgs", member_org(ctx, ctx.id()))


def update_org(ctx: Ctx) -> dict:
    """Rename or describe the org (org admin)."""
    org = member_org(ctx, ctx.id(), admin=True)
    body = ctx.body_dict()
    fields = {}
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "description" in body:
        fields["description"] = body["description"]
    return ctx.render("orgs", change(ctx, "orgs", org, fields))


def members(ctx: Ctx, org: dict) -> list[dict]:
    return [m for m in (ctx.renderer.org_member(x) for x in org.get("members", [])) if m]


def list_members(ctx: Ctx) -> list[dict]:
    """Members of the org."""
    return paginate(members(ctx, member_org(ctx, ctx.id())), ctx.query)


def edit_members(mode: str):
    def edit(ctx: Ctx) -> list[dict]:
        """Add (PUT), replace (POST) or remove (DELETE) org members (org admin)."""
        org = member_org(ctx, ctx.id(), admin=True)
        body = ctx.body_dict()
        wanted = [{"id": m["id"], "is_admin": m["admin"], "status": "ACTIVE"}
                  for m in resolve_members(ctx, optional_list(body, "members") or [])]
        if not wanted and mode != "replace":
            raise bad_request("'members' is required", "members")
        current = {m["id"]: m for m in org.get("members", [])}
        if mode == "add":
            current.update({m["id"]: m for m in wanted})
        elif mode == "replace":
            current = {m["id"]: m for m in wanted}
        else:
            current = {k: v for k, v in current.items() if k not in {m["id"] for m in wanted}}
        if not any(m.get("is_admin") and m.get("status") == "ACTIVE" for m in current.values()):
            raise bad_request("Refused: the org would be left without an active admin", "members")
        return members(ctx, change(ctx, "orgs", org, {"members": list(current.values())}))

    edit.__name__ = f"{mode}_org_members"
    return edit


def account_summary(ctx: Ctx) -> dict:
    """Resource counts of an org (the caller's current org without an id)."""
    org_id = int(ctx.params.get("id", ctx.user["org_id"]))
    member_org(ctx, org_id)
    return ctx.renderer.org_account_summary(org_id)


def org_audit_log(ctx: Ctx) -> list[dict]:
    """Audit entries of the org, newest first (org admin)."""
    org = member_org(ctx, ctx.id(), admin=True)
    return paginate(audit.entries(ctx.store, org_id=org["id"]), ctx.query)


def org_resource_audit_log(ctx: Ctx) -> list[dict]:
    """Audit entries of one resource type in the org, newest first (org admin).

    The type is a collection (``data_sources``) or, as one SDK docstring spells it, its singular.
    """
    org = member_org(ctx, ctx.id(), admin=True)
    name = ctx.params["resource_type"]
    kind = name if name in audit.ITEM_TYPES else f"{name}s"
    if kind not in audit.ITEM_TYPES:
        raise bad_request(f"Unknown resource type '{name}'; use one of {', '.join(sorted(audit.ITEM_TYPES))}",
                          "resource_type")
    return paginate(audit.entries(ctx.store, kind=kind, org_id=org["id"]), ctx.query)


def routes() -> list[Route]:
    path = "/orgs/{id:int}/members"
    return [route("/orgs", list_orgs, ["GET"]), route("/orgs/account_summary", account_summary, ["GET"]),
            route("/orgs/{id:int}", get_org, ["GET"]), route("/orgs/{id:int}", update_org, ["PUT"]),
            route(path, list_members, ["GET"]), route(path, edit_members("add"), ["PUT"]),
            route(path, edit_members("replace"), ["POST"]), route(path, edit_members("remove"), ["DELETE"]),
            route("/orgs/{id:int}/account_summary", account_summary, ["GET"]),
            route("/orgs/{id:int}/audit_log", org_audit_log, ["GET"]),
            route("/orgs/{id:int}/{resource_type}/audit_log", org_resource_audit_log, ["GET"])]
