"""What a deployment looks like on the server now, and what the spec wants it to be.

Resources are matched by name and the deployment tag (``nexla-ops:<spec name>``): the source by
name + tag (in the target project, or in no project yet: an earlier apply may have created it and
lost the answer before linking it), the nexsets and destinations by name + tag inside that
source's flow. A resource with the right name but without the tag is a conflict: it was not
created by this deployment, so nothing touches it. Tagged nexsets and destinations in the flow
that the spec no longer names are ``stale``: the plan deletes them.

Real Nexla does not refuse duplicate names, so identity is always name + tag, looked up here,
never a 409 from the server. Lists are read with ``access_role=collaborator`` (everything shared
with the caller, not only what the caller owns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nexla_ops.client.pagination import items_of
from nexla_ops.domain.flows import FlowTree
from nexla_ops.operations.deploy.spec import CredentialDef, CredentialRef, FlowSpec

FLOW_KINDS = ("data_sources", "data_sets", "data_sinks")


LIST_SCOPE = {"access_role": "collaborator"}


async def list_all(client: Any, path: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint the caller can reach (collaborator scope), in one request.

    Nexla lists every row when no page is asked for. One answer is one snapshot: read page by page
    while other deploys delete (their rollbacks), the rows after a deleted one shift a page down and
    a page boundary skips one, and a lost create that is not seen is sent again (a duplicate).
    """
    return items_of(path, await client.get(path, params=dict(LIST_SCOPE)))


def has_tag(record: dict[str, Any] | None, tag: str) -> bool:
    return record is not None and tag in (record.get("tags") or [])


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
    linked_sources: set[int] = field(default_factory=set)  # sources in any project the caller sees
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)  # credential name -> record
    source: dict[str, Any] | None = None
    flow_id: int | None = None
    detected: dict[str, Any] | None = None
    nexsets: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name
    sinks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name
    stale_nexsets: list[dict[str, Any]] = field(default_factory=list)  # tagged, not in the spec; deepest first
    stale_sinks: list[dict[str, Any]] = field(default_factory=list)  # tagged, not in the spec
    node_status: dict[tuple[str, int], str] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(status.upper() == "ACTIVE" for status in self.node_status.values())


def _linked(project: dict[str, Any]) -> set[int]:
    entries = [*(project.get("data_flows") or []), *(project.get("flows") or [])]
    return {int(e["data_source_id"]) for e in entries if isinstance(e, dict) and e.get("data_source_id")}


async def find_project(client: Any, name: str, tag: str) -> tuple[dict[str, Any] | None, set[int]]:
    """The project named ``name`` (a tagged one first) and the sources linked to any listed project."""
    projects = await list_all(client, "/projects")
    matches = [p for p in projects if p.get("name") == name]
    tagged = [p for p in matches if has_tag(p, tag)]
    linked: set[int] = set()
    for project in projects:
        linked |= _linked(project)
    return next(iter(tagged or matches), None), linked


async def project_flow_sources(client: Any, project_id: int) -> set[int]:
    """Ids of the sources whose flows belong to the project."""
    tree = await client.get(f"/projects/{project_id}/flows") or {}
    ids = {int(s["id"]) for s in tree.get("data_sources") or [] if s.get("id")}
    ids.update(int(n["data_source_id"]) for n in tree.get("flows") or [] if n.get("data_source_id"))
    for entry in tree.get("data_flows") or []:
        if entry.get("data_source_id"):
            ids.add(int(entry["data_source_id"]))
    return ids


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
    for node in FlowTree.parse(tree).nodes():
        resource = node.resource
        if resource is not None and resource[1] not in found[resource[0].value]:
            kind, resource_id = resource[0].value, resource[1]
            found[kind][resource_id] = await client.get(f"/{kind}/{resource_id}")
    return found


def parent_of(nexset: dict[str, Any]) -> int | None:
    if nexset.get("parent_data_set_id"):
        return int(nexset["parent_data_set_id"])
    parents = nexset.get("parent_data_sets") or []
    return int(parents[0]["id"]) if parents and parents[0].get("id") else None


