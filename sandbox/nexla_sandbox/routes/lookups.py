"""``/data_maps`` (lookups) routes: CRUD, audit log, and their entries (rules in ``nexla_sandbox.backend.lookups``).

* ``PUT /data_maps/{id}/entries`` ``{"entries": [{...}]}`` upserts entries by their primary-key
  value and answers the entries written.
* ``GET|DELETE /data_maps/{id}/entries/{keys}`` reads or deletes the entries whose keys are listed
  (comma-separated); GET answers the entries found (``[]`` when none), DELETE answers ``{code, message}``.
* ``data_map`` in a create body seeds the entries; ``map_entry_count`` counts them.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import lookups
from nexla_sandbox.routes import accessors
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.resources import crud_routes


def requested_keys(ctx: Ctx) -> list[str]:
    return [key for key in ctx.params["entry_keys"].split(",") if key != ""]


def upsert_entries(ctx: Ctx) -> list[dict]:
    """Insert or replace entries by primary key (admin role); answers the entries written."""
    entries = ctx.body if isinstance(ctx.body, list) else ctx.body_dict().get("entries")
    return lookups.upsert_entries(ctx, ctx.id(), entries)


def get_entries(ctx: Ctx) -> list[dict]:
    """The entries whose primary keys are listed (comma-separated)."""
    return lookups.get_entries(ctx, ctx.id(), requested_keys(ctx))


def delete_entries(ctx: Ctx) -> dict:
    """Delete the entries whose primary keys are listed (admin role)."""
    return {"code": "200", "message": f"{lookups.delete_entries(ctx, ctx.id(), requested_keys(ctx))} entries deleted"}


def extra() -> list[Route]:
    one = "/data_maps/{id:int}/entries"
    return [route(one, upsert_entries, ["PUT"]),
            route(one + "/{entry_keys}", get_entries, ["GET"]),
            route(one + "/{entry_keys}", delete_entries, ["DELETE"])]


def routes() -> list[Route]:
    return [*crud_routes(lookups.FAMILY, extra), *accessors.make("data_maps")]
