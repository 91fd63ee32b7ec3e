"""Org rules shared by the org, org admin and monitoring routes."""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.errors import ApiError, not_found
from nexla_sandbox.state import accessors


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
