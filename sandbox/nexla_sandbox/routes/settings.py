"""Per-user settings: ``/user_settings``, quarantine settings, notification types, settings and channel settings.

Settings belong to the user who made them (org admins see and change those of their org). They are
not shared through accessors, so their lists are simply the caller's own.

* ``GET /notification_types`` lists the fixed catalogue; ``/notification_types/list`` picks the one
  type for an ``event_type`` and ``resource_type``.
* ``/notification_settings`` (CRUD) say which channel a type of notification goes to, optionally for one
  resource; ``/notification_settings/notification_types/{id}`` and ``/{resource_type}/{resource_id}``
  are views over them.
* ``/notification_channel_settings`` (CRUD) hold a channel's configuration (an e-mail address, a
  Slack or webhook URL).
* ``/users/{id}/quarantine_settings`` (GET, POST, PUT, DELETE): where a user's error records are
  exported (a credential and a path), one per user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import optional_dict, require_int
from nexla_sandbox.routes.common import Ctx, route, status_ok
from nexla_sandbox.backend.records import change, insert, reference, remove

CHANNELS = ("APP", "EMAIL", "SMS", "SLACK", "WEBHOOKS")
RESOURCE_TYPES = ("ORG", "USER", "DATA_FLOW", "CUSTOM_DATA_FLOW", "SOURCE", "DATASET", "SINK")
# (id, name, category, event_type, resource_type): the catalogue the sandbox's runtime can raise.
TYPES = (
    (1, "Source read started", "DATA", "READ_START", "SOURCE"),
    (2, "Source read done", "DATA", "READ_DONE", "SOURCE"),
    (3, "Source error", "DATA", "ERROR", "SOURCE"),
    (4, "Sink write started", "DATA", "WRITE_START", "SINK"),
    (5, "Sink write done", "DATA", "WRITE_DONE", "SINK"),
    (6, "Sink error", "DATA", "ERROR", "SINK"),
    (7, "Nexset record errors", "DATA", "ERROR_AGGREGATED", "DATASET"),
    (8, "Nexset empty data", "DATA", "EMPTY_DATA", "DATASET"),
    (9, "Flow activated", "PLATFORM", "ACTIVATE", "DATA_FLOW"),
    (10, "Flow paused", "PLATFORM", "PAUSE", "DATA_FLOW"),
    (11, "Resource shared", "PLATFORM", "SHARE", "USER"),
    (12, "Password reset", "SYSTEM", "RESETPASS", "USER"),
    (13, "Org metrics", "SYSTEM", "METRICS", "ORG"),
)


def notification_type(type_id: int) -> dict:
    for id_, name, category, event_type, resource_type in TYPES:
        if id_ == type_id:
            return {"id": id_, "name": name, "description": f"{name} ({resource_type.lower()})",
                    "category": category, "default": True, "status": True,
                    "event_type": event_type, "resource_type": resource_type}
    raise not_found("notification_types", type_id)


def list_types(ctx: Ctx) -> list[dict]:
    """The notification type catalogue."""
    return [notification_type(t[0]) for t in TYPES]


def find_type(ctx: Ctx) -> dict:
    """The notification type for ``event_type`` and ``resource_type`` (both required)."""
    event, resource = ctx.query.get("event_type"), ctx.query.get("resource_type")
    for name, value in (("event_type", event), ("resource_type", resource)):
        if not value:
            raise bad_request(f"'{name}' is required", name)
    found = next((t for t in TYPES if t[3] == event and t[4] == resource), None)
    if found is None:
        raise not_found("notification_types", f"{event}/{resource}")
    return notification_type(found[0])


def owned(ctx: Ctx, kind: str, id_: int) -> dict:
    """A setting of the caller (or, for an org admin, of their org); 404 otherwise."""
    record = ctx.store.get(kind, id_)
    if record is None or not (record["owner_id"] == ctx.user["id"]
                              or (ctx.user.get("is_org_admin") and record["org_id"] == ctx.user["org_id"])):
        raise not_found(kind, id_)
    return record


def choice(body: dict, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = body.get(name, default)
    if value not in allowed:
        raise bad_request(f"'{name}' must be one of {', '.join(allowed)}", name)
    assert isinstance(value, str)
    return value


def setting_fields(ctx: Ctx, body: dict, current: dict | None = None) -> dict:
    current = current or {}
    fields: dict[str, Any] = {}
    if current == {} or "notification_type_id" in body:
        type_id = require_int(body, "notification_type_id")
        assert type_id is not None
        notification_type(type_id)
        fields["notification_type_id"] = type_id
    if current == {} or "channel" in body:
        fields["channel"] = choice(body, "channel", CHANNELS)
    if "status" in body or current == {}:
        fields["status"] = choice(body, "status", ("ACTIVE", "PAUSED"), "ACTIVE")
    if "notification_resource_type" in body or current == {}:
        kind = notification_type(fields.get("notification_type_id", current.get("notification_type_id", 0)))
        fields["notification_resource_type"] = choice(body, "notification_resource_type", RESOURCE_TYPES,
                                                      kind["resource_type"])
    if "resource_id" in body:
        fields["resource_id"] = require_int(body, "resource_id", required=False)
    if "config" in body or current == {}:
        fields["config"] = optional_dict(body, "config") or {}
    if "priority" in body or current == {}:
        fields["priority"] = require_int(body, "priority", required=False) or 0
    return fields


def shape_setting(record: dict) -> dict:
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


def channel_fields(ctx: Ctx, body: dict, current: dict | None = None) -> dict:
    fields: dict[str, Any] = {}
    if current is None or "channel" in body:
        fields["channel"] = choice(body, "channel", CHANNELS)
    if current is None or "config" in body:
        fields["config"] = optional_dict(body, "config") or {}
    return fields


def shape_channel(record: dict) -> dict:
    return {"id": record["id"], "owner_id": record["owner_id"], "org_id": record["org_id"],
            "channel": record["channel"], "config": record.get("config") or {}}


# List filters nexla-sdk 1.0.8 sends (notifications.list_settings), matched against the shown fields.
FILTERS = ("event_type", "resource_type", "status", "channel")


def crud(kind: str, path: str, fields: Callable[..., dict], shape: Callable[[dict], dict]) -> list[Route]:
    """List (the caller's own), create, get, update and delete for one settings kind."""

    def list_all(ctx: Ctx) -> list[dict]:
        shown = [shape(r) for r in ctx.store.list(kind, {"owner_id": ctx.user["id"]})]
        for name in FILTERS:
            if ctx.query.get(name):
                shown = [item for item in shown if str(item.get(name, "")).upper() == ctx.query[name].upper()]
        return shown

    def create(ctx: Ctx) -> dict:
        return shape(insert(ctx, kind, fields(ctx, ctx.body_dict())))

    def get(ctx: Ctx) -> dict:
        return shape(owned(ctx, kind, ctx.id()))

    def update(ctx: Ctx) -> dict:
        record = owned(ctx, kind, ctx.id())
        return shape(change(ctx, kind, record, fields(ctx, ctx.body_dict(), record)))

    def delete(ctx: Ctx) -> dict:
        remove(ctx, kind, owned(ctx, kind, ctx.id()))
        return status_ok(f"{kind} {ctx.id()} deleted")

    for handler, verb in ((list_all, "list"), (create, "create"), (get, "get"), (update, "update"), (delete, "delete")):
        handler.__name__ = f"{verb}_{kind}"
        handler.__doc__ = f"{verb.title()} {kind.replace('_', ' ')} of the caller."
    one = path + "/{id:int}"
    return [route(path, list_all, ["GET"]), route(path, create, ["POST"]), route(one, get, ["GET"]),
            route(one, update, ["PUT"]), route(one, delete, ["DELETE"])]


def settings_of_type(ctx: Ctx) -> list[dict]:
    """The caller's notification settings for one notification type.

    Each row is the flat per-type shape of the OpenAPI (``setting_id``, ``notification_type_*``) and
    also the setting's own fields, which nexla-sdk 1.0.8 parses as a NotificationSetting.
    """
    kind = notification_type(int(ctx.params["type_id"]))
    found = [r for r in ctx.store.list("notification_settings", {"owner_id": ctx.user["id"]})
             if r["notification_type_id"] == kind["id"]]
    return [{**shape_setting(r), "setting_id": r["id"], "org_id": r["org_id"], "owner_id": r["owner_id"], "channel": r["channel"],
             "resource_type": r["notification_resource_type"], "resource_id": r.get("resource_id"),
             "setting_config": r.get("config"), "priority": r.get("priority") or 0, "status": r["status"],
             "notification_type_id": kind["id"], "setting_created_at": r["created_at"],
             "setting_updated_at": r["updated_at"], "notification_type_name": kind["name"],
             "notification_type_description": kind["description"], "notification_type_code": kind["id"],
             "notification_type_category": kind["category"], "notification_type_event_type": kind["event_type"],
             "notification_type_resource_type": kind["resource_type"]} for r in found]


def settings_of_resource(ctx: Ctx) -> list[dict]:
    """The caller's notification settings that name one resource."""
    resource_type = ctx.params["resource_type"].upper()
    if resource_type not in RESOURCE_TYPES:
        raise bad_request(f"'resource_type' must be one of {', '.join(RESOURCE_TYPES)}", "resource_type")
    return [shape_setting(r) for r in ctx.store.list("notification_settings", {"owner_id": ctx.user["id"]})
            if r["notification_resource_type"] == resource_type and r.get("resource_id") == ctx.id()]


def user_settings(ctx: Ctx) -> list[dict]:
    """The caller's UI settings (one entry per settings type)."""
    owner = ctx.renderer.owner(ctx.user["id"])
    org = ctx.renderer.org(ctx.user["org_id"])
    stored = ctx.store.list("user_settings", {"owner_id": ctx.user["id"]})
    return [{"id": str(r["id"]), "owner": owner, "org": org, "user_settings_type": r["user_settings_type"],
             "settings": r.get("settings") or {}} for r in stored] or [
        {"id": f"{ctx.user['id']}-ui", "owner": owner, "org": org, "user_settings_type": "UI", "settings": {}}]


def quarantine_user(ctx: Ctx) -> dict:
    """The user whose quarantine settings are named: the caller, or a user of an org the caller administers."""
    user = ctx.store.get("users", ctx.id())
    if user is None:
        raise not_found("users", ctx.id())
    if user["id"] != ctx.user["id"] and not (ctx.user.get("is_org_admin") and user["org_id"] == ctx.user["org_id"]):
        raise ApiError(403, f"Forbidden: quarantine settings of user {user['id']} belong to that user or an org admin")
    return user


def quarantine_of(ctx: Ctx, user: dict) -> dict | None:
    found = ctx.store.list("quarantine_settings", {"owner_id": user["id"]})
    return found[0] if found else None


def quarantine_fields(ctx: Ctx, body: dict, current: dict | None) -> dict:
    fields: dict[str, Any] = {}
    if current is None or "data_credentials_id" in body:
        credential = reference(ctx, "data_credentials", body.get("data_credentials_id"), "data_credentials_id")
        fields.update(data_credentials_id=credential["id"], credentials_type=credential.get("credentials_type"))
    if current is None or "config" in body:
        config = optional_dict(body, "config") or {}
        if not isinstance(config.get("path", ""), str):
            raise bad_request("'config.path' must be a string", "config")
        fields["config"] = config
    return fields


def shape_quarantine(ctx: Ctx, record: dict) -> dict:
    credential = ctx.store.get("data_credentials", record["data_credentials_id"])
    return {"id": record["id"], "owner": ctx.renderer.owner(record["owner_id"]), "org": ctx.renderer.org(record["org_id"]),
            "resource_type": "USER", "resource_id": record["owner_id"], "config": record.get("config") or {},
            "data_credentials_id": record["data_credentials_id"], "credentials_type": record.get("credentials_type"),
            "data_credentials": ctx.render("data_credentials", credential) if credential else None,
            "created_at": record["created_at"], "updated_at": record["updated_at"]}


def get_quarantine(ctx: Ctx) -> dict:
    """A user's quarantine (error export) settings; 404 when none."""
    user = quarantine_user(ctx)
    record = quarantine_of(ctx, user)
    if record is None:
        raise not_found("quarantine_settings", user["id"])
    return shape_quarantine(ctx, record)


def create_quarantine(ctx: Ctx) -> dict:
    """Create a user's quarantine settings (``data_credentials_id``, ``config.path``); 409 when they exist."""
    user = quarantine_user(ctx)
    if quarantine_of(ctx, user) is not None:
        raise ApiError(409, f"User {user['id']} already has quarantine settings; update them with PUT")
    record = insert(ctx, "quarantine_settings", quarantine_fields(ctx, ctx.body_dict(), None),
                    owner_id=user["id"], org_id=user["org_id"])
    return shape_quarantine(ctx, record)


def update_quarantine(ctx: Ctx) -> dict:
    """Change a user's quarantine settings."""
    user = quarantine_user(ctx)
    record = quarantine_of(ctx, user)
    if record is None:
        raise not_found("quarantine_settings", user["id"])
    return shape_quarantine(ctx, change(ctx, "quarantine_settings", record,
                                        quarantine_fields(ctx, ctx.body_dict(), record)))


def delete_quarantine(ctx: Ctx) -> dict:
    """Delete a user's quarantine settings."""
    user = quarantine_user(ctx)
    record = quarantine_of(ctx, user)
    if record is None:
        raise not_found("quarantine_settings", user["id"])
    remove(ctx, "quarantine_settings", record)
    return status_ok(f"Quarantine settings of user {user['id']} deleted")


def routes() -> list[Route]:
    quarantine = "/users/{id:int}/quarantine_settings"
    return [
        route("/user_settings", user_settings, ["GET"]),
        route("/notification_types", list_types, ["GET"]),
        route("/notification_types/list", find_type, ["GET"]),
        route("/notification_settings/notification_types/{type_id:int}", settings_of_type, ["GET"]),
        route("/notification_settings/{resource_type}/{id:int}", settings_of_resource, ["GET"]),
        *crud("notification_settings", "/notification_settings", setting_fields, shape_setting),
        *crud("notification_channel_settings", "/notification_channel_settings", channel_fields, shape_channel),
        route(quarantine, get_quarantine, ["GET"]), route(quarantine, create_quarantine, ["POST"]),
        route(quarantine, update_quarantine, ["PUT"]), route(quarantine, delete_quarantine, ["DELETE"]),
    ]
