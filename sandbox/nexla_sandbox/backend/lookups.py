"""Lookup rules (``/data_maps``): fields, and their entries keyed by ``map_primary_key``.

Entries are records of their own (``data_map_entries``: ``data_map_id``, ``key``, ``entry``), so a
lookup object stays small and shows only ``map_entry_count``, kept in step by every entry change.
"""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import Family, change
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_bool, optional_dict, optional_list, require_str

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


def seed_entries(body: dict, key: str) -> dict[str, dict]:
    """The entries a create body seeds through ``data_map``."""
    return keyed(key, optional_list(body, "data_map") or [], "data_map")


def create(caller: Caller, body: dict) -> dict:
    key = require_str(body, "map_primary_key")
    assert key is not None
    fields = {"name": require_str(body, "name"), "data_type": require_str(body, "data_type") or "string",
              "map_primary_key": key, "description": "", "data_defaults": {}, "emit_data_default": False,
              "use_versioning": False, "public": False, "data_format": None, "tags": [], **checked(body)}
    fields["description"] = fields["description"] or ""
    fields["map_entry_count"] = len(seed_entries(body, key))
    return fields


def after_create(caller: Caller, record: dict, body: dict) -> None:
    write_entries(caller, record, seed_entries(body, record["map_primary_key"]))


def drop_entries(caller: Caller, record: dict) -> None:
    for entry in stored_entries(caller, record["id"]).values():
        caller.store.delete(ENTRIES, entry["id"])


def stored_entries(caller: Caller, data_map_id: int) -> dict[str, dict]:
    """key -> entry record of one lookup."""
    return {e["key"]: e for e in caller.store.list(ENTRIES, {"data_map_id": data_map_id})}


def write_entries(caller: Caller, record: dict, written: dict[str, dict]) -> None:
    with caller.store.db.transaction():
        current = stored_entries(caller, record["id"])
        for key, entry in written.items():
            if key in current:
                caller.store.update(ENTRIES, current[key]["id"], {"entry": entry})
            else:
                caller.store.create(ENTRIES, {"data_map_id": record["id"], "key": key, "entry": entry},
                                    owner_id=record["owner_id"], org_id=record["org_id"])
        count = len(current.keys() | written.keys())
        if count != record.get("map_entry_count"):
            change(caller, "data_maps", record, {"map_entry_count": count})


def update(caller: Caller, record: dict, body: dict) -> dict:
    fields = checked(body)
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "map_primary_key" in body and body["map_primary_key"] != record["map_primary_key"]:
        if stored_entries(caller, record["id"]):
            raise bad_request("'map_primary_key' cannot change while the lookup has entries", "map_primary_key")
        fields["map_primary_key"] = require_str(body, "map_primary_key")
    if "description" in fields:
        fields["description"] = fields["description"] or ""
    return fields


def upsert_entries(caller: Caller, id: int, entries: object) -> list[dict]:
    """Insert or replace entries by primary key (admin role); returns the entries written."""
    record = caller.access.require(caller.user, "data_maps", id, "update")
    if not isinstance(entries, list):
        raise bad_request("Body must be {\"entries\": [...]}", "entries")
    written = keyed(record["map_primary_key"], entries, "entries")
    write_entries(caller, record, written)
    return list(written.values())


def get_entries(caller: Caller, id: int, keys: list[str]) -> list[dict]:
    """The entries whose primary keys are listed."""
    record = caller.access.require(caller.user, "data_maps", id, "read")
    entries = stored_entries(caller, record["id"])
    return [entries[key]["entry"] for key in keys if key in entries]


def delete_entries(caller: Caller, id: int, keys: list[str]) -> int:
    """Delete the entries whose primary keys are listed (admin role); returns how many were deleted."""
    record = caller.access.require(caller.user, "data_maps", id, "update")
    entries = stored_entries(caller, record["id"])
    doomed = [entries[key] for key in dict.fromkeys(keys) if key in entries]
    with caller.store.db.transaction():
        for entry in doomed:
            caller.store.delete(ENTRIES, entry["id"])
        change(caller, "data_maps", record, {"map_entry_count": len(entries) - len(doomed)})
    return len(doomed)


FAMILY = Family("data_maps", create, update, after_create=after_create, before_delete=drop_entries)
