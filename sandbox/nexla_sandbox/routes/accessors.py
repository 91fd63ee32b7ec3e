"""``{collection}/{id}/accessors`` on every shareable resource (contract section 4.7).

GET lists; PUT merges roles into existing accessors; POST replaces them all; DELETE removes the
named accessors (only the listed roles when ``access_roles`` is non-empty) or, without a body,
every accessor that is not an owner. Bodies are ``{"accessors": [...]}`` or a bare array. No
change may leave a resource that has an owner accessor without one (400, "last owner"); orgs,
seeded users and seeded notifications start without accessors, their owners being implicit (see
``nexla_sandbox.access``). A flow's accessors are its root source's.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.errors import bad_request
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.state import accessors
from nexla_sandbox.state.accessors import AccessorError

SHAREABLE = ("data_sources", "data_sets", "data_sinks", "data_credentials", "flows", "projects", "teams",
             "transforms", "attribute_transforms", "code_containers", "orgs", "users", "notifications",
             "async_tasks")


def requested(ctx: Ctx, *, need_roles: bool) -> list[tuple[str, int, list[str]]] | None:
    body = ctx.body
    if body is None or body == {}:
        return None
    items = body.get("accessors") if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise bad_request("Body must be {\"accessors\": [...]} or an array of accessors", "accessors")
    try:
        return [accessors.resolve(ctx.store, item, need_roles=need_roles) for item in items]
    except AccessorError as error:
        raise bad_request(str(error), error.field) from None


def shown(ctx: Ctx, kind: str, record_id: int) -> list[dict]:
    return [accessors.describe(ctx.store, e) for e in accessors.rows(ctx.store, kind, record_id)]


def target(ctx: Ctx, kind: str, action: str) -> tuple[str, dict]:
    record = ctx.access.require(ctx.user, kind, ctx.id(), action)
    return ("data_sources" if kind == "flows" else kind), record


def make(kind: str):
    def get(ctx: Ctx) -> list[dict]:
        """Accessors of the resource (collaborator role)."""
        store_kind, record = target(ctx, kind, "read")
        return shown(ctx, store_kind, record["id"])

    def edit(mode: str):
        def handler(ctx: Ctx) -> list[dict]:
            """Change accessors (admin role): PUT merges, POST replaces, DELETE removes."""
            store_kind, record = target(ctx, kind, "share")
            wanted = requested(ctx, need_roles=mode != "remove")
            current = {(e["type"], e["id"]): list(e["access_roles"])
                       for e in accessors.rows(ctx.store, store_kind, record["id"])}
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
            with ctx.store.db.transaction():
                accessors.write(ctx.store, store_kind, record["id"], [(t, i, r) for (t, i), r in current.items()])
                ctx.audit(store_kind, record["id"], "update", {"accessors": _plain(before)},
                          {"accessors": _plain(current)}, ["accessors"])
            return shown(ctx, store_kind, record["id"])

        handler.__name__ = f"{mode}_{kind}_accessors"
        return handler

    get.__name__ = f"get_{kind}_accessors"
    path = f"/{kind}/{{id:int}}/accessors"
    return [route(path, get, ["GET"]), route(path, edit("add"), ["PUT"]),
            route(path, edit("replace"), ["POST"]), route(path, edit("remove"), ["DELETE"])]


def _owned(entries: dict) -> bool:
    return any("owner" in roles for roles in entries.values())


def _plain(entries: dict) -> list[dict]:
    return [{"type": t, "id": i, "access_roles": roles} for (t, i), roles in sorted(entries.items())]


def routes() -> list[Route]:
    return [r for kind in SHAREABLE for r in make(kind)]
