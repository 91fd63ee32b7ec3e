"""Team rules (``/teams``): fields and members (identified by ``id`` or ``email``)."""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import Family, change, renamed
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_list, require_str


def resolve_members(caller: Caller, entries: list, field: str = "members") -> list[dict]:
    """[{id, admin}] for request entries identified by ``id`` or ``email``."""
    resolved = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise bad_request(f"each of '{field}' must be an object with 'id' or 'email'", field)
        user = None
        if isinstance(entry.get("id"), int) and not isinstance(entry.get("id"), bool):
            user = caller.store.get("users", entry["id"])
        elif isinstance(entry.get("email"), str):
            user = next((u for u in caller.store.list("users") if u["email"].lower() == entry["email"].lower()), None)
        if user is None:
            raise bad_request(f"'{field}': no user matches {entry}", field)
        resolved.append({"id": user["id"], "admin": bool(entry.get("admin", entry.get("is_admin", False)))})
    return resolved


def create(caller: Caller, body: dict) -> dict:
    return {"name": require_str(body, "name"), "description": body.get("description") or "",
            "members": resolve_members(caller, optional_list(body, "members") or [])}


def update(caller: Caller, record: dict, body: dict) -> dict:
    fields = renamed(body)
    if body.get("members") is not None:
        fields["members"] = resolve_members(caller, optional_list(body, "members") or [])
    return fields


def edit_members(caller: Caller, id: int, mode: str, body: dict | None) -> dict:
    """Add, replace or remove (``body`` None: all) team members (admin role); returns the team."""
    team = caller.access.require(caller.user, "teams", id, "share")
    wanted = None if body is None else resolve_members(caller, optional_list(body, "members") or [])
    current = {m["id"]: m for m in team.get("members", [])}
    if mode == "add":
        current.update({m["id"]: m for m in wanted or []})
    elif mode == "replace":
        current = {m["id"]: m for m in wanted or []}
    else:
        current = {} if wanted is None else {k: v for k, v in current.items() if k not in {m["id"] for m in wanted}}
    return change(caller, "teams", team, {"members": list(current.values())})


FAMILY = Family("teams", create, update)
