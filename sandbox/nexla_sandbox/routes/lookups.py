"""``/data_maps`` (lookups): CRUD, audit log, and their entries keyed by ``map_primary_key``.

* ``PUT /data_maps/{id}/entries`` ``{"entries": [{...}]}`` upserts entries by their primary-key
  value and answers the entries written.
* ``GET|DELETE /data_maps/{id}/entries/{keys}`` reads or deletes the entries whose keys are listed
  (comma-separated); GET answers the entries found (``[]`` when none), DELETE answers ``{code, message}``.
* ``data_map`` in a create body seeds the entries; ``map_entry_count`` counts them.

Entries are records of their own (``data_map_entries``: ``data_map_id``, ``key``, ``entry``), so a
lookup object stays small and shows only ``map_entry_count``, kept in step by every entry change.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_bool, optional_dict, optional_list, require_str
from nexla_sandbox.routes import accessors
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.resources import Family, change, crud_routes

ENTRIES = "data_map_entries"

FIELDS = ("description", "data_defaults", "emit_data_default", "tags", "data_format", "use_versioning", "public")


def keyed(record_key: str, entries: list, field: str) -> dict[str, dict]:
    """Entries by the string value of their primary key; 400 naming ``field`` for an entry without it."""
    found = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get(record_key) is None:
            raise bad_request(f"each of '{field}' must be an object with the primary key '{record_key}'", field)
        found[str(entry[record_key])] = entry
    return found


def checked(body: dict) -> dict:
    optional_dict(body, "data_defaults")
    for name in ("emit_data_default", "use_versioning", "public"):
        optional_bool(body, name)
    tags = optional_list(body, "tags")
    if tags is not None and not all(isinstance(t, str) for t in tags):
        raise bad_request("'tags' must be a list of strings", "tags")
    return {k: body[k] for k in FIELDS if k in body}


def create(ctx: Ctx, body: dict) -> dict:
    key = require_str(body, "map_primary_key")
    assert key is not None
    fields = {"name": require_str(body, "name"), "data_type": require_str(body, "data_type") or "string",
              "map_primary_key": key, "description": "", "data_defaults": {}, "emit_data_default": False,
              "use_versioning": False, "public": False, "data_format": None, "tags": [], **checked(body)}
    fields["description"] = fields["description"] or ""
    fields["map_entry_count"] = len(seed_entries(ctx, key))
    return fields


def seed_entries(ctx: Ctx, key: str) -> dict[str, dict]:
    """The entries a create body seeds through ``data_map``."""
    return keyed(key, optional_list(ctx.body_dict(), "data_map") or [], "data_map")


def after_create(ctx: Ctx, record: dict) -> None:
    write_entries(ctx, record, seed_entries(ctx, record["map_primary_key"]))


def drop_entries(ctx: Ctx, record: dict) -> None:
    for entry in stored_entries(ctx, record["id"]).values():
        ctx.store.delete(ENTRIES, entry["id"])


def stored_entries(ctx: Ctx, data_map_id: int) -> dict[str, dict]:
    """key -> entry record of one lookup."""
    return {e["key"]: e for e in ctx.store.list(ENTRIES, {"data_map_id": data_map_id})}


def write_entries(ctx: Ctx, record: dict, written: dict[str, dict]) -> None:
    with ctx.store.db.transaction():
        current = stored_entries(ctx, record["id"])
        for key, entry in written.items():
            if key in current:
                ctx.store.update(ENTRIES, current[key]["id"], {"entry": entry})
            else:
                ctx.store.create(ENTRIES, {"data_map_id": record["id"], "key": key, "entry": entry},
                                 owner_id=record["owner_id"], org_id=record["org_id"])
        count = len(current.keys() | written.keys())
        if count != record.get("map_entry_count"):
            change(ctx, "data_maps", record, {"map_entry_count": count})


def update(ctx: Ctx, record: dict, body: dict) -> dict:
    fields = checked(body)
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "map_primary_key" in body and body["map_primary_key"] != record["map_primary_key"]:
        if stored_entries(ctx, record["id"]):
            raise bad_request("'map_primary_key' cannot change while the lookup has entries", "map_primary_key")
        fields["map_primary_key"] = require_str(body, "map_primary_key")
    if "description" in fields:
        fields["description"] = fields["description"] or ""
    return fields


def requested_keys(ctx: Ctx) -> list[str]:
    return [key for key in ctx.params["entry_keys"].split(",") if key != ""]


def upsert_entries(ctx: Ctx) -> list[dict]:
    """Insert or replace entries by primary key (admin role); answers the entries written."""
    record = ctx.access.require(ctx.user, "data_maps", ctx.id(), "update")
    body = ctx.body if isinstance(ctx.body, list) else ctx.body_dict().get("entries")
    if not isinstance(body, list):
        raise bad_request("Body must be {\"entries\": [...]}", "entries")
    written = keyed(record["map_primary_key"], body, "entries")
    write_entries(ctx, record, written)
    return list(written.values())


def get_entries(ctx: Ctx) -> list[dict]:
    """The entries whose primary keys are listed (comma-separated)."""
    record = ctx.access.require(ctx.user, "data_maps", ctx.id(), "read")
    entries = stored_entries(ctx, record["id"])
    return [entries[key]["entry"] for key in requested_keys(ctx) if key in entries]


def delete_entries(ctx: Ctx) -> dict:
    """Delete the entries whose primary keys are listed (admin role)."""
    record = ctx.access.require(ctx.user, "data_maps", ctx.id(), "update")
    entries = stored_entries(ctx, record["id"])
    doomed = [entries[key] for key in dict.fromkeys(requested_keys(ctx)) if key in entries]
    with ctx.store.db.transaction():
        for entry in doomed:
            ctx.store.delete(ENTRIES, entry["id"])
        change(ctx, "data_maps", record, {"map_entry_count": len(entries) - len(doomed)})
    return {"code": "200", "message": f"{len(doomed)} entries deleted"}


def extra(family: Family) -> list[Route]:
    one = "/data_maps/{id:int}/entries"
    return [route(one, upsert_entries, ["PUT"]),
            route(one + "/{entry_keys}", get_entries, ["GET"]),
            route(one + "/{entry_keys}", delete_entries, ["DELETE"])]


def routes() -> list[Route]:
    return [*crud_routes(Family("data_maps", create, update, after_create=after_create,
                                     before_delete=drop_entries, extra_routes=extra)),
            *accessors.make("data_maps")]
