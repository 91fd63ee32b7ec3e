"""Audit-log entries (contract section 4.15 ``LogEntry``), written for every mutation.

Secret-looking values never reach an entry: credential secrets are not part of a record, and
any changed field whose name looks secret is recorded as ``"[REDACTED]"``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nexla_sandbox.state.store import Store, now_iso

ITEM_TYPES = {
    "data_sources": "DataSource", "data_sets": "DataSet", "data_sinks": "DataSink",
    "data_credentials": "DataCredentials", "flows": "FlowNode", "projects": "Project", "teams": "Team",
    "users": "User", "orgs": "Org", "transforms": "CodeContainer", "attribute_transforms": "CodeContainer",
    "code_containers": "CodeContainer", "notifications": "Notification", "async_tasks": "AsyncTask",
}
SECRET_NAME = re.compile(r"secret|password|passwd|token|api[_-]?key|private|credential|auth", re.IGNORECASE)
# References and kinds (data_credentials_id, credentials_type, token_type) name no secret.
NOT_SECRET = re.compile(r"(_ids?|_type|_version)$", re.IGNORECASE)
_SKIP = {"updated_at", "created_at", "flow_node_id"}


@dataclass(frozen=True)
class RequestInfo:
    """Who asked and how: recorded on every audit entry."""

    user: dict
    ip: str | None = None
    user_agent: str | None = None
    url: str | None = None


def _secret(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not NOT_SECRET.search(name)


def _safe(name: str, value: Any) -> Any:
    """``value`` with every secret-named field, at any depth (e.g. a password in sink_config), redacted."""
    if _secret(name):
        return "[REDACTED]"
    if isinstance(value, dict):
        return {k: _safe(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe("", v) for v in value]
    return value


def _safe_url(url: str | None) -> str:
    """The request URL with secret-named query values (``api_key=...``) redacted."""
    return re.sub(r"([?&])([^=&]+)=([^&]*)",
                  lambda m: f"{m[1]}{m[2]}=[REDACTED]" if _secret(m[2]) else m[0], url or "")


def changes(before: dict | None, after: dict | None) -> dict[str, list]:
    """field -> [old, new] for every field that differs."""
    before, after = before or {}, after or {}
    diff: dict[str, list] = {}
    for key in sorted(set(before) | set(after)):
        if key in _SKIP or before.get(key) == after.get(key):
            continue
        diff[key] = [_safe(key, before.get(key)), _safe(key, after.get(key))]
    return diff


def record(store: Store, kind: str, item_id: int, event: str, info: RequestInfo,
           before: dict | None, after: dict | None, summary: list[str] | None = None) -> None:
    """Append one entry; ``event`` is create, update, delete or an action name (activate, ...)."""
    diff = changes(before, after)
    subject = after or before or {}
    owner_id = subject.get("owner_id")
    owner = store.get("users", owner_id) if owner_id else None
    entry = {
        "item_type": ITEM_TYPES.get(kind, kind),
        "item_id": int(item_id),
        "event": event,
        "change_summary": summary if summary is not None else list(diff),
        "object_changes": diff,
        "request_ip": info.ip or "127.0.0.1",
        "request_user_agent": info.user_agent or "",
        "request_url": _safe_url(info.url),
        "user": {"id": info.user.get("id"), "email": info.user.get("email")},
        "org_id": subject.get("org_id") or info.user.get("org_id"),
        "owner_id": subject.get("owner_id") or info.user.get("id"),
        "owner_email": (owner or {}).get("email") or info.user.get("email"),
        "created_at": now_iso(),
    }
    store.db.insert("INSERT INTO audit (kind, item_id, data) VALUES (?, ?, ?)",
                    (kind, int(item_id), json.dumps(entry)))


def entries(store: Store, kind: str | None = None, item_id: int | None = None,
            org_id: int | None = None, user_id: int | None = None) -> list[dict]:
    """Entries, newest first, filtered by resource (or a whole kind), org or acting user."""
    sql, params = "SELECT id, data FROM audit", []
    if kind is not None and item_id is not None:
        sql += " WHERE kind = ? AND item_id = ?"
        params = [kind, int(item_id)]
    elif kind is not None:
        sql += " WHERE kind = ?"
        params = [kind]
    found = []
    for row in store.db.execute(sql + " ORDER BY id DESC", params):
        entry = {"id": row["id"], **json.loads(row["data"])}
        if org_id is not None and entry.get("org_id") != org_id:
            continue
        if user_id is not None and entry["user"].get("id") != user_id:
            continue
        found.append(entry)
    return found
