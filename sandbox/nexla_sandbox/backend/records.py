"""Plain CRUD rules shared by every resource family (one :class:`Family` per collection).

Each family supplies only what differs: how a create/update body becomes stored fields, list
filters, a delete guard and a copy builder. Reading, owner accessors, audit entries, access checks,
the list scope and copies' owners are decided here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.errors import ApiError, bad_request, singular
from nexla_sandbox.params import require_str
from nexla_sandbox.state import accessors, audit
from nexla_sandbox.state.store import Clause


@dataclass(frozen=True)
class Family:
    """How one collection differs from plain CRUD."""

    kind: str
    create: Callable[[Caller, dict], dict]
    update: Callable[[Caller, dict, dict], dict]
    filters: tuple[str, ...] = ()
    before_delete: Callable[[Caller, dict], None] | None = None
    after_create: Callable[[Caller, dict, dict], None] | None = None
    copy: Callable[[Caller, dict, dict], dict] | None = None
    copy_defaults: dict = field(default_factory=dict)


def list_scope(caller: Caller, kind: str, access_role: str | None) -> Clause:
    """What a list shows the caller: what they own, or with ``access_role=X`` what they hold X or more on."""
    allowed = accessors.LIST_ROLES if kind == "teams" else tuple(accessors.ROLE_RANK)
    if access_role is not None and access_role not in allowed:
        raise bad_request(f"'access_role' must be one of {', '.join(allowed)}", "access_role")
    return accessors.list_scope(caller.store, caller.user["id"], kind, access_role)


def page(caller: Caller, kind: str, window: tuple[int, int] | None, *, where: dict | None = None,
         text: dict | None = None, scope: Clause | None = None) -> tuple[list[dict], int]:
    """One page of records (every row when ``window`` is None), filtered and paged in SQLite, and the total."""
    offset = (window[0] - 1) * window[1] if window else 0
    records = caller.store.list(kind, where, text=text, scope=scope, limit=window[1] if window else None,
                                offset=offset)
    total = caller.store.count(kind, where, text=text, scope=scope) if window else len(records)
    return records, total


def reference(caller: Caller, kind: str, id_value: Any, field_name: str) -> dict:
    """A record the new resource points at: 400 when missing, 403 without collaborator rights."""
    if isinstance(id_value, bool) or not isinstance(id_value, int):
        raise bad_request(f"'{field_name}' must be an integer", field_name)
    record = caller.store.get(kind, id_value)
    if record is None:
        raise bad_request(f"'{field_name}': {singular(kind)} {id_value} does not exist", field_name)
    caller.access.check(caller.user, kind, record, "reference")
    return record


def unique_copy_name(caller: Caller, kind: str, name: str, owner_id: int) -> str:
    taken = {r.get("name") for r in caller.store.list(kind, {"owner_id": owner_id})}
    candidate, n = f"{name} (copy)", 2
    while candidate in taken:
        candidate, n = f"{name} (copy {n})", n + 1
    return candidate


def insert(caller: Caller, kind: str, fields: dict, *, owner_id: int | None = None,
           org_id: int | None = None) -> dict:
    """Create a record with its owner accessor and a ``create`` audit entry (one transaction)."""
    owner = owner_id or caller.user["id"]
    with caller.store.db.transaction():
        record = caller.store.create(kind, fields, owner_id=owner, org_id=org_id or caller.user["org_id"])
        accessors.grant_owner(caller.store, kind, record["id"], owner)
        caller.audit(kind, record["id"], "create", None, record)
    return record


def change(caller: Caller, kind: str, record: dict, fields: dict, event: str = "update") -> dict:
    with caller.store.db.transaction():
        updated = caller.store.update(kind, record["id"], fields)
        caller.audit(kind, record["id"], event, record, updated)
    return updated


def remove(caller: Caller, kind: str, record: dict) -> None:
    with caller.store.db.transaction():
        caller.store.delete(kind, record["id"])
        caller.audit(kind, record["id"], "delete", record, None)


def create(caller: Caller, family: Family, body: dict) -> dict:
    """Create a resource owned by the caller (active org membership needed); returns the stored record."""
    caller.access.require_member(caller.user)
    # The body is checked inside the write transaction, so a uniqueness rule holds under concurrent creates.
    with caller.store.db.transaction():
        record = insert(caller, family.kind, family.create(caller, body))
        if family.after_create:
            family.after_create(caller, record, body)
    return caller.get(family.kind, record["id"])


def read(caller: Caller, kind: str, id: int) -> dict:
    """A resource the caller may read (404 missing, 403 without a role)."""
    return caller.access.require(caller.user, kind, id, "read")


def update(caller: Caller, family: Family, id: int, body: dict) -> dict:
    """Change a resource (admin role or higher)."""
    record = caller.access.require(caller.user, family.kind, id, "update")
    return change(caller, family.kind, record, family.update(caller, record, body))


def delete(caller: Caller, family: Family, id: int) -> dict:
    """Delete a resource (owner only) after the family's guard; returns the deleted record."""
    record = caller.access.require(caller.user, family.kind, id, "delete")
    with caller.store.db.transaction():
        if family.before_delete:
            family.before_delete(caller, record)
        remove(caller, family.kind, record)
    return record


