"""Org rules: membership, org admin rights, members and org audit logs.

Members can read; only org admins update the org or its members. An org keeps at least one
active admin (400 otherwise).
"""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import change
from nexla_sandbox.backend.teams import resolve_members
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import optional_list, require_str
from nexla_sandbox.state import accessors, audit


def member_org(caller: Caller, org_id: int, *, admin: bool = False) -> dict:
    """An org the caller belongs to (404 otherwise); with ``admin``, 403 unless they administer it."""
    org = caller.store.get("orgs", org_id)
    membership = accessors.org_membership(caller.store, caller.user["id"], org_id) if org else None
    if org is None or membership is None:
        raise not_found("orgs", org_id)
    if admin and not membership.get("is_admin"):
        raise ApiError(403, f"Forbidden: changing org {org_id} needs an org admin", resource_type="orgs",
                       resource_id=org_id)
    return org


def my_orgs(caller: Caller) -> list[dict]:
    """Orgs the caller belongs to."""
    return [o for o in caller.store.list("orgs") if accessors.org_membership(caller.store, caller.user["id"], o["id"])]


def update_org(caller: Caller, org_id: int, body: dict) -> dict:
    """Rename or describe the org (org admin)."""
    org = member_org(caller, org_id, admin=True)
    fields = {}
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "description" in body:
        fields["description"] = body["description"]
    return change(caller, "orgs", org, fields)


def edit_members(caller: Caller, org_id: int, mode: str, body: dict) -> dict:
    """Add, replace or remove org members (org admin); the org keeps an active admin (400 otherwise)."""
    org = member_org(caller, org_id, admin=True)
    wanted = [{"id": m["id"], "is_admin": m["admin"], "status": "ACTIVE"}
              for m in resolve_members(caller, optional_list(body, "members") or [])]
    if not wanted and mode != "replace":
        raise bad_request("'members' is required", "members")
    current = {m["id"]: m for m in org.get("members", [])}
    if mode == "add":
        current.update({m["id"]: m for m in wanted})
    elif mode == "replace":
        current = {m["id"]: m for m in wanted}
    else:
        current = {k: v for k, v in current.items() if k not in {m["id"] for m in wanted}}
    if not any(m.get("is_admin") and m.get("status") == "ACTIVE" for m in current.values()):
        raise bad_request("Refused: the org would be left without an active admin", "members")
    return change(caller, "orgs", org, {"members": list(current.values())})


def org_audit_log(caller: Caller, org_id: int, resource_type: str | None = None) -> list[dict]:
    """Audit entries of the org, newest first (org admin), optionally of one resource type.

    The type is a collection (``data_sources``) or, as one SDK docstring spells it, its singular.
    """
    org = member_org(caller, org_id, admin=True)
    if resource_type is None:
        return audit.entries(caller.store, org_id=org["id"])
    kind = resource_type if resource_type in audit.ITEM_TYPES else f"{resource_type}s"
    if kind not in audit.ITEM_TYPES:
        raise bad_request(f"Unknown resource type '{resource_type}'; use one of {', '.join(sorted(audit.ITEM_TYPES))}",
                          "resource_type")
    return audit.entries(caller.store, kind=kind, org_id=org["id"])


def named_members(caller: Caller, org: dict, body: dict, field: str) -> list[int]:
    """Ids of the org members named in the body's ``field``; 400 naming a non-member."""
    wanted = [m["id"] for m in resolve_members(caller, optional_list(body, field) or [], field)]
    if not wanted:
        raise bad_request(f"'{field}' is required", field)
    in_org = {m["id"] for m in org.get("members", [])}
    strangers = [i for i in wanted if i not in in_org]
    if strangers:
        raise bad_request(f"'{field}': users {strangers} are not members of org {org['id']}", field)
    return wanted


def custodians(caller: Caller, org: dict) -> list[dict]:
    """The org's custodians as ``{id, email, full_name}``."""
    shown = []
    for user_id in org.get("custodian_ids", []):
        user = caller.store.get("users", user_id)
        if user is not None:
            shown.append({"id": user["id"], "email": user["email"], "full_name": user["full_name"]})
    return shown


def edit_custodians(caller: Caller, org_id: int, mode: str, body: dict) -> list[dict]:
    """Replace, add or remove org custodians (org admin; custodians must be members)."""
    org = member_org(caller, org_id, admin=True)
    wanted = named_members(caller, org, body, "custodians")
    current = list(org.get("custodian_ids", []))
    if mode == "replace":
        current = wanted
    elif mode == "add":
        current += [i for i in wanted if i not in current]
    else:
        current = [i for i in current if i not in wanted]
    return custodians(caller, change(caller, "orgs", org, {"custodian_ids": list(dict.fromkeys(current))}))


def set_member_status(caller: Caller, org_id: int, status: str, body: dict) -> dict:
    """Activate or deactivate org members (org admin); the org keeps an active admin. Returns the org."""
    org = member_org(caller, org_id, admin=True)
    wanted = set(named_members(caller, org, body, "members"))
    updated = [{**m, "status": status} if m["id"] in wanted else m for m in org.get("members", [])]
    if not any(m.get("is_admin") and m.get("status", "ACTIVE") == "ACTIVE" for m in updated):
        raise bad_request("Refused: the org would be left without an active admin", "members")
    return change(caller, "orgs", org, {"members": updated})
