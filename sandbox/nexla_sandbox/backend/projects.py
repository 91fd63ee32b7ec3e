"""Project rules (``/projects``): fields and their flows.

Flow entries are identified by ``{"data_flows": [{"data_source_id"|"data_set_id"|"data_sink_id": id}]}``
or ``{"flows": [flow_node_id, ...]}``; each resolves to the whole flow (its root node). An entry's
``id`` is that root node id. A flow search takes
``{"filters": [{"field": "name"|"status"|"source_type"|"id", "operator": "eq"|"contains", "value": ...}]}``
matched against each flow's root source.
"""

from __future__ import annotations

from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import Family, change, renamed
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_list, require_str
from nexla_sandbox.state.flows import KIND_KEY, resource_of_node, root_of
from nexla_sandbox.state.store import now_iso


def resolve_flows(caller: Caller, body: dict) -> list[dict]:
    """Project flow entries for a request body (collaborator rights on each flow)."""
    entries: list[dict] = []
    for item in optional_list(body, "data_flows") or []:
        if not isinstance(item, dict):
            raise bad_request("each of 'data_flows' must be an object naming a resource id", "data_flows")
        found = next(((kind, item[key]) for kind, key in KIND_KEY.items() if item.get(key) is not None), None)
        if found is None:
            raise bad_request("each of 'data_flows' needs data_source_id, data_set_id or data_sink_id", "data_flows")
        record = caller.access.require(caller.user, found[0], found[1], "read")
        entries.append(entry_for(caller, found[0], record))
    for node_id in optional_list(body, "flows") or []:
        if isinstance(node_id, bool) or not isinstance(node_id, int):
            raise bad_request("'flows' must be a list of flow node ids", "flows")
        found_node = resource_of_node(caller.store, node_id)
        if found_node is None:
            raise bad_request(f"'flows': flow {node_id} does not exist", "flows")
        caller.access.check(caller.user, found_node[0], found_node[1], "read")
        entries.append(entry_for(caller, *found_node))
    return entries


def entry_for(caller: Caller, kind: str, record: dict) -> dict:
    root = root_of(caller.store, kind, record)
    if root is None:
        raise bad_request(f"{kind} {record['id']} is not part of a flow", "data_flows")
    stamp = now_iso()
    return {"id": root["flow_node_id"], "flow_node_id": root["flow_node_id"], "data_source_id": root["id"],
            "name": root.get("name"), "description": root.get("description"), "created_at": stamp, "updated_at": stamp}


def create(caller: Caller, body: dict) -> dict:
    return {"name": require_str(body, "name"), "description": body.get("description") or "",
            "data_flows": merge([], resolve_flows(caller, body))}


def update(caller: Caller, record: dict, body: dict) -> dict:
    fields = renamed(body)
    if "data_flows" in body or "flows" in body:
        fields["data_flows"] = merge([], resolve_flows(caller, body))
    return fields


def merge(current: list[dict], new: list[dict]) -> list[dict]:
    by_id = {e["id"]: e for e in current}
    for entry in new:
        by_id.setdefault(entry["id"], entry)
    return list(by_id.values())


def live_roots(caller: Caller, project: dict) -> list[dict]:
    roots = []
    for entry in project.get("data_flows", []):
        source = caller.store.get("data_sources", entry.get("data_source_id") or 0)
        if source and caller.access.allowed(caller.user, "data_sources", source, "read"):
            roots.append(source)
    return roots


def project_roots(caller: Caller, id: int) -> list[dict]:
    """The root sources of a project's flows that the caller may read."""
    return live_roots(caller, caller.access.require(caller.user, "projects", id, "read"))


def edit_flows(caller: Caller, id: int, mode: str, body: dict) -> tuple[dict, list[dict]]:
    """Add, replace or remove (an empty body: all) project flows (admin role); (project, its flow entries)."""
    project = caller.access.require(caller.user, "projects", id, "update")
    wanted = resolve_flows(caller, body) if body else None
    current = project.get("data_flows", [])
    if mode == "add":
        flows = merge(current, wanted or [])
    elif mode == "replace":
        flows = merge([], wanted or [])
    else:
        drop = None if wanted is None else {e["id"] for e in wanted}
        flows = [] if drop is None else [e for e in current if e["id"] not in drop]
    return change(caller, "projects", project, {"data_flows": flows}), flows


def matches(source: dict, item: Any) -> bool:
    if not isinstance(item, dict) or "field" not in item:
        raise bad_request("each filter must be an object with 'field' and 'value'", "filters")
    actual, value = source.get(item["field"]), item.get("value")
    if item.get("operator", "eq") == "contains":
        return str(value).lower() in str(actual or "").lower()
    return str(actual) == str(value)


def search_flows(caller: Caller, id: int, filters: list) -> list[dict]:
    """Root sources of the project's flows that match every filter."""
    return [s for s in project_roots(caller, id) if all(matches(s, f) for f in filters)]


FAMILY = Family("projects", create, update)
