"""Service keys and session tokens (contract section 1.3).

``POST /token`` with ``Authorization: Basic <raw service key>`` issues a bearer token valid for
one hour, as Nexla's sessions are; the body also carries the ``user``, their ``org`` and their
``org_membership`` there. Tokens are stored as SHA-256 hashes, so they survive restarts without sitting in clear.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time

from nexla_sandbox.state.accessors import org_membership
from nexla_sandbox.state.store import Store

TOKEN_TTL_S = 3600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_key(store: Store, key: str) -> int | None:
    """The user id of a service key (also accepted base64-encoded), or None."""
    candidates = [key]
    try:
        candidates.append(base64.b64decode(key, validate=True).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    for candidate in candidates:
        rows = store.db.execute("SELECT user_id FROM service_keys WHERE key = ?", (candidate,))
        if rows:
            return rows[0]["user_id"]
    return None


def issue_token(store: Store, user_id: int) -> dict:
    token = "nxsbx_tok_" + secrets.token_urlsafe(32)
    store.db.execute("INSERT INTO tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                     (_hash(token), user_id, time.time() + TOKEN_TTL_S))
    user = store.get("users", user_id) or {}
    org = store.get("orgs", user.get("default_org_id") or 0) or {}
    membership = org_membership(store, user_id, org.get("id")) or {}
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL_S,
            "user": {"id": user_id, "email": user.get("email"), "full_name": user.get("full_name"),
                     "org": org.get("id"), "impersonated": False},
            "org": {"id": org.get("id"), "name": org.get("name"), "email_domain": org.get("email_domain"),
                    "client_identifier": org.get("client_identifier")},
            "org_membership": {"status": membership.get("status", "ACTIVE"),
                               "is_admin?": bool(membership.get("is_admin"))}}


def user_for_token(store: Store, token: str) -> int | None:
    rows = store.db.execute("SELECT user_id, expires_at FROM tokens WHERE token_hash = ?", (_hash(token),))
    if not rows or rows[0]["expires_at"] < time.time():
        return None
    return rows[0]["user_id"]


def revoke_token(store: Store, token: str) -> None:
    store.db.execute("DELETE FROM tokens WHERE token_hash = ?", (_hash(token),))


def revoke_user_tokens(store: Store, user_id: int | None = None) -> None:
    """End every token (of one user, or everyone's): the next call gets 401."""
    if user_id is None:
        store.db.execute("DELETE FROM tokens")
    else:
        store.db.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,))


def principal(store: Store, user_id: int) -> dict | None:
    """The authenticated caller as routes see it: ``{id, org_id, is_org_admin, email, full_name}``."""
    user = store.get("users", user_id)
    if user is None or user.get("status", "ACTIVE") != "ACTIVE":
        return None
    org_id = user.get("default_org_id")
    membership = org_membership(store, user_id, org_id)
    return {"id": user["id"], "org_id": org_id, "is_org_admin": bool(membership and membership.get("is_admin")),
            "email": user["email"], "full_name": user["full_name"]}
