"""Generic CRUD routes for one resource family (``nexla_sandbox.backend.records.Family``).

Each handler parses the request, calls the backend and renders the answer; listing, access checks,
audit entries and copies are decided in ``nexla_sandbox.backend.records``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexla_sandbox.backend import records
from nexla_sandbox.backend.records import Family
from nexla_sandbox.errors import singular
from nexla_sandbox.params import flag, page_headers, paginate, requested_window
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.state.store import Clause

# Nexla's admin API answers these deletes with 200 and no body; the others with ``{code, message}``.
EMPTY_DELETE = {"data_sets", "projects", "teams", "notifications"}


def deleted(kind: str, id: int) -> Response | dict:
    """The body of a successful delete of ``kind/id``."""
    if kind in EMPTY_DELETE:
        return Response(status_code=200)
    return {"code": "200", "message": f"{singular(kind)} {id} deleted"}


def list_scope(ctx: Ctx, kind: str) -> Clause:
    """The list scope the query's ``access_role`` asks for."""
    return records.list_scope(ctx, kind, ctx.query.get("access_role"))


def listing(ctx: Ctx, kind: str, *, where: dict | None = None, text: dict | None = None,
            scope: Clause | None = None) -> tuple[list[dict], dict[str, str]]:
    """The page the query asks for (every row without paging parameters) and its paging headers."""
    window = requested_window(ctx.query)
    found, total = records.page(ctx, kind, window, where=where, text=text, scope=scope)
    return found, page_headers(str(ctx.request.url), window, total)


def crud_routes(family: Family, extra: Callable[[], list[Route]] | None = None, *,
                public_list: bool = False) -> list[Route]:
    """list/create, get/update/delete, audit_log, copy (when the family has one), then ``extra()``."""
    kind = family.kind

    def list_all(ctx: Ctx) -> Response:
        """List what the caller owns (``access_role=X``: holds X or higher on); bare array, every row unless paged."""
        found, headers = listing(ctx, kind, text={n: ctx.query[n] for n in family.filters if n in ctx.query},
                                 scope=list_scope(ctx, kind))
        return JSONResponse([ctx.render(kind, r, expand=flag(ctx.query, "expand")) for r in found], headers=headers)

    def list_public(ctx: Ctx) -> Response:
        """List public resources of this kind."""
        found, headers = listing(ctx, kind, where={"public": True})
        return JSONResponse([ctx.render(kind, r) for r in found], headers=headers)

    def create(ctx: Ctx) -> dict:
        """Create a resource owned by the caller."""
        return ctx.render(kind, records.create(ctx, family, ctx.body_dict()), show_keys=True)

    def get(ctx: Ctx) -> dict:
        """Get one resource (``expand=1`` adds referenced objects)."""
        return ctx.render(kind, records.read(ctx, kind, ctx.id()), expand=flag(ctx.query, "expand"))

    def update(ctx: Ctx) -> dict:
        """Update a resource (admin role or higher)."""
        return ctx.render(kind, records.update(ctx, family, ctx.id(), ctx.body_dict()))

    def delete(ctx: Ctx) -> Response | dict:
        """Delete a resource (owner only)."""
        return deleted(kind, records.delete(ctx, family, ctx.id())["id"])

    def audit_log(ctx: Ctx) -> list[dict]:
        """Audit-log entries of the resource, newest first."""
        return paginate(records.audit_log(ctx, kind, ctx.id()), ctx.query)

    def copy(ctx: Ctx) -> dict:
        """Copy a resource (admin role or higher on the original)."""
        return ctx.render(kind, records.copy(ctx, family, ctx.id(), ctx.body_dict()))

    table = [route(f"/{kind}", list_all, ["GET"]), route(f"/{kind}", create, ["POST"])]
    if public_list:
        table.append(route(f"/{kind}/public", list_public, ["GET"]))
    table += [
        route(f"/{kind}/{{id:int}}", get, ["GET"]),
        route(f"/{kind}/{{id:int}}", update, ["PUT"]),
        route(f"/{kind}/{{id:int}}", delete, ["DELETE"]),
        route(f"/{kind}/{{id:int}}/audit_log", audit_log, ["GET"]),
    ]
    if family.copy:
        table.append(route(f"/{kind}/{{id:int}}/copy", copy, ["POST"]))
    return table + (extra() if extra else [])
