"""Accessor rules for every shareable resource: who may read and change them, how a change merges.

PUT merges roles into existing accessors; POST replaces them all; DELETE removes the named
accessors (only the listed roles when ``access_roles`` is non-empty) or, without entries, every
accessor that is not an owner. No change may leave a resource that has an owner accessor without
one (400, "last owner"); orgs, seeded users and seeded notifications start without accessors, their
owners being implicit (see ``nexla_sandbox.access``). A flow's accessors are its root source's.
"""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.errors import bad_request
from nexla_sandbox.state import accessors
from nexla_sandbox.state.accessors import AccessorError

SHAREABLE = ("data_sources", "data_sets", "data_sinks", "data_credentials", "flows", "projects", "teams",
             "transforms", "attribute_transforms", "code_containers", "orgs", "users", "notifications",
             "async_tasks")
MODES = ("add", "replace", "remove")

Entry = tuple[str, int, list[str]]


def resolve(caller: Caller, items: object, *, need_roles: bool) -> list[Entry]:
    """Accessor entries named by type and id or name/email; 400 naming the field otherwise."""
    if not isinstance(items, list):
        raise bad_request("Body must be {\"accessors\": [...]} or an array of accessors", "accessors")
    try:
        return [accessors.resolve(caller.store, item, need_roles=need_roles) for item in items]
    except AccessorError as error:
        raise bad_request(str(error), error.field) from None


def _target(caller: Caller, kind: str, id: int, action: str) -> tuple[str, dict]:
    record = caller.access.require(caller.user, kind, id, action)
    return ("data_sources" if kind == "flows" else kind), record


def _shown(caller: Caller, kind: str, record_id: int) -> list[dict]:
    return [accessors.describe(caller.store, e) for e in accessors.rows(caller.store, kind, record_id)]


def list_accessors(caller: Caller, kind: str, id: int) -> list[dict]:
    """Accessors of the resource (collaborator role)."""
    store_kind, record = _target(caller, kind, id, "read")
    return _shown(caller, store_kind, record["id"])


def edit(caller: Caller, kind: str, id: int, mode: str, items: object | None) -> list[dict]:
    """Change accessors (admin role) in ``mode`` add, replace or remove; ``items`` None means no entries sent."""
    store_kind, record = _target(caller, kind, id, "share")
    wanted = None if items is None else resolve(caller, items, need_roles=mode != "remove")
    current = {(e["type"], e["id"]): list(e["access_roles"])
               for e in accessors.rows(caller.store, store_kind, record["id"])}
    before = dict(current)
    if mode == "replace":
        current = {(t, i): roles for t, i, roles in wanted or []}
    elif mode == "add":
        if wanted is None:
            raise bad_request("'accessors' is required", "accessors")
        for t, i, roles in wanted:
            current[(t, i)] = list(dict.fromkeys(current.get((t, i), []) + roles))
    elif wanted is None:
        current = {key: roles for key, roles in current.items() if "owner" in roles}
    else:
        for t, i, roles in wanted:
            if (t, i) in current:
                current[(t, i)] = [r for r in current[(t, i)] if roles and r not in roles]
        current = {key: roles for key, roles in current.items() if roles}
    if _owned(before) and not _owned(current):
        raise bad_request("Refused: this change would remove the last owner of the resource", "accessors")
    with caller.store.db.transaction():
        accessors.write(caller.store, store_kind, record["id"], [(t, i, r) for (t, i), r in current.items()])
        caller.audit(store_kind, record["id"], "update", {"accessors": _plain(before)},
                     {"accessors": _plain(current)}, ["accessors"])
    return _shown(caller, store_kind, record["id"])


def _owned(entries: dict) -> bool:
    return any("owner" in roles for roles in entries.values())


def _plain(entries: dict) -> list[dict]:
    return [{"type": t, "id": i, "access_roles": roles} for (t, i), roles in sorted(entries.items())]
