"""Flow rules: the flow tree, activate/pause, flow copy and flow delete.

A flow's rights are its root source's (ACCESS_CONTROL.md): flow-level activate, pause, copy and
delete check the caller's role on the root source once, not on each member, which may be a
detected nexset nobody shared or another user's destination. Nexla's admin API does the same:
a flow delete checks delete access on the flow node, then refuses a running flow.
"""

from __future__ import annotations

import json
from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import copy_accessors, copy_owner, insert, list_scope, page, remove, unique_copy_name
from nexla_sandbox.errors import ApiError, not_found
from nexla_sandbox.state.flows import KIND_KEY, FlowIndex, project_of_flows, resource_of_node, root_of

FLOW_COPY_DEFAULTS = {"reuse_data_credentials": False, "copy_access_controls": False, "copy_dependent_data_flows": False}


def tree(caller: Caller, roots: list[dict], *, flows_only: bool = False, run_metrics: bool = False) -> dict:
    """The FlowResponse object for the given root sources."""
    index = FlowIndex.build(caller.store)
    projects = project_of_flows(caller.store)
    nodes = [index.node("data_sources", r, r["flow_node_id"], None, projects) for r in roots]
    if flows_only:
        return {"flows": nodes}
    found: dict[str, list[dict]] = {k: [] for k in KIND_KEY}
    for root in roots:
        for kind, records in index.members("data_sources", root).items():
            found[kind].extend(records)
    renderer = caller.renderer
    credential_ids = sorted({r["data_credentials_id"] for k in ("data_sources", "data_sinks")
                             for r in found[k] if r.get("data_credentials_id")})
    transform_ids = sorted({d["transform_id"] for d in found["data_sets"] if d.get("transform_id")})
    response: dict[str, Any] = {
        "flows": nodes,
        **{k: [renderer.render(k, r) for r in records] for k, records in found.items()},
        "data_credentials": [renderer.render("data_credentials", c) for i in credential_ids
                             if (c := caller.store.get("data_credentials", i))],
        "code_containers": [renderer.render("transforms", t) for i in transform_ids
                            if (t := caller.store.get("transforms", i))],
        "shared_data_sets": [], "projects": [], "dependent_data_sources": [], "origin_data_sinks": [],
        "orgs": [o for o in (renderer.org(i) for i in {r["org_id"] for r in roots}) if o],
        "users": [u for u in (renderer.owner(i) for i in {r["owner_id"] for r in roots}) if u],
    }
    if run_metrics:
        response["metrics"] = [m for r in roots for m in caller.runtime.flow_metrics(r["id"])]
    return response


def anchor_of_node(caller: Caller, node_id: int) -> tuple[str, dict, dict]:
    """(kind, record, root source) behind a flow node id; 404 when there is none."""
    found = resource_of_node(caller.store, node_id)
    root = root_of(caller.store, *found) if found else None
    if found is None or root is None:
        raise not_found("flows", node_id)
    return found[0], found[1], root


def flow_root(caller: Caller, node_id: int, action: str) -> dict:
    """The root source of the flow holding a node, after checking ``action`` on it (the flow's rights)."""
    _, _, root = anchor_of_node(caller, node_id)
    caller.access.check(caller.user, "data_sources", root, action, shown_kind="flows")
    return root


def resource_root(caller: Caller, kind: str, id: int) -> dict:
    """The root source of the flow holding a resource the caller may read; 404 for a broken chain."""
    record = caller.access.require(caller.user, kind, id, "read")
    root = root_of(caller.store, kind, record)
    if root is None:
        raise not_found(kind, record["id"])
    return root


def list_roots(caller: Caller, window: tuple[int, int] | None, access_role: str | None,
               only_ran: bool) -> tuple[list[dict], int]:
    """The caller's root sources (``access_role``: shared ones too), paged; ``only_ran`` keeps flows that ran."""
    scope = list_scope(caller, "data_sources", access_role)
    if only_ran:
        ran = caller.runtime.ledger.sources_that_ran()
        scope = (f"({scope[0]}) AND id IN (SELECT value FROM json_each(?))", [*scope[1], json.dumps(ran)])
    return page(caller, "data_sources", window, scope=scope)


def set_status(caller: Caller, members: dict[str, list[dict]], status: str) -> None:
    """Activate or pause every member, then tell the runtime about each source that changed.

    The caller has checked ``operate`` on what it acts on (for a flow-level action, on the root only).
    """
    event = "activate" if status == "ACTIVE" else "pause"
    changed_sources = []
    with caller.store.db.transaction():
        for kind in ("data_sinks", "data_sets", "data_sources"):
            for record in members.get(kind, []):
                current = caller.store.get(kind, record["id"]) or record
                if current.get("status") != status:
                    updated = caller.store.update(kind, record["id"], {"status": status})
                    caller.audit(kind, record["id"], event, current, updated)
                if kind == "data_sources":
                    changed_sources.append(record["id"])
    for source_id in changed_sources:
        if status == "ACTIVE":
            caller.runtime.on_source_activated(source_id)
        else:
            caller.runtime.on_source_paused(source_id)


