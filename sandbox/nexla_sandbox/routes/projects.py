"""``/projects`` and their flows (rules in ``nexla_sandbox.backend.projects``).

``GET /projects/{id}/flows`` answers the flow tree; PUT adds, POST replaces and DELETE removes
(no body: all) flows; ``POST /projects/{id}/flows/search`` filters them by their root source.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import projects
from nexla_sandbox.params import optional_list
from nexla_sandbox.routes.common import Ctx, Handler, route
from nexla_sandbox.routes.flows import tree
from nexla_sandbox.routes.resources import crud_routes


def get_flows(ctx: Ctx) -> dict:
    """The project's flows as a flow tree."""
    return tree(ctx, projects.project_roots(ctx, ctx.id()))


def edit_flows(mode: str) -> Handler:
    def edit(ctx: Ctx) -> list[dict]:
        """Add (PUT), replace (POST) or remove (DELETE; no body = all) project flows (admin role)."""
        project, flows = projects.edit_flows(ctx, ctx.id(), mode, ctx.body_dict())
        return [ctx.renderer.project_flow(project, e) for e in flows]

    edit.__name__ = f"{mode}_project_flows"
    return edit


def search_flows(ctx: Ctx) -> dict:
    """Flows of the project whose root source matches every filter."""
    return tree(ctx, projects.search_flows(ctx, ctx.id(), optional_list(ctx.body_dict(), "filters") or []))


def extra() -> list[Route]:
    path = "/projects/{id:int}/flows"
    return [route(path, get_flows, ["GET"]), route(path, edit_flows("add"), ["PUT"]),
            route(path, edit_flows("replace"), ["POST"]), route(path, edit_flows("remove"), ["DELETE"]),
            route(f"{path}/search", search_flows, ["POST"])]


def routes() -> list[Route]:
    return crud_routes(projects.FAMILY, extra)
