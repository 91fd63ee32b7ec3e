"""Flow trees (``/flows``, ``/{type}/{id}/flow``), activate/pause, flow copy and flow delete.

* ``GET /flows`` returns ONE tree object over the caller's root flows (owned; ``access_role`` widens it),
  every flow unless paged, with the paging headers; ``include_run_metrics=1`` lists only flows that ran.
* ``PUT /flows/{node}/activate|pause`` acts on the subtree under the node, or the whole flow with
  ``all=1``/``full_tree=1``, and returns the flow tree.
* ``PUT /{type}/{id}/activate|pause`` acts on the resource (its whole flow with ``all=1`` or
  ``full_tree=1``) and returns the resource object, or the flow tree when a flag was given.
* ``DELETE /flows/{node}`` and ``DELETE /{type}/{id}/flow`` delete the whole flow holding the
  node/resource (not its credentials): 405 listing the active ids while anything is ACTIVE.
* ``POST /flows/{node}/copy`` copies the whole flow (``copy_dependent_data_flows`` is accepted
  and has no effect: sandbox flows have no dependents).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import ApiError, not_found
from starlette.responses import JSONResponse, Response

from nexla_sandbox.params import flag
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.resources import (copy_accessors, copy_owner, insert, list_scope, listing, remove,
                                            unique_copy_name)
from nexla_sandbox.state.flows import KIND_KEY, FlowIndex, project_of_flows, resource_of_node, root_of

FLOW_COPY_DEFAULTS = {"reuse_data_credentials": False, "copy_access_controls": False, "copy_dependent_data_flows": False}


def tree(ctx: Ctx, roots: list[dict]) -> dict:
    """The FlowResponse object for the given root sources."""
    index = FlowIndex.build(ctx.store)
    projects = project_of_flows(ctx.store)
    nodes = [index.node("data_sources", r, r["flow_node_id"], None, projects) for r in roots]
    if flag(ctx.query, "flows_only"):
        return {"flows": nodes}
    found: dict[str, list[dict]] = {k: [] for k in KIND_KEY}
    for root in roots:
        for kind, records in index.members("data_sources", root).items():
            found[kind].extend(records)
    renderer = ctx.renderer
    credential_ids = sorted({r["data_credentials_id"] for k in ("data_sources", "data_sinks")
                             for r in found[k] if r.get("data_credentials_id")})
    transform_ids = sorted({d["transform_id"] for d in found["data_sets"] if d.get("transform_id")})
    response: dict[str, Any] = {
        "flows": nodes,
        **{k: [renderer.render(k, r) for r in records] for k, records in found.items()},
        "data_credentials": [renderer.render("data_credentials", c) for i in credential_ids
                             if (c := ctx.store.get("data_credentials", i))],
        "code_containers": [renderer.render("transforms", t) for i in transform_ids
                            if (t := ctx.store.get("transforms", i))],
        "shared_data_sets": [], "projects": [], "dependent_data_sources": [], "origin_data_sinks": [],
        "orgs": [o for o in (renderer.org(i) for i in {r["org_id"] for r in roots}) if o],
        "users": [u for u in (renderer.owner(i) for i in {r["owner_id"] for r in roots}) if u],
    }
    if flag(ctx.query, "include_run_metrics"):
        response["metrics"] = [m for r in roots for m in ctx.runtime.flow_metrics(r["id"])]
    return response


def anchor_of_node(ctx: Ctx, node_id: int) -> tuple[str, dict, dict]:
    """(kind, record, root source) behind a flow node id; 404 when there is none."""
    found = resource_of_node(ctx.store, node_id)
    root = root_of(ctx.store, *found) if found else None
    if found is None or root is None:
        raise not_found("flows", node_id)
    return found[0], found[1], root


def set_status(ctx: Ctx, members: dict[str, list[dict]], status: str) -> None:
    """Activate or pause every member, then tell the runtime about each source that changed.

    The caller has checked ``operate`` on what it acts on: a flow-level action needs it on the
    flow's root source only (a flow's rights are its root's, as ACCESS_CONTROL.md documents),
    not on each member, which may be a detected nexset nobody shared or another user's destination.
    """
    event = "activate" if status == "ACTIVE" else "pause"
    changed_sources = []
    with ctx.store.db.transaction():
        for kind in ("data_sinks", "data_sets", "data_sources"):
            for record in members.get(kind, []):
                current = ctx.store.get(kind, record["id"]) or record
                if current.get("status") != status:
                    updated = ctx.store.update(kind, record["id"], {"status": status})
                    ctx.audit(kind, record["id"], event, current, updated)
                if kind == "data_sources":
                    changed_sources.append(record["id"])
    for source_id in changed_sources:
        if status == "ACTIVE":
            ctx.runtime.on_source_activated(source_id)
        else:
            ctx.runtime.on_source_paused(source_id)


def whole_tree_requested(ctx: Ctx) -> bool:
    return flag(ctx.query, "all") or flag(ctx.query, "full_tree")


def resource_action(kind: str, status: str):
    def act(ctx: Ctx) -> dict:
        """Activate or pause the resource (whole flow with all=1/full_tree=1; operator role)."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "operate")
        if whole_tree_requested(ctx):
            root = root_of(ctx.store, kind, record)
            if root is None:
                raise not_found(kind, record["id"])
            ctx.access.check(ctx.user, "data_sources", root, "operate", shown_kind="flows")
            set_status(ctx, FlowIndex.build(ctx.store).members("data_sources", root), status)
            return tree(ctx, [ctx.get("data_sources", root["id"])])
        set_status(ctx, {kind: [record]}, status)
        return ctx.render(kind, ctx.get(kind, record["id"]))

    act.__name__ = f"{'activate' if status == 'ACTIVE' else 'pause'}_{kind}"
    return act


