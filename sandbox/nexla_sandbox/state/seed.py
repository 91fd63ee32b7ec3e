"""First-start seed: two orgs, five users with service keys, two teams, a few notifications.

| label          | org         | rights                                                     |
|----------------|-------------|------------------------------------------------------------|
| `admin`        | Sandbox Org | org admin: owner of everything in the org (default key)    |
| `operator`     | Sandbox Org | member; in team `data-eng`                                 |
| `collaborator` | Sandbox Org | member; in team `data-eng`                                 |
| `member`       | Sandbox Org | plain member, no grants; in team `analytics`               |
| `outsider`     | Other Org   | member of Other Org only                                   |

Keys are generated once per data directory and kept; ``admin_key`` replaces the admin's key.
"""

from __future__ import annotations

import secrets

from nexla_sandbox.state import accessors
from nexla_sandbox.state.store import Store

SANDBOX_ORG = "Sandbox Org"
OTHER_ORG = "Other Org"
USERS = (
    ("admin", "Ada Admin", "admin@sandbox.local", SANDBOX_ORG, True),
    ("operator", "Otto Operator", "operator@sandbox.local", SANDBOX_ORG, False),
    ("collaborator", "Cleo Collaborator", "collaborator@sandbox.local", SANDBOX_ORG, False),
    ("member", "Max Member", "member@sandbox.local", SANDBOX_ORG, False),
    ("outsider", "Oscar Outsider", "outsider@other.local", OTHER_ORG, True),
)
TEAMS = (
    ("data-eng", "Data engineering: runs the pipelines", ("operator", "collaborator")),
    ("analytics", "Analysts who read curated nexsets", ("member",)),
)


def new_key() -> str:
    return "nxsbx_" + secrets.token_urlsafe(24)


def keys(store: Store) -> dict[str, str]:
    """label -> service key."""
    return {r["label"]: r["key"] for r in store.db.execute("SELECT label, key FROM service_keys ORDER BY user_id")}


def users(store: Store) -> dict[str, int]:
    """label -> user id."""
    return {r["label"]: r["user_id"] for r in store.db.execute("SELECT label, user_id FROM service_keys ORDER BY user_id")}


def ensure_seeded(store: Store, admin_key: str | None = None, previous_keys: dict[str, str] | None = None) -> None:
    """Seed an empty store; on later starts only apply ``admin_key``."""
    with store.db.transaction():
        if store.meta("seeded") is None:
            _seed(store, previous_keys or {})
            store.set_meta("seeded", "1")
        if admin_key:
            store.db.execute("UPDATE service_keys SET key = ? WHERE label = 'admin'", (admin_key,))


def _seed(store: Store, previous_keys: dict[str, str]) -> None:
    orgs = {
        name: store.create("orgs", {"name": name, "members": [], "client_identifier": ident,
                                    "email_domain": domain, "status": "ACTIVE"}, owner_id=0, org_id=0)
        for name, ident, domain in ((SANDBOX_ORG, "sandbox", "sandbox.local"), (OTHER_ORG, "other", "other.local"))
    }
    user_ids: dict[str, int] = {}
    for label, full_name, email, org_name, is_admin in USERS:
        org = orgs[org_name]
        user = store.create("users", {"email": email, "full_name": full_name, "status": "ACTIVE",
                                      "default_org_id": org["id"], "label": label, "user_tier": "PAID"},
                            owner_id=0, org_id=org["id"])
        user_ids[label] = user["id"]
        store.update("users", user["id"], {"owner_id": user["id"]})
        reread = store.get("orgs", org["id"])
        assert reread is not None
        org = reread
        members = [*org["members"], {"id": user["id"], "is_admin": is_admin, "status": "ACTIVE"}]
        orgs[org_name] = store.update("orgs", org["id"], {"members": members})
        store.db.execute("INSERT INTO service_keys (label, user_id, key) VALUES (?, ?, ?)",
                         (label, user["id"], previous_keys.get(label) or new_key()))
    for org_name, owner in ((SANDBOX_ORG, "admin"), (OTHER_ORG, "outsider")):
        store.update("orgs", orgs[org_name]["id"], {"owner_id": user_ids[owner], "org_id": orgs[org_name]["id"]})
    sandbox_org = orgs[SANDBOX_ORG]["id"]
    for name, description, labels in TEAMS:
        team = store.create("teams", {"name": name, "description": description,
                                      "members": [{"id": user_ids[label], "admin": False} for label in labels]},
                            owner_id=user_ids["admin"], org_id=sandbox_org)
        accessors.grant_owner(store, "teams", team["id"], user_ids["admin"])
    for level, message in (("INFO", "Welcome to the Nexla sandbox"),
                           ("WARN", "Sandbox data lives in the data directory; delete it to start over")):
        store.create("notifications", {"level": level, "message": message, "resource_type": "ORG",
                                       "resource_id": sandbox_org, "message_id": 0, "read_at": None},
                     owner_id=user_ids["admin"], org_id=sandbox_org)
