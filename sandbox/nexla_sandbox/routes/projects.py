"""``/projects`` and their flows.

Flow entries are identified by ``{"data_flows": [{"data_source_id"|"data_set_id"|"data_sink_id": id}]}``
or ``{"flows": [flow_node_id, ...]}``; each resolves to the whole flow (its root node). An entry's
``id`` is that root node id. ``POST /projects/{id}/flows/search`` takes
``{"filters": [{"field": "name"|"status"|"source_type"|"id", "operator": "eq"|"contains", "value": ...}]}``
matched against each flow's root source.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_list, require_str
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.routes.flows import tree
from nexla_sandbox.routes.resources import Family, change, crud_routes
from nexla_sandbox.state.flows import KIND_KEY, resource_of_node, root_of
from nexla_sandbox.state.store import now_iso


def resolve_flows(ctx: Ctx, body: dict) -> list[dict]:
    """Project flow entries for a request body (collaborator rights on each flow)."""
    entries: list[dict] = []
    for item in optional_list(body, "data_flows") or []:
        if not isinstance(item, dict):
            raise bad_request("each of 'data_flows' must be an object naming a resource id", "data_flows")
        found = next(((kind, item[key]) for kind, key in KIND_KEY.items() if item.get(key) is not None), None)
        if found is None:
            raise bad_request("each of 'data_flows' needs data_source_id, data_set_id or data_sink_id", "data_flows")
        record = ctx.access.require(ctx.user, found[0], found[1], "read")
        entries.append(entry_for(ctx, found[0], record))
    for node_id in optional_list(body, "flows") or []:
        if isinstance(node_id, bool) or not isinstance(node_id, int):
            raise bad_request("'flows' must be a list of flow node ids", "flows")
        found_node = resource_of_node(ctx.store, node_id)
        if found_node is None:
            raise bad_request(f"'flows': flow {node_id} does not exist", "flows")
        ctx.access.check(ctx.user, found_node[0], found_node[1], "read")
        entries.append(entry_for(ctx, *found_node))
    return entries


def entry_for(ctx: Ctx, kind: str, record: dict) -> dict:
    root = root_of(ctx.store, kind, record)
    if root is None:
        raise bad_request(f"{kind} {record['id']} is not part of a flow", "data_flows")
    stamp = now_iso()
    return {"id": root["flow_node_id"], "flow_node_id": root["flow_node_id"], "data_source_id": root["id"],
            "name": root.get("name"), "description": root.get("description"), "created_at": stamp, "updated_at": stamp}


def create(ctx: Ctx, body: dict) -> dict:
    return {"name": require_str(body, "name"), "description": body.get("description") or "",
            "data_flows": merge([], resolve_flows(ctx, body))}


def update(ctx: Ctx, record: dict, body: dict) -> dict:
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "description" in body:
        fields["description"] = body["description"] or ""
    if "data_flows" in body or "flows" in body:
        fields["data_flows"] = merge([], resolve_flows(ctx, body))
    return fields


def merge(current: list[dict], new: list[dict]) -> list[dict]:
    by_id = {e["id"]: e for e in current}
    for entry in new:
        by_id.setdefault(entry["id"], entry)
    return list(by_id.values())


def live_roots(ctx: Ctx, project: dict) -> list[dict]:
    roots = []
    for entry in project.get("data_flows", []):
        source = ctx.store.get("data_sources", entry.get("data_source_id") or 0)
        if source and ctx.access.allowed(ctx.user, "data_sources", source, "read"):
            roots.append(source)
    return roots


def get_flows(ctx: Ctx) -> dict:
    """The project's flows as a flow tree."""
    project = ctx.access.require(ctx.user, "projects", ctx.id(), "read")
    return tree(ctx, live_roots(ctx, project))


def edit_flows(mode: str):
    def edit(ctx: Ctx) -> list[dict]:
        """Add (PUT), replace (POST) or remove (DELETE; no body = all) project flows (admin role)."""
        project = ctx.access.require(ctx.user, "projects", ctx.id(), "update")
        body = ctx.body_dict()
        wanted = resolve_flows(ctx, body) if body else None
        current = project.get("data_flows", [])
        if mode == "add":
            flows = merge(current, wanted or [])
        elif mode == "replace":
            flows = merge([], wanted or [])
        else:
            drop = None if wanted is None else {e["id"] for e in wanted}
            flows = [] if drop is None else [e for e in current if e["id"] not in drop]
        updated = change(ctx, "projects", project, {"data_flows": flows})
        return [ctx.renderer.project_flow(updated, e) for e in flows]

    edit.__name__ = f"{mode}_project_flows"
    return edit


def matches(source: dict, item: Any) -> bool:
    if not isinstance(item, dict) or "field" not in item:
        raise bad_request("each filter must be an object with 'field' and 'value'", "filters")
    actual, value = source.get(item["field"]), item.get("value")
    if item.get("operator", "eq") == "contains":
        return str(value).lower() in str(actual or "").lower()
    return str(actual) == str(value)


def search_flows(ctx: Ctx) -> dict:
    """Flows of the project whose root source matches every filter."""
    project = ctx.access.require(ctx.user, "projects", ctx.id(), "read")
    filters = optional_list(ctx.body_dict(), "filters") or []
    return tree(ctx, [s for s in live_roots(ctx, project) if all(matches(s, f) for f in filters)])


def extra(family: Family) -> list[Route]:
    path = "/projects/{id:int}/flows"
    return [route(path, get_flows, ["GET"]), route(path, edit_flows("add"), ["PUT"]),
            route(path, edit_flows("replace"), ["POST"]), route(path, edit_flows("remove"), ["DELETE"]),
            route(f"{path}/search", search_flows, ["POST"])]


def routes() -> list[Route]:
    return crud_routes(Family("projects", create, update, extra_routes=extra))
