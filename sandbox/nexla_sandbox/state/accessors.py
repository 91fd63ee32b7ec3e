"""Accessors (who holds which roles on a resource) and the caller's effective role.

Rights come from accessors of type USER, TEAM (every member) and ORG (every active member);
the creator gets an ``owner`` USER accessor; an org admin acts as owner on every resource of
their org. Some kinds also grant roles by what they are (``implicit_roles``): a team's members
are collaborators on the team (team admins are admins); an org's admins own the org; a user owns
themself and admins of any org they belong to own them too; a notification's or async task's
``owner_id`` owns it.
"""

from __future__ import annotations

import json
from typing import Any

from nexla_sandbox.state.store import Clause, Store, now_iso

ROLE_RANK = {"collaborator": 1, "operator": 2, "admin": 3, "owner": 4}
ACCESSOR_TYPES = ("USER", "TEAM", "ORG")


class AccessorError(ValueError):
    """An accessor entry that cannot be resolved or applied; ``field`` names the culprit."""

    def __init__(self, message: str, field: str = "accessors") -> None:
        super().__init__(message)
        self.field = field


def highest(roles: list[str] | set[str]) -> str | None:
    ranked = sorted((r for r in roles if r in ROLE_RANK), key=ROLE_RANK.__getitem__)
    return ranked[-1] if ranked else None


def org_membership(store: Store, user_id: int, org_id: int | None) -> dict | None:
    """The user's active membership entry in an org ({id, is_admin, status}), or None."""
    if org_id is None:
        return None
    org = store.get("orgs", org_id)
    for member in (org or {}).get("members", []):
        if member["id"] == user_id and member.get("status", "ACTIVE") == "ACTIVE":
            return member
    return None


def user_teams(store: Store, user_id: int) -> list[dict]:
    return store.list("teams", scope=_member_of_team(user_id))


def _member_of_team(user_id: int, *, admin: bool = False) -> Clause:
    condition = "json_extract(m.value, '$.id') = ?" + (" AND json_extract(m.value, '$.admin')" if admin else "")
    return (f"EXISTS (SELECT 1 FROM json_each(data, '$.members') AS m WHERE {condition})", [int(user_id)])


LIST_ROLES = (*ROLE_RANK, "member")


def list_scope(store: Store, user_id: int, kind: str, access_role: str | None) -> Clause:
    """The SQL condition selecting what a list shows the user.

    Without ``access_role`` a list shows what the user owns. ``access_role=X`` shows every record
    on which the user holds X or a higher role (an org admin holds owner on the whole org);
    ``member`` (teams only) shows the teams the user belongs to.
    """
    if access_role is None:
        return ("owner_id = ?", [int(user_id)])
    if access_role == "member":
        return _member_of_team(user_id)
    wanted = ROLE_RANK[access_role]
    orgs = [o["id"] for o in store.list("orgs") if org_membership(store, user_id, o["id"])]
    admin_orgs = [o for o in orgs if (org_membership(store, user_id, o) or {}).get("is_admin")]
    teams = [t["id"] for t in user_teams(store, user_id)]
    found = store.db.execute(
        "SELECT resource_id, roles FROM accessors WHERE kind = ? AND ((type = 'USER' AND accessor_id = ?)"
        " OR (type = 'TEAM' AND accessor_id IN (SELECT value FROM json_each(?)))"
        " OR (type = 'ORG' AND accessor_id IN (SELECT value FROM json_each(?))))",
        (kind, int(user_id), json.dumps(teams), json.dumps(orgs)),
    )
    ids = sorted({row["resource_id"] for row in found
                  if max((ROLE_RANK.get(r, 0) for r in json.loads(row["roles"])), default=0) >= wanted})
    condition = ("owner_id = ? OR org_id IN (SELECT value FROM json_each(?))"
                 " OR id IN (SELECT value FROM json_each(?))")
    params: list[Any] = [int(user_id), json.dumps(admin_orgs), json.dumps(ids)]
    if kind == "teams":
        implicit = _member_of_team(user_id, admin=wanted > ROLE_RANK["collaborator"])
        if wanted <= ROLE_RANK["admin"]:
            condition += f" OR {implicit[0]}"
            params += list(implicit[1])
    return (condition, params)


def rows(store: Store, kind: str, resource_id: int) -> list[dict]:
    found = store.db.execute(
        "SELECT * FROM accessors WHERE kind = ? AND resource_id = ? ORDER BY id", (kind, int(resource_id))
    )
    return [
        {"type": r["type"], "id": r["accessor_id"], "access_roles": json.loads(r["roles"]),
         "created_at": r["created_at"], "updated_at": r["updated_at"]}
        for r in found
    ]


def effective_roles(store: Store, user_id: int, kind: str, record: dict) -> list[str]:
    """Every role the user holds on the record, highest first."""
    membership = org_membership(store, user_id, record.get("org_id"))
    if membership and membership.get("is_admin"):
        return ["owner"]
    roles: set[str] = set()
    team_ids = {t["id"] for t in user_teams(store, user_id)}
    for entry in rows(store, kind, record["id"]):
        if (
            (entry["type"] == "USER" and entry["id"] == user_id)
            or (entry["type"] == "TEAM" and entry["id"] in team_ids)
            or (entry["type"] == "ORG" and org_membership(store, user_id, entry["id"]) is not None)
        ):
            roles.update(entry["access_roles"])
    roles.update(implicit_roles(store, user_id, kind, record))
    return sorted(roles, key=lambda r: -ROLE_RANK.get(r, 0))


