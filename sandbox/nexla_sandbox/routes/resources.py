"""Generic CRUD driven by a small table of resource families (one :class:`Family` per collection).

Each family supplies only what differs: how a create/update body becomes stored fields, list
filters, a delete guard and a copy builder. Listing (in SQL), reading, owner
accessors, audit entries and access checks are shared here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import ApiError, bad_request, singular
from starlette.responses import JSONResponse, Response

from nexla_sandbox.params import flag, page_headers, paginate, requested_window
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.state import accessors, audit
from nexla_sandbox.state.store import Clause


@dataclass(frozen=True)
class Family:
    """How one collection differs from plain CRUD."""

    kind: str
    create: Callable[[Ctx, dict], dict]
    update: Callable[[Ctx, dict, dict], dict]
    filters: tuple[str, ...] = ()
    before_delete: Callable[[Ctx, dict], None] | None = None
    after_create: Callable[[Ctx, dict], None] | None = None
    copy: Callable[[Ctx, dict, dict], dict] | None = None
    extra_routes: Callable[[Family], list[Route]] | None = None
    public_list: bool = False
    copy_defaults: dict = field(default_factory=dict)


def list_scope(ctx: Ctx, kind: str) -> Clause:
    """What a list shows the caller: what they own, or with ``access_role=X`` what they hold X or more on."""
    wanted = ctx.query.get("access_role")
    allowed = accessors.LIST_ROLES if kind == "teams" else tuple(accessors.ROLE_RANK)
    if wanted is not None and wanted not in allowed:
        raise bad_request(f"'access_role' must be one of {', '.join(allowed)}", "access_role")
    return accessors.list_scope(ctx.store, ctx.user["id"], kind, wanted)


def listing(ctx: Ctx, kind: str, *, where: dict | None = None, text: dict | None = None,
            scope: Clause | None = None) -> tuple[list[dict], dict[str, str]]:
    """One page of records (every row without paging parameters), filtered and paged in SQLite, and its headers."""
    window = requested_window(ctx.query)
    offset = (window[0] - 1) * window[1] if window else 0
    records = ctx.store.list(kind, where, text=text, scope=scope, limit=window[1] if window else None,
                             offset=offset)
    total = ctx.store.count(kind, where, text=text, scope=scope) if window else len(records)
    return records, page_headers(str(ctx.request.url), window, total)


def reference(ctx: Ctx, kind: str, id_value: Any, field_name: str) -> dict:
    """A record the new resource points at: 400 when missing, 403 without collaborator rights."""
    if isinstance(id_value, bool) or not isinstance(id_value, int):
        raise bad_request(f"'{field_name}' must be an integer", field_name)
    record = ctx.store.get(kind, id_value)
    if record is None:
        raise bad_request(f"'{field_name}': {singular(kind)} {id_value} does not exist", field_name)
    ctx.access.check(ctx.user, kind, record, "reference")
    return record


def unique_copy_name(ctx: Ctx, kind: str, name: str, owner_id: int) -> str:
    taken = {r.get("name") for r in ctx.store.list(kind, {"owner_id": owner_id})}
    candidate, n = f"{name} (copy)", 2
    while candidate in taken:
        candidate, n = f"{name} (copy {n})", n + 1
    return candidate


# Nexla's admin API answers these deletes with 200 and no body; the others with ``{code, message}``.
EMPTY_DELETE = {"data_sets", "projects", "teams", "notifications"}


def deleted(kind: str, id: int) -> Response | dict:
    """The body of a successful delete of ``kind/id``."""
    if kind in EMPTY_DELETE:
        return Response(status_code=200)
    return {"code": "200", "message": f"{singular(kind)} {id} deleted"}


def insert(ctx: Ctx, kind: str, fields: dict, *, owner_id: int | None = None, org_id: int | None = None) -> dict:
    """Create a record with its owner accessor and a ``create`` audit entry (one transaction)."""
    owner = owner_id or ctx.user["id"]
    with ctx.store.db.transaction():
        record = ctx.store.create(kind, fields, owner_id=owner, org_id=org_id or ctx.user["org_id"])
        accessors.grant_owner(ctx.store, kind, record["id"], owner)
        ctx.audit(kind, record["id"], "create", None, record)
    return record


def change(ctx: Ctx, kind: str, record: dict, fields: dict, event: str = "update") -> dict:
    with ctx.store.db.transaction():
        updated = ctx.store.update(kind, record["id"], fields)
        ctx.audit(kind, record["id"], event, record, updated)
    return updated


def remove(ctx: Ctx, kind: str, record: dict) -> None:
    with ctx.store.db.transaction():
        ctx.store.delete(kind, record["id"])
        ctx.audit(kind, record["id"], "delete", record, None)


def crud_routes(family: Family) -> list[Route]:
    """list/create, get/update/delete, audit_log and (when the family has one) copy."""
    kind = family.kind

    def list_all(ctx: Ctx) -> Response:
        """List what the caller owns (``access_role=X``: holds X or higher on); bare array, every row unless paged."""
        text = {name: ctx.query[name] for name in family.filters if name in ctx.query}
        expand = flag(ctx.query, "expand")
        records, headers = listing(ctx, kind, text=text, scope=list_scope(ctx, kind))
        return JSONResponse([ctx.render(kind, r, expand=expand) for r in records], headers=headers)

    def list_public(ctx: Ctx) -> Response:
        """List public resources of this kind."""
        records, headers = listing(ctx, kind, where={"public": True})
        return JSONResponse([ctx.render(kind, r) for r in records], headers=headers)

    def create(ctx: Ctx) -> dict:
        """Create a resource owned by the caller."""
        ctx.access.require_member(ctx.user)
        # The body is checked inside the write transaction, so a uniqueness rule holds under concurrent creates.
        with ctx.store.db.transaction():
            fields = family.create(ctx, ctx.body_dict())
            record = insert(ctx, kind, fields)
            if family.after_create:
                family.after_create(ctx, record)
        return ctx.render(kind, ctx.get(kind, record["id"]), show_keys=True)

    def get(ctx: Ctx) -> dict:
        """Get one resource (``expand=1`` adds referenced objects)."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "read")
        return ctx.render(kind, record, expand=flag(ctx.query, "expand"))

    def update(ctx: Ctx) -> dict:
        """Update a resource (admin role or higher)."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "update")
        fields = family.update(ctx, record, ctx.body_dict())
        return ctx.render(kind, change(ctx, kind, record, fields))

    def delete(ctx: Ctx) -> Response | dict:
        """Delete a resource (owner only)."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "delete")
        with ctx.store.db.transaction():
            if family.before_delete:
                family.before_delete(ctx, record)
            remove(ctx, kind, record)
        return deleted(kind, record["id"])

    def audit_log(ctx: Ctx) -> list[dict]:
        """Audit-log entries of the resource, newest first."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "read")
        return paginate(audit.entries(ctx.store, kind, record["id"]), ctx.query)

    def copy(ctx: Ctx) -> dict:
        """Copy a resource (admin role or higher on the original)."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "copy")
        assert family.copy is not None
        options = {**family.copy_defaults, **ctx.body_dict()}
        with ctx.store.db.transaction():
            new = family.copy(ctx, record, options)
        return ctx.render(kind, new)

    table = [route(f"/{kind}", list_all, ["GET"]), route(f"/{kind}", create, ["POST"])]
    if family.public_list:
        table.append(route(f"/{kind}/public", list_public, ["GET"]))
    table += [
        route(f"/{kind}/{{id:int}}", get, ["GET"]),
        route(f"/{kind}/{{id:int}}", update, ["PUT"]),
        route(f"/{kind}/{{id:int}}", delete, ["DELETE"]),
        route(f"/{kind}/{{id:int}}/audit_log", audit_log, ["GET"]),
    ]
    if family.copy:
        table.append(route(f"/{kind}/{{id:int}}/copy", copy, ["POST"]))
    if family.extra_routes:
        table += family.extra_routes(family)
    return table


