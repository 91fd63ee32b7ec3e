"""``/runtimes``: custom runtime images a code container can run in (CRUD, activate, pause).

The sandbox runs every flow in-process, so a runtime is bookkeeping: its ``dockerpath`` and
``config`` are stored and shown, and ``active`` follows activate/pause. New runtimes start paused unless created ``active``.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_dict, require_str
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.resources import Family, change, crud_routes


def fields_of(body: dict) -> dict:
    fields: dict = {}
    if "description" in body:
        fields["description"] = require_str(body, "description", required=False) or ""
    if "dockerpath" in body:
        fields["dockerpath"] = require_str(body, "dockerpath", required=False) or ""
    if "config" in body:
        fields["config"] = optional_dict(body, "config") or {}
    for name in ("managed", "active"):
        if name in body:
            if not isinstance(body[name], bool):
                raise bad_request(f"'{name}' must be true or false", name)
            fields[name] = body[name]
    return fields


def create(ctx: Ctx, body: dict) -> dict:
    return {"name": require_str(body, "name"), "description": "", "dockerpath": "", "config": {},
            "active": False, **fields_of(body)}


def update(ctx: Ctx, record: dict, body: dict) -> dict:
    fields = fields_of(body)
    if "name" in body:
        fields["name"] = require_str(body, "name")
    return fields


def set_active(active: bool):
    def handler(ctx: Ctx) -> dict:
        """Activate or pause a runtime (operator role)."""
        record = ctx.access.require(ctx.user, "runtimes", ctx.id(), "operate")
        return ctx.render("runtimes", change(ctx, "runtimes", record, {"active": active},
                                             "activate" if active else "pause"))

    handler.__name__ = "activate_runtime" if active else "pause_runtime"
    return handler


def extra(family: Family) -> list[Route]:
    return [route("/runtimes/{id:int}/activate", set_active(True), ["PUT"]),
            route("/runtimes/{id:int}/pause", set_active(False), ["PUT"])]


def routes() -> list[Route]:
    return crud_routes(Family("runtimes", create, update, extra_routes=extra))
