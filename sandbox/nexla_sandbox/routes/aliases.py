"""Older spellings the OpenAPI still documents, served by the handlers of the current ones.

``/projects/{id}/data_flows`` edits like ``/projects/{id}/flows``, but its GET answers the project's
flow entries (``ProjectDataFlow``) as the edits do, not the flow tree. ``/data_flows/{id}/accessors``
is ``/flows/{id}/accessors``.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.routes import accessors, projects
from nexla_sandbox.routes.common import Ctx, route


def list_data_flows(ctx: Ctx) -> list[dict]:
    """The project's flow entries (the old spelling of GET /projects/{id}/flows)."""
    project = ctx.access.require(ctx.user, "projects", ctx.id(), "read")
    return [ctx.renderer.project_flow(project, entry) for entry in project.get("data_flows", [])]


def renamed(table: list[Route], old: str, new: str) -> list[Route]:
    """The routes of ``table`` whose path is ``old``, answering at ``new``."""
    return [Route(new, r.endpoint, methods=sorted((r.methods or set()) - {"HEAD"}), name=f"{r.name} ({new})")
            for r in table if r.path == old]


def routes() -> list[Route]:
    project_routes = [r for r in projects.routes() if isinstance(r, Route)]
    edits = [r for r in project_routes if "GET" not in (r.methods or set())]
    return [route("/projects/{id:int}/data_flows", list_data_flows, ["GET"]),
            *renamed(edits, "/projects/{id:int}/flows", "/projects/{id:int}/data_flows"),
            *renamed(accessors.make("flows"), "/flows/{id:int}/accessors", "/data_flows/{id:int}/accessors")]
