"""Generic CRUD driven by a small table of resource families (one :class:`Family` per collection).

Each family supplies only what differs: how a create/update body becomes stored fields, list
filters, a delete guard and a copy builder. Listing, reading, duplicate-name 409s, owner
accessors, audit entries and access checks are shared here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import ApiError, bad_request, singular
from nexla_sandbox.params import flag, paginate
from nexla_sandbox.routes.common import Ctx, route, status_ok
from nexla_sandbox.state import accessors, audit


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


def visible(ctx: Ctx, kind: str, records: list[dict]) -> list[dict]:
    """The records the caller can read, narrowed by ``access_role`` when given."""
    wanted = ctx.query.get("access_role")
    if wanted is not None and wanted not in accessors.ROLE_RANK:
        raise bad_request("'access_role' must be one of owner, admin, operator, collaborator", "access_role")
    shown = []
    for record in records:
        roles = accessors.effective_roles(ctx.store, ctx.user["id"], kind, record)
        # Real Nexla: access_role=X means X or higher.
        if roles and (wanted is None or accessors.ROLE_RANK[roles[0]] >= accessors.ROLE_RANK[wanted]):
            shown.append(record)
    return shown


def reference(ctx: Ctx, kind: str, id_value: Any, field_name: str) -> dict:
    """A record the new resource points at: 400 when missing, 403 without collaborator rights."""
    if isinstance(id_value, bool) or not isinstance(id_value, int):
        raise bad_request(f"'{field_name}' must be an integer", field_name)
    record = ctx.store.get(kind, id_value)
    if record is None:
        raise bad_request(f"'{field_name}': {singular(kind)} {id_value} does not exist", field_name)
    ctx.access.check(ctx.user, kind, record, "reference")
    return record


def refuse_duplicate(ctx: Ctx, kind: str, name: str | None, owner_id: int, exclude: int | None = None) -> None:
    if not name:
        return
    for other in ctx.store.list(kind, {"name": name, "owner_id": owner_id}):
        if other["id"] != exclude:
            raise ApiError(409, f"A {singular(kind)} named '{name}' already exists (id {other['id']})",
                           resource_type=kind, resource_id=other["id"])


def unique_copy_name(ctx: Ctx, kind: str, name: str, owner_id: int) -> str:
    taken = {r.get("name") for r in ctx.store.list(kind, {"owner_id": owner_id})}
    candidate, n = f"{name} (copy)", 2
    while candidate in taken:
        candidate, n = f"{name} (copy {n})", n + 1
    return candidate


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

    def list_all(ctx: Ctx) -> list[dict]:
        """List the resources the caller can read (bare array, paginated)."""
        records = ctx.store.list(kind)
        for name in family.filters:
            if name in ctx.query:
                records = [r for r in records if str(r.get(name)) == ctx.query[name]]
        expand = flag(ctx.query, "expand")
        return [ctx.render(kind, r, expand=expand) for r in paginate(visible(ctx, kind, records), ctx.query)]

    def list_public(ctx: Ctx) -> list[dict]:
        """List public resources of this kind."""
        records = [r for r in ctx.store.list(kind) if r.get("public")]
        return [ctx.render(kind, r) for r in paginate(records, ctx.query)]

    def create(ctx: Ctx) -> dict:
        """Create a resource owned by the caller."""
        ctx.access.require_member(ctx.user)
        fields = family.create(ctx, ctx.body_dict())
        refuse_duplicate(ctx, kind, fields.get("name"), ctx.user["id"])
        with ctx.store.db.transaction():
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
        if "name" in fields and fields["name"] != record.get("name"):
            refuse_duplicate(ctx, kind, fields["name"], record["owner_id"], exclude=record["id"])
        return ctx.render(kind, change(ctx, kind, record, fields))

    def delete(ctx: Ctx) -> dict:
        """Delete a resource (owner only)."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "delete")
        with ctx.store.db.transaction():
            if family.before_delete:
                family.before_delete(ctx, record)
            remove(ctx, kind, record)
        return status_ok(f"{singular(kind)} {record['id']} deleted")

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
