"""Older spellings the OpenAPI still documents, served by the handlers of the current ones.

``/projects/{id}/data_flows`` is ``/projects/{id}/flows`` and ``/data_flows/{id}/accessors`` is
``/flows/{id}/accessors`` (same methods, bodies and answers).
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.routes import accessors, projects


def renamed(table: list[Route], old: str, new: str) -> list[Route]:
    """The routes of ``table`` whose path is ``old``, answering at ``new``."""
    return [Route(new, r.endpoint, methods=sorted((r.methods or set()) - {"HEAD"}), name=f"{r.name} ({new})")
            for r in table if r.path == old]


def routes() -> list[Route]:
    project_routes = [r for r in projects.routes() if isinstance(r, Route)]
    return [*renamed(project_routes, "/projects/{id:int}/flows", "/projects/{id:int}/data_flows"),
            *renamed(accessors.make("flows"), "/flows/{id:int}/accessors", "/data_flows/{id:int}/accessors")]
