"""``/notifications``: the caller's own notifications (filters ``read``, ``level``, ``from``, ``to``)."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response
from starlette.routing import Route

from nexla_sandbox.backend.records import change, remove
from nexla_sandbox.errors import bad_request, not_found
from nexla_sandbox.params import flag, integer, paginate
from nexla_sandbox.routes.common import Ctx, route, status_ok
from nexla_sandbox.routes.resources import deleted
from nexla_sandbox.state.store import now_iso

LEVELS = {"DEBUG", "INFO", "WARN", "ERROR", "RECOVERED", "RESOLVED"}


def mine(ctx: Ctx) -> list[dict]:
    found = ctx.store.list("notifications", {"owner_id": ctx.user["id"]})
    if "read" in ctx.query:
        wanted = flag(ctx.query, "read")
        found = [n for n in found if bool(n.get("read_at")) == wanted]
    if "level" in ctx.query:
        level = ctx.query["level"].upper()
        if level not in LEVELS:
            raise bad_request(f"'level' must be one of {sorted(LEVELS)}", "level")
        found = [n for n in found if n.get("level") == level]
    start, end = integer(ctx.query, "from"), integer(ctx.query, "to")
    if start is not None or end is not None:
        def stamp(n: dict) -> float:
            return datetime.fromisoformat(n["created_at"]).timestamp()
        found = [n for n in found if (start is None or stamp(n) >= start) and (end is None or stamp(n) <= end)]
    return found


def own(ctx: Ctx) -> dict:
    record = ctx.store.get("notifications", ctx.id())
    if record is None or record["owner_id"] != ctx.user["id"]:
        raise not_found("notifications", ctx.id())
    return record


def list_notifications(ctx: Ctx) -> list[dict]:
    """The caller's notifications, newest last."""
    return [ctx.render("notifications", n) for n in paginate(mine(ctx), ctx.query)]


def count(ctx: Ctx) -> dict:
    """How many notifications match (``read=0`` for unread)."""
    return {"count": len(mine(ctx))}


def get_notification(ctx: Ctx) -> dict:
    """One notification."""
    return ctx.render("notifications", own(ctx))


def delete_notification(ctx: Ctx) -> Response | dict:
    """Delete one notification (200, no body)."""
    remove(ctx, "notifications", own(ctx))
    return deleted("notifications", ctx.id())


def delete_all(ctx: Ctx) -> dict:
    """Delete all of the caller's notifications."""
    records = ctx.store.list("notifications", {"owner_id": ctx.user["id"]})
    with ctx.store.db.transaction():
        for record in records:
            remove(ctx, "notifications", record)
    return status_ok(f"{len(records)} notifications deleted")


def mark(read: bool):
    def handler(ctx: Ctx) -> dict:
        """Mark notifications read/unread: body is a bare array of ids, or ``?notification_id=all``."""
        records = ctx.store.list("notifications", {"owner_id": ctx.user["id"]})
        if ctx.query.get("notification_id") != "all":
            ids = ctx.body if ctx.body is not None else []
            if isinstance(ids, dict):
                ids = ids.get("notification_ids", ids.get("ids", []))
            if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise bad_request("Body must be a JSON array of notification ids", "notification_ids")
            missing = set(ids) - {r["id"] for r in records}
            if missing:
                raise bad_request(f"No such notifications: {sorted(missing)}", "notification_ids")
            records = [r for r in records if r["id"] in set(ids)]
        with ctx.store.db.transaction():
            for record in records:
                change(ctx, "notifications", record, {"read_at": now_iso() if read else None})
        return status_ok(f"{len(records)} notifications marked {'read' if read else 'unread'}")

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
