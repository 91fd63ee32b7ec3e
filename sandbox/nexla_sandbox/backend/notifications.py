"""Notification rules: a caller sees and changes only their own notifications."""

from __future__ import annotations

from datetime import datetime

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import change, remove
from nexla_sandbox.errors import bad_request, not_found
from nexla_sandbox.state.store import now_iso

LEVELS = {"DEBUG", "INFO", "WARN", "ERROR", "RECOVERED", "RESOLVED"}


def mine(caller: Caller, read: bool | None = None, level: str | None = None, start: int | None = None,
         end: int | None = None) -> list[dict]:
    """The caller's notifications, filtered by read state, level and creation time (epoch seconds)."""
    found = caller.store.list("notifications", {"owner_id": caller.user["id"]})
    if read is not None:
        found = [n for n in found if bool(n.get("read_at")) == read]
    if level is not None:
        if level.upper() not in LEVELS:
            raise bad_request(f"'level' must be one of {sorted(LEVELS)}", "level")
        found = [n for n in found if n.get("level") == level.upper()]
    if start is not None or end is not None:
        def stamp(n: dict) -> float:
            return datetime.fromisoformat(n["created_at"]).timestamp()
        found = [n for n in found if (start is None or stamp(n) >= start) and (end is None or stamp(n) <= end)]
    return found


def own(caller: Caller, id: int) -> dict:
    """One notification of the caller; 404 otherwise."""
    record = caller.store.get("notifications", id)
    if record is None or record["owner_id"] != caller.user["id"]:
        raise not_found("notifications", id)
    return record


def delete(caller: Caller, id: int) -> None:
    remove(caller, "notifications", own(caller, id))


def delete_all(caller: Caller) -> int:
    """Delete every notification of the caller; returns how many."""
    records = mine(caller)
    with caller.store.db.transaction():
        for record in records:
            remove(caller, "notifications", record)
    return len(records)


def mark(caller: Caller, ids: object | None, read: bool) -> int:
    """Mark the caller's notifications with these ids (all of them when ``ids`` is None) read or unread."""
    records = mine(caller)
    if ids is not None:
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise bad_request("Body must be a JSON array of notification ids", "notification_ids")
        missing = set(ids) - {r["id"] for r in records}
        if missing:
            raise bad_request(f"No such notifications: {sorted(missing)}", "notification_ids")
        records = [r for r in records if r["id"] in set(ids)]
    with caller.store.db.transaction():
        for record in records:
            change(caller, "notifications", record, {"read_at": now_iso() if read else None})
    return len(records)