def flow_action(status: str):
    def act(ctx: Ctx) -> dict:
        """Activate or pause the flow under a node (the whole flow with all=1); returns the flow tree."""
        kind, record, root = anchor_of_node(ctx, ctx.id())
        ctx.access.check(ctx.user, "data_sources", root, "operate", shown_kind="flows")
        start = ("data_sources", root) if whole_tree_requested(ctx) else (kind, record)
        set_status(ctx, FlowIndex.build(ctx.store).members(*start), status)
        return tree(ctx, [ctx.get("data_sources", root["id"])])

    act.__name__ = "activate_flow" if status == "ACTIVE" else "pause_flow"
    return act


def list_flows(ctx: Ctx) -> Response:
    """The caller's flows (``access_role``: shared ones too) as one tree object, paged over root flows.

    ``include_run_metrics=1`` keeps only flows whose source has run.
    """
    scope = list_scope(ctx, "data_sources")
    if flag(ctx.query, "include_run_metrics"):
        ran = ctx.runtime.ledger.sources_that_ran()
        scope = (f"({scope[0]}) AND id IN (SELECT value FROM json_each(?))", [*scope[1], json.dumps(ran)])
    roots, headers = listing(ctx, "data_sources", scope=scope)
    return JSONResponse(tree(ctx, roots), headers=headers)


def get_flow(ctx: Ctx) -> dict:
    """The flow containing a node."""
    _, _, root = anchor_of_node(ctx, ctx.id())
    ctx.access.check(ctx.user, "data_sources", root, "read", shown_kind="flows")
    return tree(ctx, [root])