def implicit_roles(store: Store, user_id: int, kind: str, record: dict) -> set[str]:
    """Roles the user holds on the record by what it is, whatever its accessors say."""
    if kind == "teams":
        return {"admin" if m.get("admin") else "collaborator" for m in record.get("members", []) if m["id"] == user_id}
    if kind == "orgs":
        return {"owner"} if (org_membership(store, user_id, record["id"]) or {}).get("is_admin") else set()
    if kind == "users":
        if record["id"] == user_id:
            return {"owner"}
        their_orgs = [o["id"] for o in store.list("orgs") if org_membership(store, record["id"], o["id"])]
        admin = any((org_membership(store, user_id, org_id) or {}).get("is_admin") for org_id in their_orgs)
        return {"owner"} if admin else set()
    if kind in ("notifications", "async_tasks"):
        return {"owner"} if record.get("owner_id") == user_id else set()
    return set()


def resolve(store: Store, entry: Any, *, need_roles: bool) -> tuple[str, int, list[str]]:
    """(type, accessor id, roles) for one request entry, looking up email/name/domain as needed."""
    if not isinstance(entry, dict):
        raise AccessorError("each accessor must be an object with a 'type'")
    kind = entry.get("type")
    if kind not in ACCESSOR_TYPES:
        raise AccessorError("accessor 'type' must be one of USER, TEAM, ORG", "type")
    roles = entry.get("access_roles")
    if roles is None:
        if need_roles:
            raise AccessorError("accessor 'access_roles' is required", "access_roles")
        roles = []
    if not isinstance(roles, list) or any(r not in ROLE_RANK for r in roles):
        raise AccessorError(
            "'access_roles' must be a list of owner, admin, operator, collaborator", "access_roles"
        )
    target_id = entry.get("id")
    if target_id is not None and (isinstance(target_id, bool) or not isinstance(target_id, int)):
        raise AccessorError("accessor 'id' must be an integer", "id")
    if kind == "USER":
        if target_id is None and entry.get("email"):
            match = [u for u in store.list("users") if u["email"].lower() == str(entry["email"]).lower()]
            target_id = match[0]["id"] if match else None
            if target_id is None:
                raise AccessorError(f"no user with email {entry['email']}", "email")
        found = target_id is not None and store.get("users", target_id) is not None
    elif kind == "TEAM":
        if target_id is None and entry.get("name"):
            match = store.list("teams", {"name": entry["name"]})
            target_id = match[0]["id"] if match else None
            if target_id is None:
                raise AccessorError(f"no team named {entry['name']}", "name")
        found = target_id is not None and store.get("teams", target_id) is not None
    else:
        if target_id is None:
            for key in ("client_identifier", "email_domain"):
                if entry.get(key):
                    match = store.list("orgs", {key: entry[key]})
                    target_id = match[0]["id"] if match else None
        found = target_id is not None and store.get("orgs", target_id) is not None
    if not found or target_id is None:
        raise AccessorError(f"{kind} accessor {target_id if target_id is not None else '?'} does not exist", "id")
    return kind, int(target_id), list(dict.fromkeys(roles))


def write(store: Store, kind: str, resource_id: int, entries: list[tuple[str, int, list[str]]]) -> None:
    """Replace the accessor rows of a resource (entries with no roles are dropped)."""
    existing = {(e["type"], e["id"]): e for e in rows(store, kind, resource_id)}
    stamp = now_iso()
    with store.db.transaction():
        store.db.execute("DELETE FROM accessors WHERE kind = ? AND resource_id = ?", (kind, int(resource_id)))
        for accessor_type, accessor_id, roles in entries:
            if not roles:
                continue
            before = existing.get((accessor_type, accessor_id))
            created = before["created_at"] if before else stamp
            updated = before["updated_at"] if before and before["access_roles"] == roles else stamp
            store.db.execute(
                "INSERT INTO accessors (kind, resource_id, type, accessor_id, roles, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, int(resource_id), accessor_type, accessor_id, json.dumps(roles), created, updated),
            )


def grant_owner(store: Store, kind: str, resource_id: int, user_id: int) -> None:
    """Give the creator of a resource its owner accessor."""
    current = [(e["type"], e["id"], e["access_roles"]) for e in rows(store, kind, resource_id)]
    write(store, kind, resource_id, [*current, ("USER", user_id, ["owner"])])


def describe(store: Store, entry: dict) -> dict:
    """An accessor row as the API returns it, with the identifying fields of its type."""
    shaped = dict(entry)
    if entry["type"] == "USER":
        user = store.get("users", entry["id"]) or {}
        shaped.update(email=user.get("email"), full_name=user.get("full_name"))
        org_ids = [o["id"] for o in store.list("orgs") if any(m["id"] == entry["id"] for m in o.get("members", []))]
        shaped["org_id"] = org_ids[0] if org_ids else None
    elif entry["type"] == "TEAM":
        shaped["name"] = (store.get("teams", entry["id"]) or {}).get("name")
    else:
        org = store.get("orgs", entry["id"]) or {}
        shaped.update(name=org.get("name"), client_identifier=org.get("client_identifier"),
                      email_domain=org.get("email_domain"))
    return shaped
