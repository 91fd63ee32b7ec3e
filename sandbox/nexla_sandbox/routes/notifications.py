"""``/notifications``: the caller's own notifications (filters ``read``, ``level``, ``from``, ``to``).

The rules are in ``nexla_sandbox.backend.notifications``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from nexla_sandbox.backend import notifications
from nexla_sandbox.params import flag, integer, paginate
from nexla_sandbox.routes.common import Ctx, Handler, route, status_ok
from nexla_sandbox.routes.resources import deleted


def mine(ctx: Ctx) -> list[dict]:
    """The caller's notifications the query's filters keep."""
    return notifications.mine(ctx, flag(ctx.query, "read") if "read" in ctx.query else None, ctx.query.get("level"),
                              integer(ctx.query, "from"), integer(ctx.query, "to"))


def list_notifications(ctx: Ctx) -> list[dict]:
    """The caller's notifications, newest last."""
    return [ctx.render("notifications", n) for n in paginate(mine(ctx), ctx.query)]


def count(ctx: Ctx) -> dict:
    """How many notifications match (``read=0`` for unread)."""
    return {"count": len(mine(ctx))}


def get_notification(ctx: Ctx) -> dict:
    """One notification."""
    return ctx.render("notifications", notifications.own(ctx, ctx.id()))


def delete_notification(ctx: Ctx) -> Response | dict:
    """Delete one notification (200, no body)."""
    notifications.delete(ctx, ctx.id())
    return deleted("notifications", ctx.id())


def delete_all(ctx: Ctx) -> dict:
    """Delete all of the caller's notifications."""
    return status_ok(f"{notifications.delete_all(ctx)} notifications deleted")


def sent_ids(ctx: Ctx) -> Any:
    """The ids of the body (a bare array, or ``notification_ids``/``ids``); None for ``?notification_id=all``."""
    if ctx.query.get("notification_id") == "all":
        return None
    ids = ctx.body if ctx.body is not None else []
    return ids.get("notification_ids", ids.get("ids", [])) if isinstance(ids, dict) else ids


def mark(read: bool) -> Handler:
    def handler(ctx: Ctx) -> dict:
        """Mark notifications read/unread: body is a bare array of ids, or ``?notification_id=all``."""
        marked = notifications.mark(ctx, sent_ids(ctx), read)
        return status_ok(f"{marked} notifications marked {'read' if read else 'unread'}")

    handler.__name__ = "mark_read" if read else "mark_unread"
    return handler


def routes() -> list[Route]:
    return [route("/notifications", list_notifications, ["GET"]),
            route("/notifications/count", count, ["GET"]),
            route("/notifications/all", delete_all, ["DELETE"]),
            route("/notifications/mark_read", mark(True), ["PUT"]),
            route("/notifications/mark_unread", mark(False), ["PUT"]),
            route("/notifications/{id:int}", get_notification, ["GET"]),
            route("/notifications/{id:int}", delete_notification, ["DELETE"])]