async def discover(client: Any, spec: FlowSpec) -> Existing:
    """Find what already exists for this spec. Only GET requests."""
    tag = spec.tag
    existing = Existing()
    if spec.project:
        existing.project, existing.linked_sources = await find_project(client, spec.project, tag)
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
    tagged = []
    for source in sources:
        if not has_tag(source, tag):
            existing.conflicts.append({"kind": "data_sources", "id": source.get("id"), "name": source.get("name")})
        else:
            tagged.append(source)
    if spec.project is None:
        existing.source = next(iter(tagged), None)
    else:
        in_spec_project = [s for s in tagged if in_project is not None and int(s["id"]) in in_project]
        unlinked = [s for s in tagged if int(s["id"]) not in existing.linked_sources]
        existing.source = next(iter(in_spec_project or unlinked), None)
    if existing.source is None:
        return existing
    existing.project_has_flow = in_project is not None and int(existing.source["id"]) in in_project
    tree = await read_flow(client, int(existing.source["id"]))
    roots = tree.get("flows") or []
    existing.flow_id = int(roots[0]["id"]) if roots else None
    for node in FlowTree.parse(tree).nodes():
        if node.resource is not None:
            existing.node_status[(node.resource[0].value, node.resource[1])] = node.status or ""
    resources = await flow_resources(client, tree)
    source_id = int(existing.source["id"])
    wanted_sets = {n.name for n in spec.nexsets}
    wanted_sinks = {d.name for d in spec.destinations}
    stale: list[dict[str, Any]] = []
    for nexset in resources["data_sets"].values():
        if parent_of(nexset) is None and int(nexset.get("data_source_id") or 0) == source_id and existing.detected is None:
            existing.detected = nexset
        elif not has_tag(nexset, tag):
            continue
        elif nexset.get("name") in wanted_sets and nexset["name"] not in existing.nexsets:
            existing.nexsets[nexset["name"]] = nexset
        else:
            stale.append(nexset)
    depth = _depths(resources["data_sets"])
    foreign = _feeds_foreign(resources, tag)
    kept = [n for n in stale if int(n["id"]) not in foreign]
    existing.stale_nexsets = sorted(kept, key=lambda n: (-depth.get(int(n["id"]), 0), -int(n["id"])))
    for sink in resources["data_sinks"].values():
        if not has_tag(sink, tag):
            continue
        if sink.get("name") in wanted_sinks and sink["name"] not in existing.sinks:
            existing.sinks[sink["name"]] = sink
        else:
            existing.stale_sinks.append(sink)
    return existing


def _feeds_foreign(resources: dict[str, dict[int, dict[str, Any]]], tag: str) -> set[int]:
    """Nexsets with a resource of someone else (untagged) below them: removing them would break it."""
    nexsets = resources["data_sets"]
    out: set[int] = set()
    below = [(parent_of(n), n) for n in nexsets.values()]
    below += [(int(s["data_set_id"]) if s.get("data_set_id") else None, s) for s in resources["data_sinks"].values()]
    for parent, child in below:
        if has_tag(child, tag) or parent is None:
            continue
        current: int | None = parent
        while current is not None and current in nexsets and current not in out:
            out.add(current)
            current = parent_of(nexsets[current])
    return out


def _depths(nexsets: dict[int, dict[str, Any]]) -> dict[int, int]:
    """Distance of each nexset from the root of its chain (the detected nexset is 0)."""
    out: dict[int, int] = {}
    for nexset_id in nexsets:
        seen: list[int] = []
        current: int | None = nexset_id
        while current is not None and current in nexsets and current not in seen and current not in out:
            seen.append(current)
            current = parent_of(nexsets[current])
        base = out.get(current, -1) if current is not None else -1
        for offset, node in enumerate(reversed(seen), start=1):
            out[node] = base + offset
    return out


async def name_conflicts(client: Any, spec: FlowSpec, existing: Existing) -> list[dict[str, Any]]:
    """Nexsets/destinations the spec would create whose names are taken by resources outside this
    deployment. Nexla would accept the duplicate; the plan refuses to make a look-alike instead."""
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


__all__ = ["LIST_SCOPE", "Existing", "credential_keys", "discover", "has_tag", "list_all", "name_conflicts", "parent_of", "read_flow"]
