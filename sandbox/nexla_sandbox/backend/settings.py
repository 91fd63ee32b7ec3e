"""Per-user settings rules: notification types, notification and channel settings, user settings and
quarantine settings.

Settings belong to the user who made them (org admins see and change those of their org). They are
not shared through accessors, so their lists are simply the caller's own. Every settings action has
one signature, ``(caller, kind, SettingsArgs)``, so the routes register them from one table.
Quarantine settings (where a user's error records are exported: a credential and a path) are one per
user and are named by the user's id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import change, insert, reference, remove
from nexla_sandbox.backend.users import self_or_administered
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import optional_dict, require_int

CHANNELS = ("APP", "EMAIL", "SMS", "SLACK", "WEBHOOKS")
RESOURCE_TYPES = ("ORG", "USER", "DATA_FLOW", "CUSTOM_DATA_FLOW", "SOURCE", "DATASET", "SINK")
# The catalogue the sandbox's runtime can raise: "id|name|category|event_type|resource_type" a line.
TYPES = tuple(tuple(line.split("|")) for line in """\
1|Source read started|DATA|READ_START|SOURCE
2|Source read done|DATA|READ_DONE|SOURCE
3|Source error|DATA|ERROR|SOURCE
4|Sink write started|DATA|WRITE_START|SINK
5|Sink write done|DATA|WRITE_DONE|SINK
6|Sink error|DATA|ERROR|SINK
7|Nexset record errors|DATA|ERROR_AGGREGATED|DATASET
8|Nexset empty data|DATA|EMPTY_DATA|DATASET
9|Flow activated|PLATFORM|ACTIVATE|DATA_FLOW
10|Flow paused|PLATFORM|PAUSE|DATA_FLOW
11|Resource shared|PLATFORM|SHARE|USER
12|Password reset|SYSTEM|RESETPASS|USER
13|Org metrics|SYSTEM|METRICS|ORG""".splitlines())
# List filters nexla-sdk 1.0.8 sends (notifications.list_settings), matched against the shown fields.
FILTERS = ("event_type", "resource_type", "status", "channel")


@dataclass(frozen=True)
class SettingsArgs:
    """What a settings action acts on: the id in the path (a setting's, or for quarantine a user's), the body, filters."""

    id: int | None = None
    body: dict = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)


def notification_type(type_id: int) -> dict:
    for id_, name, category, event_type, resource_type in TYPES:
        if int(id_) == type_id:
            return {"id": type_id, "name": name, "description": f"{name} ({resource_type.lower()})",
                    "category": category, "default": True, "status": True,
                    "event_type": event_type, "resource_type": resource_type}
    raise not_found("notification_types", type_id)


def list_types() -> list[dict]:
    """The notification type catalogue."""
    return [notification_type(int(t[0])) for t in TYPES]


def find_type(event_type: str | None, resource_type: str | None) -> dict:
    """The notification type for ``event_type`` and ``resource_type`` (both required)."""
    for name, value in (("event_type", event_type), ("resource_type", resource_type)):
        if not value:
            raise bad_request(f"'{name}' is required", name)
    found = next((t for t in TYPES if t[3] == event_type and t[4] == resource_type), None)
    if found is None:
        raise not_found("notification_types", f"{event_type}/{resource_type}")
    return notification_type(int(found[0]))


def choice(body: dict, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(name, default)
    if value not in allowed:
        raise bad_request(f"'{name}' must be one of {', '.join(allowed)}", name)
    assert isinstance(value, str)
    return value


def setting_fields(caller: Caller, body: dict, current: dict | None) -> dict:
    new = current is None
    current = current or {}
    fields: dict[str, Any] = {}
    if new or "notification_type_id" in body:
        type_id = require_int(body, "notification_type_id")
        assert type_id is not None
        notification_type(type_id)
        fields["notification_type_id"] = type_id
    if new or "channel" in body:
        fields["channel"] = choice(body, "channel", CHANNELS)
    if new or "status" in body:
        fields["status"] = choice(body, "status", ("ACTIVE", "PAUSED"), "ACTIVE")
    if new or "notification_resource_type" in body:
        kind = notification_type(fields.get("notification_type_id", current.get("notification_type_id", 0)))
        fields["notification_resource_type"] = choice(body, "notification_resource_type", RESOURCE_TYPES,
                                                      kind["resource_type"])
    if "resource_id" in body:
        fields["resource_id"] = require_int(body, "resource_id", required=False)
    if new or "config" in body:
        fields["config"] = optional_dict(body, "config") or {}
    if new or "priority" in body:
        fields["priority"] = require_int(body, "priority", required=False) or 0
    return fields


def shape_setting(caller: Caller, record: dict) -> dict:
    """A setting as the API shows it; ``resource_id`` only when the setting names one resource."""
    kind = notification_type(record["notification_type_id"])
    named = {"resource_id": record["resource_id"]} if record.get("resource_id") is not None else {}
    return {"id": record["id"], "org_id": record["org_id"], "owner_id": record["owner_id"],
            "channel": record["channel"], "notification_resource_type": record["notification_resource_type"],
            **named, "config": record.get("config") or {},
            "priority": record.get("priority") or 0, "status": record["status"],
            "notification_type_id": kind["id"], "name": kind["name"], "description": kind["description"],
            "code": kind["id"], "category": kind["category"], "event_type": kind["event_type"],
            "resource_type": kind["resource_type"]}


def channel_fields(caller: Caller, body: dict, current: dict | None) -> dict:
    fields: dict[str, Any] = {}
    if current is None or "channel" in body:
        fields["channel"] = choice(body, "channel", CHANNELS)
    if current is None or "config" in body:
        fields["config"] = optional_dict(body, "config") or {}
    return fields


def shape_channel(caller: Caller, record: dict) -> dict:
    return {"id": record["id"], "owner_id": record["owner_id"], "org_id": record["org_id"],
            "channel": record["channel"], "config": record.get("config") or {}}


def quarantine_fields(caller: Caller, body: dict, current: dict | None) -> dict:
    fields: dict[str, Any] = {}
    if current is None or "data_credentials_id" in body:
        credential = reference(caller, "data_credentials", body.get("data_credentials_id"), "data_credentials_id")
        fields.update(data_credentials_id=credential["id"], credentials_type=credential.get("credentials_type"))
    if current is None or "config" in body:
        config = optional_dict(body, "config") or {}
        if not isinstance(config.get("path", ""), str):
            raise bad_request("'config.path' must be a string", "config")
        fields["config"] = config
    return fields


def shape_quarantine(caller: Caller, record: dict) -> dict:
    credential = caller.store.get("data_credentials", record["data_credentials_id"])
    renderer = caller.renderer
    return {"id": record["id"], "owner": renderer.owner(record["owner_id"]), "org": renderer.org(record["org_id"]),
            "resource_type": "USER", "resource_id": record["owner_id"], "config": record.get("config") or {},
            "data_credentials_id": record["data_credentials_id"], "credentials_type": record.get("credentials_type"),
            "data_credentials": renderer.render("data_credentials", credential) if credential else None,
            "created_at": record["created_at"], "updated_at": record["updated_at"]}


@dataclass(frozen=True)
class SettingsKind:
    """How one kind of setting becomes stored fields and how it is shown."""

    fields: Callable[[Caller, dict, dict | None], dict]
    shape: Callable[[Caller, dict], dict]


KINDS = {
    "notification_settings": SettingsKind(setting_fields, shape_setting),
    "notification_channel_settings": SettingsKind(channel_fields, shape_channel),
    "quarantine_settings": SettingsKind(quarantine_fields, shape_quarantine),
}


def owned(caller: Caller, kind: str, id_: int | None) -> dict:
    """A setting of the caller (or, for an org admin, of their org); 404 otherwise.

    Quarantine settings are named by their user: the caller, or a user of an org the caller
    administers (403 for anyone else's); 404 when the user has none.
    """
    assert id_ is not None
    if kind == "quarantine_settings":
        record = quarantine_of(caller, self_or_administered(caller, id_, "quarantine settings"))
        if record is None:
            raise not_found(kind, id_)
        return record
    record = caller.store.get(kind, id_)
    if record is None or not (record["owner_id"] == caller.user["id"]
                              or (caller.user.get("is_org_admin") and record["org_id"] == caller.user["org_id"])):
        raise not_found(kind, id_)
    return record


def quarantine_of(caller: Caller, user: dict) -> dict | None:
    found = caller.store.list("quarantine_settings", {"owner_id": user["id"]})
    return found[0] if found else None


def list_settings(caller: Caller, kind: str, request: SettingsArgs) -> list[dict]:
    """List the caller's own settings of this kind (filters: event_type, resource_type, status, channel)."""
    shown = [KINDS[kind].shape(caller, r) for r in caller.store.list(kind, {"owner_id": caller.user["id"]})]
    for name in FILTERS:
        if request.filters.get(name):
            shown = [item for item in shown if str(item.get(name, "")).upper() == request.filters[name].upper()]
    return shown


def create_setting(caller: Caller, kind: str, request: SettingsArgs) -> dict:
    """Create a setting of the caller (quarantine: of the named user; 409 when they have one)."""
    owner: dict[str, int] = {}
    if kind == "quarantine_settings":
        assert request.id is not None
        user = self_or_administered(caller, request.id, "quarantine settings")
        if quarantine_of(caller, user) is not None:
            raise ApiError(409, f"User {user['id']} already has quarantine settings; update them with PUT")
        owner = {"owner_id": user["id"], "org_id": user["org_id"]}
    return KINDS[kind].shape(caller, insert(caller, kind, KINDS[kind].fields(caller, request.body, None), **owner))


def get_setting(caller: Caller, kind: str, request: SettingsArgs) -> dict:
    """Get a setting of the caller."""
    return KINDS[kind].shape(caller, owned(caller, kind, request.id))


def update_setting(caller: Caller, kind: str, request: SettingsArgs) -> dict:
    """Change a setting of the caller."""
    record = owned(caller, kind, request.id)
    return KINDS[kind].shape(caller, change(caller, kind, record, KINDS[kind].fields(caller, request.body, record)))


def delete_setting(caller: Caller, kind: str, request: SettingsArgs) -> dict:
    """Delete a setting of the caller."""
    remove(caller, kind, owned(caller, kind, request.id))
    shown = f"Quarantine settings of user {request.id}" if kind == "quarantine_settings" else f"{kind} {request.id}"
    return {"status": "success", "message": f"{shown} deleted"}


def settings_of_type(caller: Caller, type_id: int) -> list[dict]:
    """The caller's notification settings for one notification type.

    Each row is the flat per-type shape of the OpenAPI (``setting_id``, ``notification_type_*``) and
    also the setting's own fields, which nexla-sdk 1.0.8 parses as a NotificationSetting.
    """
    kind = notification_type(type_id)
    found = [r for r in caller.store.list("notification_settings", {"owner_id": caller.user["id"]})
             if r["notification_type_id"] == kind["id"]]
    return [{**shape_setting(caller, r), "setting_id": r["id"], "resource_type": r["notification_resource_type"],
             "resource_id": r.get("resource_id"), "setting_config": r.get("config"),
             "setting_created_at": r["created_at"], "setting_updated_at": r["updated_at"],
             **{f"notification_type_{name}": kind[key] for name, key in TYPE_COLUMNS}} for r in found]


TYPE_COLUMNS = (("name", "name"), ("description", "description"), ("code", "id"), ("category", "category"),
                ("event_type", "event_type"), ("resource_type", "resource_type"))


def settings_of_resource(caller: Caller, resource_type: str, resource_id: int) -> list[dict]:
    """The caller's notification settings that name one resource."""
    resource_type = resource_type.upper()
    if resource_type not in RESOURCE_TYPES:
        raise bad_request(f"'resource_type' must be one of {', '.join(RESOURCE_TYPES)}", "resource_type")
    return [shape_setting(caller, r) for r in caller.store.list("notification_settings", {"owner_id": caller.user["id"]})
            if r["notification_resource_type"] == resource_type and r.get("resource_id") == resource_id]


def user_settings(caller: Caller) -> list[dict]:
    """The caller's UI settings (one entry per settings type)."""
    owner = caller.renderer.owner(caller.user["id"])
    org = caller.renderer.org(caller.user["org_id"])
    stored = caller.store.list("user_settings", {"owner_id": caller.user["id"]})
    return [{"id": str(r["id"]), "owner": owner, "org": org, "user_settings_type": r["user_settings_type"],
             "settings": r.get("settings") or {}} for r in stored] or [
        {"id": f"{caller.user['id']}-ui", "owner": owner, "org": org, "user_settings_type": "UI", "settings": {}}]
