"""``{collection}/{id}/accessors`` on every shareable resource (rules in ``nexla_sandbox.backend.accessors``).

GET lists; PUT merges roles into existing accessors; POST replaces them all; DELETE removes the
named accessors or, without a body, every accessor that is not an owner. Bodies are
``{"accessors": [...]}`` or a bare array.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import accessors
from nexla_sandbox.routes.common import Ctx, Handler, route


def sent(ctx: Ctx) -> object | None:
    """The accessor entries of the body (``{"accessors": [...]}`` or a bare array); None for an empty body."""
    if ctx.body is None or ctx.body == {}:
        return None
    if isinstance(ctx.body, dict) and ctx.body.get("accessors") is not None:
        return ctx.body["accessors"]
    return ctx.body  # a bare array, or an object without entries (which the backend refuses, naming the field)


def make(kind: str) -> list[Route]:
    def get(ctx: Ctx) -> list[dict]:
        """Accessors of the resource (collaborator role)."""
        return accessors.list_accessors(ctx, kind, ctx.id())

    def edit(mode: str) -> Handler:
        def handler(ctx: Ctx) -> list[dict]:
            """Change accessors (admin role): PUT merges, POST replaces, DELETE removes."""
            return accessors.edit(ctx, kind, ctx.id(), mode, sent(ctx))

        handler.__name__ = f"{mode}_{kind}_accessors"
        return handler

    get.__name__ = f"get_{kind}_accessors"
    path = f"/{kind}/{{id:int}}/accessors"
    return [route(path, get, ["GET"]), *(route(path, edit(mode), [method])
                                         for method, mode in (("PUT", "add"), ("POST", "replace"), ("DELETE", "remove")))]


def routes() -> list[Route]:
    return [r for kind in accessors.SHAREABLE for r in make(kind)]
