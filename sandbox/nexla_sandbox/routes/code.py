"""``/transforms``, ``/attribute_transforms``, ``/code_containers`` routes (rules in ``nexla_sandbox.backend.code``)."""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend.code import make
from nexla_sandbox.routes.resources import crud_routes


def routes() -> list[Route]:
    return [r for kind in ("transforms", "attribute_transforms", "code_containers")
            for r in crud_routes(make(kind), public_list=True)]
