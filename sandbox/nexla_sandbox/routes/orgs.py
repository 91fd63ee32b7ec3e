"""``/orgs``: the caller's orgs, their members, account summaries and org audit logs.

Members can read; only org admins update the org or its members. An org keeps at least one
active admin (400 otherwise). The rules are in ``nexla_sandbox.backend.orgs``.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import orgs
from nexla_sandbox.backend.orgs import member_org
from nexla_sandbox.params import paginate
from nexla_sandbox.routes.common import Ctx, Handler, route


def list_orgs(ctx: Ctx) -> list[dict]:
    """Orgs the caller belongs to."""
    return [ctx.render("orgs", o) for o in paginate(orgs.my_orgs(ctx), ctx.query)]


def get_org(ctx: Ctx) -> dict:
    """One org the caller belongs to."""
    return ctx.render("orgs", member_org(ctx, ctx.id()))


def update_org(ctx: Ctx) -> dict:
    """Rename or describe the org (org admin)."""
    return ctx.render("orgs", orgs.update_org(ctx, ctx.id(), ctx.body_dict()))


def members(ctx: Ctx, org: dict) -> list[dict]:
    return [m for m in (ctx.renderer.org_member(x) for x in org.get("members", [])) if m]


def list_members(ctx: Ctx) -> list[dict]:
    """Members of the org."""
    return paginate(members(ctx, member_org(ctx, ctx.id())), ctx.query)


def edit_members(mode: str) -> Handler:
    def edit(ctx: Ctx) -> list[dict]:
        """Add (PUT), replace (POST) or remove (DELETE) org members (org admin)."""
        return members(ctx, orgs.edit_members(ctx, ctx.id(), mode, ctx.body_dict()))

    edit.__name__ = f"{mode}_org_members"
    return edit


def account_summary(ctx: Ctx) -> dict:
    """Resource counts of an org (the caller's current org without an id)."""
    org = member_org(ctx, int(ctx.params.get("id", ctx.user["org_id"])))
    return ctx.renderer.org_account_summary(org["id"])


def org_audit_log(ctx: Ctx) -> list[dict]:
    """Audit entries of the org, newest first (org admin)."""
    return paginate(orgs.org_audit_log(ctx, ctx.id()), ctx.query)


def org_resource_audit_log(ctx: Ctx) -> list[dict]:
    """Audit entries of one resource type in the org, newest first (org admin)."""
    return paginate(orgs.org_audit_log(ctx, ctx.id(), ctx.params["resource_type"]), ctx.query)


def routes() -> list[Route]:
    path = "/orgs/{id:int}/members"
    return [route("/orgs", list_orgs, ["GET"]), route("/orgs/account_summary", account_summary, ["GET"]),
            route("/orgs/{id:int}", get_org, ["GET"]), route("/orgs/{id:int}", update_org, ["PUT"]),
            route(path, list_members, ["GET"]), route(path, edit_members("add"), ["PUT"]),
            route(path, edit_members("replace"), ["POST"]), route(path, edit_members("remove"), ["DELETE"]),
            route("/orgs/{id:int}/account_summary", account_summary, ["GET"]),
            route("/orgs/{id:int}/audit_log", org_audit_log, ["GET"]),
            route("/orgs/{id:int}/{resource_type}/audit_log", org_resource_audit_log, ["GET"])]
