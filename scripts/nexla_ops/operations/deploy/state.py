"""What a deployment looks like on the server now, and what the spec wants it to be.

Resources are matched by name and the deployment tag (``nexla-ops:<spec name>``): the source by
name + tag (and membership of the target project), the nexsets and destinations by name + tag
inside that source's flow. A resource with the right name but without the tag is a conflict: it
was not created by this deployment, so nothing touches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nexla_ops.operations.deploy.spec import CredentialDef, CredentialRef, FlowSpec

FLOW_KINDS = ("data_sources", "data_sets", "data_sinks")


async def list_all(client: Any, path: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint (all pages)."""
    return [item async for item in client.paginate(path, per_page=100)]


def has_tag(record: dict[str, Any] | None, tag: str) -> bool:
    return bool(record) and tag in (record.get("tags") or [])


def credential_keys(spec: FlowSpec) -> list[tuple[str, CredentialRef | CredentialDef]]:
    """(spec path, credential spec) for the flow credential and each destination's own one."""
    found = [("credential", spec.credential)]
    for index, sink in enumerate(spec.destinations):
        if sink.credential is not None:
            found.append((f"destinations[{index}].credential", sink.credential))
    return found


@dataclass
class Existing:
    """Resources of this deployment found on the server (None/absent when not there)."""

    project: dict[str, Any] | None = None
    project_has_flow: bool = False
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)  # credential name -> record
    source: dict[str, Any] | None = None
    flow_id: int | None = None
    detected: dict[str, Any] | None = None
    nexsets: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name
    sinks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name
    node_status: dict[tuple[str, int], str] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(status.upper() == "ACTIVE" for status in self.node_status.values())


async def find_project(client: Any, name: str, tag: str) -> dict[str, Any] | None:
    matches = [p for p in await list_all(client, "/projects") if p.get("name") == name]
    tagged = [p for p in matches if has_tag(p, tag)]
    return (tagged or matches or [None])[0]


async def project_flow_sources(client: Any, project_id: int) -> set[int]:
    """Ids of the sources whose flows belong to the project."""
    tree = await client.get(f"/projects/{project_id}/flows") or {}
    ids = {int(s["id"]) for s in tree.get("data_sources") or [] if s.get("id")}
    ids.update(int(n["data_source_id"]) for n in tree.get("flows") or [] if n.get("data_source_id"))
    for entry in tree.get("data_flows") or []:
        if entry.get("data_source_id"):
            ids.add(int(entry["data_source_id"]))
    return ids


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out, stack = [], [node]
    while stack:
        current = stack.pop(0)
        out.append(current)
        stack.extend(current.get("children") or [])
    return out


async def read_flow(client: Any, source_id: int) -> dict[str, Any]:
    """The flow tree of a source, as returned by GET /data_sources/{id}/flow."""
    return await client.get(f"/data_sources/{source_id}/flow") or {}


async def flow_resources(client: Any, tree: dict[str, Any]) -> dict[str, dict[int, dict[str, Any]]]:
    """Full records of the tree's nodes by kind and id (from the tree, fetched when missing)."""
    found: dict[str, dict[int, dict[str, Any]]] = {k: {} for k in FLOW_KINDS}
    for kind in FLOW_KINDS:
        for item in tree.get(kind) or []:
            if item.get("id"):
                found[kind][int(item["id"])] = item
    for root in tree.get("flows") or []:
        for node in _walk(root):
            for key, kind in (("data_source_id", "data_sources"), ("data_set_id", "data_sets"), ("data_sink_id", "data_sinks")):
                if node.get(key) and int(node[key]) not in found[kind]:
                    found[kind][int(node[key])] = await client.get(f"/{kind}/{node[key]}")
    return found


def _parent_of(nexset: dict[str, Any]) -> int | None:
    if nexset.get("parent_data_set_id"):
        return int(nexset["parent_data_set_id"])
    parents = nexset.get("parent_data_sets") or []
    return int(parents[0]["id"]) if parents and parents[0].get("id") else None


async def discover(client: Any, spec: FlowSpec) -> Existing:
    """Find what already exists for this spec. Only GET requests."""
    tag = spec.tag
    existing = Existing()
    if spec.project:
        existing.project = await find_project(client, spec.project, tag)
    wanted_credentials = {c.name for _, c in credential_keys(spec) if isinstance(c, CredentialDef)}
    if wanted_credentials:
        for record in await list_all(client, "/data_credentials"):
            name = record.get("name")
            if name in wanted_credentials:
                if has_tag(record, tag):
                    existing.credentials[name] = record
                else:
                    existing.conflicts.append({"kind": "data_credentials", "id": record.get("id"), "name": name})
    sources = [s for s in await list_all(client, "/data_sources") if s.get("name") == spec.source.name]
    in_project = await project_flow_sources(client, existing.project["id"]) if existing.project else None
    for source in sources:
        if not has_tag(source, tag):
            existing.conflicts.append({"kind": "data_sources", "id": source.get("id"), "name": source.get("name")})
        elif existing.source is None and (spec.project is None or (in_project is not None and int(source["id"]) in in_project)):
            existing.source = source
    if existing.source is None:
        return existing
    existing.project_has_flow = in_project is not None and int(existing.source["id"]) in in_project
    tree = await read_flow(client, int(existing.source["id"]))
    roots = tree.get("flows") or []
    existing.flow_id = int(roots[0]["id"]) if roots else None
    for root in roots:
        for node in _walk(root):
            for key, kind in (("data_source_id", "data_sources"), ("data_set_id", "data_sets"), ("data_sink_id", "data_sinks")):
                if node.get(key):
                    existing.node_status[(kind, int(node[key]))] = str(node.get("status") or "")
    resources = await flow_resources(client, tree)
    source_id = int(existing.source["id"])
    for nexset in resources["data_sets"].values():
        if _parent_of(nexset) is None and int(nexset.get("data_source_id") or 0) == source_id and existing.detected is None:
            existing.detected = nexset
        elif has_tag(nexset, tag) and nexset.get("name") in {n.name for n in spec.nexsets}:
            existing.nexsets[nexset["name"]] = nexset
    for sink in resources["data_sinks"].values():
        if has_tag(sink, tag) and sink.get("name") in {d.name for d in spec.destinations}:
            existing.sinks[sink["name"]] = sink
    return existing


async def name_conflicts(client: Any, spec: FlowSpec, existing: Existing) -> list[dict[str, Any]]:
    """Nexsets/destinations the spec would create whose names are taken by resources outside this
    deployment (the API refuses duplicate names per owner)."""
    conflicts = list(existing.conflicts)
    missing_sets = {n.name for n in spec.nexsets} - set(existing.nexsets)
    missing_sinks = {d.name for d in spec.destinations} - set(existing.sinks)
    ours = {int(r["id"]) for r in [*existing.nexsets.values(), *existing.sinks.values()]}
    for kind, names in (("data_sets", missing_sets), ("data_sinks", missing_sinks)):
        if not names:
            continue
        for record in await list_all(client, f"/{kind}"):
            if record.get("name") in names and int(record["id"]) not in ours:
                conflicts.append({"kind": kind, "id": record.get("id"), "name": record.get("name")})
    return conflicts


__all__ = ["Existing", "credential_keys", "discover", "has_tag", "list_all", "name_conflicts", "read_flow"]
