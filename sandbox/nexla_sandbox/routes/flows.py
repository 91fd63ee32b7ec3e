"""Flow trees (``/flows``, ``/{type}/{id}/flow``), activate/pause, flow copy and flow delete.

* ``GET /flows`` returns ONE tree object over the caller's root flows (owned; ``access_role`` widens it),
  every flow unless paged, with the paging headers; ``include_run_metrics=1`` lists only flows that ran.
* ``PUT /flows/{node}/activate|pause`` acts on the subtree under the node, or the whole flow with
  ``all=1``/``full_tree=1``, and returns the flow tree.
* ``PUT /{type}/{id}/activate|pause`` acts on the resource (its whole flow with ``all=1`` or
  ``full_tree=1``) and returns the resource object, or the flow tree when a flag was given.
* ``DELETE /flows/{node}`` and ``DELETE /{type}/{id}/flow`` delete the whole flow holding the
  node/resource (not its credentials): owner rights on the root source, then 405 listing the active
  ids while anything is ACTIVE.
* ``POST /flows/{node}/copy`` copies the whole flow (``copy_dependent_data_flows`` is accepted
  and has no effect: sandbox flows have no dependents).

The rules are in ``nexla_sandbox.backend.flows``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexla_sandbox.backend import flows
from nexla_sandbox.params import flag, page_headers, requested_window
from nexla_sandbox.routes.common import Ctx, Handler, route
from nexla_sandbox.state.flows import KIND_KEY


def tree(ctx: Ctx, roots: list[dict]) -> dict:
    """The FlowResponse object for the given root sources, as the query asks (``flows_only``, run metrics)."""
    return flows.tree(ctx, roots, flows_only=flag(ctx.query, "flows_only"),
                      run_metrics=flag(ctx.query, "include_run_metrics"))


def whole_flow(ctx: Ctx) -> bool:
    return flag(ctx.query, "all") or flag(ctx.query, "full_tree")


def resource_action(kind: str, status: str) -> Handler:
    def act(ctx: Ctx) -> dict:
        """Activate or pause the resource (whole flow with all=1/full_tree=1; operator role)."""
        shown, record = flows.set_resource_status(ctx, kind, ctx.id(), status, whole_flow(ctx))
        return tree(ctx, [record]) if shown == "flows" else ctx.render(kind, record)

    act.__name__ = f"{'activate' if status == 'ACTIVE' else 'pause'}_{kind}"
    return act


def flow_action(status: str) -> Handler:
    def act(ctx: Ctx) -> dict:
        """Activate or pause the flow under a node (the whole flow with all=1); returns the flow tree."""
        return tree(ctx, [flows.set_flow_status(ctx, ctx.id(), status, whole_flow(ctx))])

    act.__name__ = "activate_flow" if status == "ACTIVE" else "pause_flow"
    return act


def list_flows(ctx: Ctx) -> Response:
    """The caller's flows (``access_role``: shared ones too) as one tree object, paged over root flows.

    ``include_run_metrics=1`` keeps only flows whose source has run.
    """
    window = requested_window(ctx.query)
    roots, total = flows.list_roots(ctx, window, ctx.query.get("access_role"), flag(ctx.query, "include_run_metrics"))
    return JSONResponse(tree(ctx, roots), headers=page_headers(str(ctx.request.url), window, total))


def get_flow(ctx: Ctx) -> dict:
    """The flow containing a node."""
    return tree(ctx, [flows.flow_root(ctx, ctx.id(), "read")])


def flow_deleted(node_id: str) -> dict:
    return {"code": "200", "message": f"Flow {node_id} deleted"}


def delete_flow(ctx: Ctx) -> dict:
    """Delete the whole flow containing a node (owner of its root; 405 while any of it is active)."""
    return flow_deleted(flows.delete_flow(ctx, flows.anchor_of_node(ctx, ctx.id())[2]))


def copy_flow(ctx: Ctx) -> dict:
    """Copy the whole flow containing a node; returns the new flow's tree."""
    return tree(ctx, [flows.copy_flow(ctx, ctx.id(), ctx.body_dict())])


def resource_flow(kind: str) -> tuple[Callable[[Ctx], dict], Callable[[Ctx], dict]]:
    def get(ctx: Ctx) -> dict:
        """The flow containing a resource."""
        return tree(ctx, [flows.resource_root(ctx, kind, ctx.id())])

    def delete(ctx: Ctx) -> dict:
        """Delete the whole flow containing a resource (owner of its root; 405 while any of it is active)."""
        return flow_deleted(flows.delete_flow(ctx, flows.resource_root(ctx, kind, ctx.id())))

    get.__name__, delete.__name__ = f"get_{kind}_flow", f"delete_{kind}_flow"
    return get, delete


def routes() -> list[Route]:
    table = [
        route("/flows", list_flows, ["GET"]),
        route("/flows/{id:int}", get_flow, ["GET"]),
        route("/flows/{id:int}", delete_flow, ["DELETE"]),
        route("/flows/{id:int}/activate", flow_action("ACTIVE"), ["PUT"]),
        route("/flows/{id:int}/pause", flow_action("PAUSED"), ["PUT"]),
        route("/flows/{id:int}/copy", copy_flow, ["POST"]),
    ]
    for kind in KIND_KEY:
        get, delete = resource_flow(kind)
        table += [
            route(f"/{kind}/{{id:int}}/flow", get, ["GET"]),
            route(f"/{kind}/{{id:int}}/flow", delete, ["DELETE"]),
            route(f"/{kind}/{{id:int}}/activate", resource_action(kind, "ACTIVE"), ["PUT"]),
            route(f"/{kind}/{{id:int}}/pause", resource_action(kind, "PAUSED"), ["PUT"]),
        ]
    return table
