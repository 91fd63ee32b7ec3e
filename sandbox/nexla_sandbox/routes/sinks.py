"""``/data_sinks`` routes: plain CRUD over the family in ``nexla_sandbox.backend.sinks``."""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend.sinks import FAMILY
from nexla_sandbox.routes.resources import crud_routes


def routes() -> list[Route]:
    return crud_routes(FAMILY)
