"""``/runtimes`` routes: CRUD, activate and pause (rules in ``nexla_sandbox.backend.runtimes``)."""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import runtimes
from nexla_sandbox.routes.common import Ctx, Handler, route
from nexla_sandbox.routes.resources import crud_routes


def set_active(active: bool) -> Handler:
    def handler(ctx: Ctx) -> dict:
        """Activate or pause a runtime (operator role)."""
        return ctx.render("runtimes", runtimes.set_active(ctx, ctx.id(), active))

    handler.__name__ = "activate_runtime" if active else "pause_runtime"
    return handler


def extra() -> list[Route]:
    return [route("/runtimes/{id:int}/activate", set_active(True), ["PUT"]),
            route("/runtimes/{id:int}/pause", set_active(False), ["PUT"])]


def routes() -> list[Route]:
    return crud_routes(runtimes.FAMILY, extra)