def audit_log(caller: Caller, kind: str, id: int) -> list[dict]:
    """Audit-log entries of a resource the caller may read, newest first."""
    record = caller.access.require(caller.user, kind, id, "read")
    return audit.entries(caller.store, kind, record["id"])


def copy(caller: Caller, family: Family, id: int, body: dict) -> dict:
    """Copy a resource (admin role or higher on the original); ``body`` overrides the family's copy defaults."""
    record = caller.access.require(caller.user, family.kind, id, "copy")
    assert family.copy is not None
    with caller.store.db.transaction():
        return family.copy(caller, record, {**family.copy_defaults, **body})


def copy_accessors(caller: Caller, kind: str, source: dict, target: dict) -> None:
    """Give ``target`` the accessors of ``source`` (copy_access_controls)."""
    entries = [(e["type"], e["id"], e["access_roles"]) for e in accessors.rows(caller.store, kind, source["id"])]
    own = [(e["type"], e["id"], e["access_roles"]) for e in accessors.rows(caller.store, kind, target["id"])]
    accessors.write(caller.store, kind, target["id"], own + [e for e in entries if e[:2] not in {o[:2] for o in own}])


def copy_owner(caller: Caller, options: dict) -> tuple[int, int]:
    """(owner_id, org_id) for a copy: the caller unless options name another (org admins only)."""
    owner_id = options.get("owner_id") or caller.user["id"]
    org_id = options.get("org_id") or caller.user["org_id"]
    for name, value in (("owner_id", owner_id), ("org_id", org_id)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"'{name}' must be an integer", name)
    if owner_id != caller.user["id"] or org_id != caller.user["org_id"]:
        membership = accessors.org_membership(caller.store, caller.user["id"], org_id)
        if not (membership and membership.get("is_admin")):
            raise ApiError(403, "Forbidden: only an org admin can copy to another owner or org")
        if caller.store.get("users", owner_id) is None:
            raise bad_request(f"'owner_id': user {owner_id} does not exist", "owner_id")
    return owner_id, org_id


def renamed(body: dict) -> dict[str, Any]:
    """The ``name`` (a non-empty string) and ``description`` (empty when null) an update body changes."""
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "description" in body:
        fields["description"] = body["description"] or ""
    return fields


def refuse_active(kind: str, record: dict) -> None:
    """405 while a flow resource is ACTIVE: it must be paused before it is deleted."""
    if record.get("status") == "ACTIVE":
        raise ApiError(405, f"{kind} {record['id']} is ACTIVE; pause it before deleting",
                       resource_type=kind, resource_id=record["id"])