def copy_accessors(ctx: Ctx, kind: str, source: dict, target: dict) -> None:
    """Give ``target`` the accessors of ``source`` (copy_access_controls)."""
    entries = [(e["type"], e["id"], e["access_roles"]) for e in accessors.rows(ctx.store, kind, source["id"])]
    own = [(e["type"], e["id"], e["access_roles"]) for e in accessors.rows(ctx.store, kind, target["id"])]
    accessors.write(ctx.store, kind, target["id"], own + [e for e in entries if e[:2] not in {o[:2] for o in own}])


def copy_owner(ctx: Ctx, options: dict) -> tuple[int, int]:
    """(owner_id, org_id) for a copy: the caller unless options name another (org admins only)."""
    owner_id = options.get("owner_id") or ctx.user["id"]
    org_id = options.get("org_id") or ctx.user["org_id"]
    for name, value in (("owner_id", owner_id), ("org_id", org_id)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"'{name}' must be an integer", name)
    if owner_id != ctx.user["id"] or org_id != ctx.user["org_id"]:
        membership = accessors.org_membership(ctx.store, ctx.user["id"], org_id)
        if not (membership and membership.get("is_admin")):
            raise ApiError(403, "Forbidden: only an org admin can copy to another owner or org")
        if ctx.store.get("users", owner_id) is None:
            raise bad_request(f"'owner_id': user {owner_id} does not exist", "owner_id")
    return owner_id, org_id