def set_resource_status(caller: Caller, kind: str, id: int, status: str, whole_flow: bool) -> tuple[str, dict]:
    """Activate or pause a resource (operator role), or its whole flow (operator on the root).

    Returns ``("flows", root)`` when the whole flow changed, else ``(kind, record)`` as it is now.
    """
    record = caller.access.require(caller.user, kind, id, "operate")
    if not whole_flow:
        set_status(caller, {kind: [record]}, status)
        return kind, caller.get(kind, record["id"])
    root = root_of(caller.store, kind, record)
    if root is None:
        raise not_found(kind, record["id"])
    caller.access.check(caller.user, "data_sources", root, "operate", shown_kind="flows")
    set_status(caller, FlowIndex.build(caller.store).members("data_sources", root), status)
    return "flows", caller.get("data_sources", root["id"])


def set_flow_status(caller: Caller, node_id: int, status: str, whole_flow: bool) -> dict:
    """Activate or pause the subtree under a node (the whole flow with ``whole_flow``); returns the root."""
    kind, record, root = anchor_of_node(caller, node_id)
    caller.access.check(caller.user, "data_sources", root, "operate", shown_kind="flows")
    start = ("data_sources", root) if whole_flow else (kind, record)
    set_status(caller, FlowIndex.build(caller.store).members(*start), status)
    return caller.get("data_sources", root["id"])


def delete_flow(caller: Caller, root: dict) -> str:
    """Delete every member of the flow under ``root`` (delete rights on the root; 405 while any is ACTIVE).

    Returns the flow node id for the answer.
    """
    caller.access.check(caller.user, "data_sources", root, "delete", shown_kind="flows")
    members = FlowIndex.build(caller.store).members("data_sources", root)
    active: dict[str, Any] = {k: [r["id"] for r in records if r.get("status") == "ACTIVE"]
                              for k, records in members.items()}
    if any(active.values()):
        raise ApiError(405, "Active flow resources must be paused before flow deletion!",
                       resource_type="flows", resource_id=root["flow_node_id"], **active)
    with caller.store.db.transaction():
        for kind in ("data_sinks", "data_sets", "data_sources"):
            for record in reversed(members[kind]):
                remove(caller, kind, record)
    return str(root["flow_node_id"])


def copy_credential(caller: Caller, credential_id: int | None, options: dict, owner: tuple[int, int],
                    cache: dict[int, int]) -> int | None:
    """The credential id a copy should use: the same one, or a fresh copy with the same secrets."""
    if credential_id is None or options.get("reuse_data_credentials"):
        return credential_id
    if credential_id not in cache:
        original = caller.get("data_credentials", credential_id)
        fields = {k: v for k, v in original.items() if k not in {"id", "created_at", "updated_at", "owner_id", "org_id"}}
        fields.update(name=unique_copy_name(caller, "data_credentials", original["name"], owner[0]),
                      copied_from_id=original["id"], credentials=caller.store.credential_secrets(credential_id))
        cache[credential_id] = insert(caller, "data_credentials", fields, owner_id=owner[0], org_id=owner[1])["id"]
    return cache[credential_id]


def clone(caller: Caller, kind: str, record: dict, options: dict, overrides: dict, owner: tuple[int, int]) -> dict:
    """Insert a copy of a flow resource (status INIT, new flow node) with ``overrides`` applied."""
    skip = {"id", "created_at", "updated_at", "owner_id", "org_id", "flow_node_id", "status", "api_keys", "run_ids"}
    fields = {k: v for k, v in record.items() if k not in skip}
    fields.update(name=unique_copy_name(caller, kind, record.get("name") or kind, owner[0]),
                  copied_from_id=record["id"], status="INIT", **overrides)
    new = insert(caller, kind, fields, owner_id=owner[0], org_id=owner[1])
    if options.get("copy_access_controls"):
        copy_accessors(caller, kind, record, new)
    return new


def copy_flow(caller: Caller, node_id: int, body: dict) -> dict:
    """Copy the whole flow holding a node (admin role on its root); returns the new root source."""
    root = flow_root(caller, node_id, "copy")
    options = {**FLOW_COPY_DEFAULTS, **body}
    owner = copy_owner(caller, options)
    index = FlowIndex.build(caller.store)
    credentials: dict[int, int] = {}
    with caller.store.db.transaction():
        new_root = clone(caller, "data_sources", root, options, {
            "data_credentials_id": copy_credential(caller, root.get("data_credentials_id"), options, owner, credentials)
        }, owner)
        stack: list[tuple[str, dict, dict]] = [(k, r, new_root) for k, r in index.children("data_sources", root)]
        while stack:
            kind, record, new_parent = stack.pop(0)
            if kind == "data_sets":
                link = ({"parent_data_set_id": new_parent["id"]} if record.get("parent_data_set_id")
                        else {"data_source_id": new_parent["id"]})
                new = clone(caller, kind, record, options, link, owner)
                stack.extend((k, r, new) for k, r in index.children(kind, record))
            else:
                clone(caller, kind, record, options, {
                    "data_set_id": new_parent["id"],
                    "data_credentials_id": copy_credential(caller, record.get("data_credentials_id"), options, owner,
                                                           credentials),
                }, owner)
    return caller.get("data_sources", new_root["id"])


__all__ = ["anchor_of_node", "clone", "copy_credential", "copy_flow", "delete_flow", "flow_root",
           "list_roots", "resource_root", "set_flow_status", "set_resource_status", "set_status", "tree"]
