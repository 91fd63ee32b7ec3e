"""User rules: who sees a user (themselves, or someone sharing an org), who may change them
(themselves, or an admin of a shared org), and who may create users (org admins)."""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import change, insert
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import require_str
from nexla_sandbox.state import accessors, audit

STATUSES = {"ACTIVE", "DEACTIVATED"}


def shared_orgs(caller: Caller, user: dict) -> set[int]:
    mine = {m["id"] for m in caller.renderer.memberships(caller.user["id"])}
    theirs = {m["id"] for m in caller.renderer.memberships(user["id"])}
    return mine & theirs


def visible_user(caller: Caller, user_id: int) -> dict:
    """A user the caller may see; 404 otherwise."""
    user = caller.store.get("users", user_id)
    if user is None or (user["id"] != caller.user["id"] and not shared_orgs(caller, user)):
        raise not_found("users", user_id)
    return user


def managed_user(caller: Caller, user_id: int, refusal: str) -> dict:
    """A user the caller may change (themselves, or an admin of a shared org); 403 with ``refusal`` otherwise."""
    user = visible_user(caller, user_id)
    if not (user["id"] == caller.user["id"] or any(
            (accessors.org_membership(caller.store, caller.user["id"], org_id) or {}).get("is_admin")
            for org_id in shared_orgs(caller, user))):
        raise ApiError(403, f"Forbidden: {refusal}", resource_type="users", resource_id=user["id"])
    return user


def self_or_administered(caller: Caller, user_id: int, what: str) -> dict:
    """A user whose ``what`` (their metrics, their quarantine settings) the caller may use: the caller, or
    a user of the org the caller administers; 404 for no such user, 403 otherwise."""
    user = caller.store.get("users", user_id)
    if user is None:
        raise not_found("users", user_id)
    if user["id"] != caller.user["id"] and not (caller.user.get("is_org_admin") and user["org_id"] == caller.user["org_id"]):
        raise ApiError(403, f"Forbidden: {what} of user {user['id']} belong to that user or an org admin")
    return user


def listed_users(caller: Caller) -> list[dict]:
    """The caller alone; for an org admin, every user of the orgs they administer."""
    admin_of = {m["id"] for m in caller.renderer.memberships(caller.user["id"]) if m["is_admin"]}
    return [u for u in caller.store.list("users")
            if u["id"] == caller.user["id"] or (admin_of and admin_of & shared_orgs(caller, u))]


def create_user(caller: Caller, body: dict) -> dict:
    """Create a user in the caller's org (org admin only; 409 for a taken email)."""
    if not caller.user["is_org_admin"]:
        raise ApiError(403, "Forbidden: only an org admin can create users")
    full_name, email = require_str(body, "full_name"), str(require_str(body, "email"))
    with caller.store.db.transaction():
        existing = next((u for u in caller.store.list("users") if u["email"].lower() == email.lower()), None)
        if existing:
            raise ApiError(409, f"A user with email {email} already exists (id {existing['id']})",
                           resource_type="users", resource_id=existing["id"])
        user = insert(caller, "users", {"email": email, "full_name": full_name, "status": "ACTIVE",
                                        "default_org_id": caller.user["org_id"], "user_tier": "PAID"})
        org = caller.get("orgs", caller.user["org_id"])
        member = {"id": user["id"], "is_admin": bool(body.get("admin") is True), "status": "ACTIVE"}
        change(caller, "orgs", org, {"members": [*org["members"], member]})
    return user


def update_user(caller: Caller, user_id: int, body: dict) -> dict:
    """Change a user's ``full_name`` or ``status`` (themselves, or an org admin of a shared org)."""
    user = managed_user(caller, user_id, "only the user or an org admin can change a user")
    fields = {}
    if "full_name" in body:
        fields["full_name"] = require_str(body, "full_name")
    if "status" in body:
        if body["status"] not in STATUSES:
            raise bad_request("'status' must be ACTIVE or DEACTIVATED", "status")
        fields["status"] = body["status"]
    return change(caller, "users", user, fields)


def user_audit_log(caller: Caller, user_id: int) -> list[dict]:
    """Audit entries of actions taken by a user (the user or an org admin)."""
    user = managed_user(caller, user_id, "only the user or an org admin can read a user's audit log")
    return audit.entries(caller.store, user_id=user["id"])
