"""Flow trees derived from the resources: source -> detected nexset -> derived nexsets -> sinks.

A flow is identified by its root node (the source's ``flow_node_id``); every node carries
``origin_node_id`` = that root. Any node id resolves to the flow that contains it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nexla_sandbox.state.store import Store

KIND_KEY = {"data_sources": "data_source_id", "data_sets": "data_set_id", "data_sinks": "data_sink_id"}


@dataclass
class FlowIndex:
    """Nexsets and sinks by what they hang from, read from SQLite on first use and kept for one request."""

    store: Store
    _by_source: dict[int, list[dict]] = field(default_factory=dict)
    _by_parent: dict[int, list[dict]] = field(default_factory=dict)
    _by_set: dict[int, list[dict]] = field(default_factory=dict)

    @classmethod
    def build(cls, store: Store) -> FlowIndex:
        return cls(store)

    def sets_of_source(self, source_id: int) -> list[dict]:
        """The detected nexsets of a source."""
        if source_id not in self._by_source:
            self._by_source[source_id] = self.store.list(
                "data_sets", {"data_source_id": source_id, "parent_data_set_id": None})
        return self._by_source[source_id]

    def sets_of_parent(self, data_set_id: int) -> list[dict]:
        """The nexsets derived from a nexset."""
        if data_set_id not in self._by_parent:
            self._by_parent[data_set_id] = self.store.list("data_sets", {"parent_data_set_id": data_set_id})
        return self._by_parent[data_set_id]

    def sinks_of_set(self, data_set_id: int) -> list[dict]:
        """The sinks a nexset feeds."""
        if data_set_id not in self._by_set:
            self._by_set[data_set_id] = self.store.list("data_sinks", {"data_set_id": data_set_id})
        return self._by_set[data_set_id]

    def children(self, kind: str, record: dict) -> list[tuple[str, dict]]:
        if kind == "data_sources":
            return [("data_sets", d) for d in self.sets_of_source(record["id"])]
        if kind == "data_sets":
            return [("data_sets", d) for d in self.sets_of_parent(record["id"])] + [
                ("data_sinks", s) for s in self.sinks_of_set(record["id"])
            ]
        return []

    def members(self, kind: str, record: dict) -> dict[str, list[dict]]:
        """The resource and everything downstream of it, by kind, in tree order."""
        found: dict[str, list[dict]] = {k: [] for k in KIND_KEY}
        stack = [(kind, record)]
        while stack:
            current_kind, current = stack.pop(0)
            found[current_kind].append(current)
            stack.extend(self.children(current_kind, current))
        return found

    def node(self, kind: str, record: dict, origin: int, parent: int | None, projects: dict[int, int]) -> dict:
        """The FlowNode of a resource with its children nested."""
        node_id = record["flow_node_id"]
        return {
            "id": node_id,
            "origin_node_id": origin,
            "parent_node_id": parent,
            "data_source_id": record["id"] if kind == "data_sources" else None,
            "data_set_id": record["id"] if kind == "data_sets" else None,
            "data_sink_id": record["id"] if kind == "data_sinks" else None,
            "status": record.get("status", "INIT"),
            "project_id": projects.get(origin),
            "flow_type": record.get("flow_type") or "batch",
            "ingestion_mode": record.get("ingest_method") or ("PUSH" if record.get("source_type") == "nexla_rest" else "POLL") if kind == "data_sources" else None,
            "name": record.get("name"),
            "description": record.get("description"),
            "children": [self.node(k, r, origin, node_id, projects) for k, r in self.children(kind, record)],
        }


def root_of(store: Store, kind: str, record: dict) -> dict | None:
    """The source at the root of the flow holding a resource (None for a broken chain)."""
    seen: set[int] = set()
    while kind != "data_sources":
        if record["id"] in seen:
            return None
        seen.add(record["id"])
        if kind == "data_sinks":
            parent = store.get("data_sets", record.get("data_set_id") or 0)
            kind = "data_sets"
        elif record.get("parent_data_set_id"):
            parent = store.get("data_sets", record["parent_data_set_id"])
        else:
            parent = store.get("data_sources", record.get("data_source_id") or 0)
            kind = "data_sources"
        if parent is None:
            return None
        record = parent
    return record


def resource_of_node(store: Store, node_id: int) -> tuple[str, dict] | None:
    """The (kind, record) behind a flow node id."""
    node = store.get("flow_nodes", node_id)
    if node is None:
        return None
    record = store.get(node["resource_kind"], node["resource_id"])
    return (node["resource_kind"], record) if record is not None else None


def project_of_flows(store: Store) -> dict[int, int]:
    """root node id -> project id for flows that belong to a project."""
    found: dict[int, int] = {}
    for project in store.list("projects"):
        for entry in project.get("data_flows", []):
            if entry.get("flow_node_id"):
                found.setdefault(entry["flow_node_id"], project["id"])
    return found
