"""``/data_sets`` routes: plain CRUD over the family in ``nexla_sandbox.backend.nexsets``."""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend.nexsets import FAMILY
from nexla_sandbox.routes.resources import crud_routes


def routes() -> list[Route]:
    return crud_routes(FAMILY)
