"""Per-user settings routes: ``/user_settings``, quarantine settings, notification types, settings and
channel settings (rules in ``nexla_sandbox.backend.settings``).

* ``GET /notification_types`` lists the fixed catalogue; ``/notification_types/list`` picks the one
  type for an ``event_type`` and ``resource_type``.
* ``/notification_settings`` (CRUD) say which channel a type of notification goes to, optionally for one
  resource; ``/notification_settings/notification_types/{id}`` and ``/{resource_type}/{resource_id}``
  are views over them.
* ``/notification_channel_settings`` (CRUD) hold a channel's configuration (an e-mail address, a
  Slack or webhook URL).
* ``/users/{id}/quarantine_settings`` (GET, POST, PUT, DELETE): where a user's error records are
  exported (a credential and a path), one per user.

The CRUD routes of the three kinds come from one table: each is one handler over one backend action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route

from nexla_sandbox.backend import settings
from nexla_sandbox.backend.settings import SettingsArgs
from nexla_sandbox.routes.common import Ctx, Handler, route

Action = Callable[[Ctx, str, SettingsArgs], Any]
ONE = "/{id:int}"
# (collection path, kind, [(method, path suffix, backend action)])
TABLE: tuple[tuple[str, str, tuple[tuple[str, str, Action], ...]], ...] = (
    *((f"/{kind}", kind, (("GET", "", settings.list_settings), ("POST", "", settings.create_setting),
                          ("GET", ONE, settings.get_setting), ("PUT", ONE, settings.update_setting),
                          ("DELETE", ONE, settings.delete_setting)))
      for kind in ("notification_settings", "notification_channel_settings")),
    ("/users/{id:int}/quarantine_settings", "quarantine_settings",
     (("GET", "", settings.get_setting), ("POST", "", settings.create_setting),
      ("PUT", "", settings.update_setting), ("DELETE", "", settings.delete_setting))),
)


def settings_handler(kind: str, action: Action) -> Handler:
    def handler(ctx: Ctx) -> Any:
        filters = {name: ctx.query[name] for name in settings.FILTERS if ctx.query.get(name)}
        request = SettingsArgs(id=ctx.id() if "id" in ctx.params else None, body=ctx.body_dict(), filters=filters)
        return action(ctx, kind, request)

    handler.__name__ = f"{action.__name__}_{kind}"
    handler.__doc__ = action.__doc__
    return handler


def list_types(ctx: Ctx) -> list[dict]:
    """The notification type catalogue."""
    return settings.list_types()


def find_type(ctx: Ctx) -> dict:
    """The notification type for ``event_type`` and ``resource_type`` (both required)."""
    return settings.find_type(ctx.query.get("event_type"), ctx.query.get("resource_type"))


def settings_of_type(ctx: Ctx) -> list[dict]:
    """The caller's notification settings for one notification type."""
    return settings.settings_of_type(ctx, int(ctx.params["type_id"]))


def settings_of_resource(ctx: Ctx) -> list[dict]:
    """The caller's notification settings that name one resource."""
    return settings.settings_of_resource(ctx, ctx.params["resource_type"], ctx.id())


def user_settings(ctx: Ctx) -> list[dict]:
    """The caller's UI settings (one entry per settings type)."""
    return settings.user_settings(ctx)


def routes() -> list[Route]:
    return [
        route("/user_settings", user_settings, ["GET"]),
        route("/notification_types", list_types, ["GET"]),
        route("/notification_types/list", find_type, ["GET"]),
        route("/notification_settings/notification_types/{type_id:int}", settings_of_type, ["GET"]),
        route("/notification_settings/{resource_type}/{id:int}", settings_of_resource, ["GET"]),
        *(route(path + suffix, settings_handler(kind, action), [method])
          for path, kind, actions in TABLE for method, suffix, action in actions),
    ]