def resource_flow(kind: str):
    def get(ctx: Ctx) -> dict:
        """The flow containing a resource."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "read")
        root = root_of(ctx.store, kind, record)
        if root is None:
            raise not_found(kind, record["id"])
        return tree(ctx, [root])

    def delete(ctx: Ctx) -> dict:
        """Delete the whole flow containing a resource (405 while any of it is active)."""
        record = ctx.access.require(ctx.user, kind, ctx.id(), "read")
        root = root_of(ctx.store, kind, record)
        if root is None:
            raise not_found(kind, record["id"])
        return delete_tree(ctx, root)

    get.__name__, delete.__name__ = f"get_{kind}_flow", f"delete_{kind}_flow"
    return get, delete


def delete_tree(ctx: Ctx, root: dict) -> dict:
    members = FlowIndex.build(ctx.store).members("data_sources", root)
    active: dict[str, Any] = {k: [r["id"] for r in records if r.get("status") == "ACTIVE"]
                              for k, records in members.items()}
    if any(active.values()):
        raise ApiError(405, "Active flow resources must be paused before flow deletion!",
                       resource_type="flows", resource_id=root["flow_node_id"], **active)
    with ctx.store.db.transaction():
        for kind in ("data_sinks", "data_sets", "data_sources"):
            for record in reversed(members[kind]):
                ctx.access.check(ctx.user, kind, record, "delete")
                remove(ctx, kind, record)
    return {"code": "200", "message": f"Flow {root['flow_node_id']} deleted"}


def delete_flow(ctx: Ctx) -> dict:
    """Delete the whole flow containing a node (405 while any of it is active)."""
    _, _, root = anchor_of_node(ctx, ctx.id())
    ctx.access.check(ctx.user, "data_sources", root, "read", shown_kind="flows")
    return delete_tree(ctx, root)


def copy_credential(ctx: Ctx, credential_id: int | None, options: dict, owner: tuple[int, int],
                    cache: dict[int, int]) -> int | None:
    """The credential id a copy should use: the same one, or a fresh copy with the same secrets."""
    if credential_id is None or options.get("reuse_data_credentials"):
        return credential_id
    if credential_id not in cache:
        original = ctx.get("data_credentials", credential_id)
        fields = {k: v for k, v in original.items() if k not in {"id", "created_at", "updated_at", "owner_id", "org_id"}}
        fields.update(name=unique_copy_name(ctx, "data_credentials", original["name"], owner[0]),
                      copied_from_id=original["id"], credentials=ctx.store.credential_secrets(credential_id))
        cache[credential_id] = insert(ctx, "data_credentials", fields, owner_id=owner[0], org_id=owner[1])["id"]
    return cache[credential_id]


def clone(ctx: Ctx, kind: str, record: dict, options: dict, overrides: dict, owner: tuple[int, int]) -> dict:
    """Insert a copy of a flow resource (status INIT, new flow node) with ``overrides`` applied."""
    skip = {"id", "created_at", "updated_at", "owner_id", "org_id", "flow_node_id", "status", "api_keys", "run_ids"}
    fields = {k: v for k, v in record.items() if k not in skip}
    fields.update(name=unique_copy_name(ctx, kind, record.get("name") or kind, owner[0]),
                  copied_from_id=record["id"], status="INIT", **overrides)
    new = insert(ctx, kind, fields, owner_id=owner[0], org_id=owner[1])
    if options.get("copy_access_controls"):
        copy_accessors(ctx, kind, record, new)
    return new


def copy_flow(ctx: Ctx) -> dict:
    """Copy the whole flow containing a node; returns the new flow's tree."""
    _, _, root = anchor_of_node(ctx, ctx.id())
    ctx.access.check(ctx.user, "data_sources", root, "copy", shown_kind="flows")
    options = {**FLOW_COPY_DEFAULTS, **ctx.body_dict()}
    owner = copy_owner(ctx, options)
    index = FlowIndex.build(ctx.store)
    credentials: dict[int, int] = {}
    with ctx.store.db.transaction():
        new_root = clone(ctx, "data_sources", root, options, {
            "data_credentials_id": copy_credential(ctx, root.get("data_credentials_id"), options, owner, credentials)
        }, owner)
        stack: list[tuple[str, dict, dict]] = [(k, r, new_root) for k, r in index.children("data_sources", root)]
        while stack:
            kind, record, new_parent = stack.pop(0)
            if kind == "data_sets":
                link = ({"parent_data_set_id": new_parent["id"]} if record.get("parent_data_set_id")
                        else {"data_source_id": new_parent["id"]})
                new = clone(ctx, kind, record, options, link, owner)
                stack.extend((k, r, new) for k, r in index.children(kind, record))
            else:
                clone(ctx, kind, record, options, {
                    "data_set_id": new_parent["id"],
                    "data_credentials_id": copy_credential(ctx, record.get("data_credentials_id"), options, owner, credentials),
                }, owner)
    return tree(ctx, [ctx.get("data_sources", new_root["id"])])


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
