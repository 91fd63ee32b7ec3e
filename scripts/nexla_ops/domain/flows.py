"""Flow trees: the one walk over ``/flows``, ``/flows/{id}`` and ``/{type}/{id}/flow`` replies.

Real Nexla answers these with ``{flows: [origin node...], data_sources: [...], data_sets: [...],
data_sinks: [...], data_credentials: [...], metrics: [...]}`` (OpenAPI ``FlowsManyWithMetric``);
the element objects are brief (``owner_id``, ``tags``, ``status``, ``data_credentials_id``), so
they are parsed leniently as :class:`FlowElement`. Every operation that needs a node, a status,
the credentials of a flow or the root holding a node asks a :class:`FlowTree`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import field_validator

from nexla_ops.resources import ResourceKind

from .base import NexlaModel, none_to_list

BAD_STATUSES = frozenset({"ERROR", "FAILED", "SUSPENDED"})
PAUSED_STATUSES = frozenset({"PAUSED", "STOPPED"})
NEW_STATUSES = frozenset({"INIT", "DRAFT"})
ACTIVE_STATUSES = frozenset({"ACTIVE", "PROCESSING"})

# Node key -> the resource kind it points at, in the order a node is checked.
_NODE_KEYS = (
    ("data_source_id", ResourceKind.SOURCES),
    ("data_set_id", ResourceKind.NEXSETS),
    ("data_sink_id", ResourceKind.DESTINATIONS),
)


class FlowNode(NexlaModel):
    """One node of a flow tree: the root carries ``data_source_id``, children ``data_set_id``/``data_sink_id``."""

    id: int
    origin_node_id: int | None = None
    parent_node_id: int | None = None
    data_source_id: int | None = None
    data_set_id: int | None = None
    data_sink_id: int | None = None
    status: str | None = None
    project_id: int | None = None
    flow_type: str | None = None
    ingestion_mode: str | None = None
    name: str | None = None
    description: str | None = None
    updated_at: str | None = None
    children: list[FlowNode] = []

    @field_validator("children", mode="before")
    @classmethod
    def _null_children(cls, value: Any) -> Any:
        return none_to_list(value)

    def walk(self) -> Iterator[FlowNode]:
        """This node and all its descendants, depth first, parents before children."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    @property
    def resource(self) -> tuple[ResourceKind, int] | None:
        """(kind, id) of the resource this node stands for."""
        for key, kind in _NODE_KEYS:
            value = getattr(self, key)
            if value is not None:
                return kind, int(value)
        return None

    @property
    def state(self) -> str:
        """The node's status upper-cased ('' when the API gave none)."""
        return (self.status or "").upper()

    def contains(self, node_id: int) -> bool:
        return any(node.id == node_id for node in self.walk())


class FlowElement(NexlaModel):
    """A source, nexset, sink or credential as embedded in a flow tree (brief; all but ``id`` optional)."""

    id: int
    name: str | None = None
    status: str | None = None
    owner_id: int | None = None
    owner: dict[str, Any] | None = None
    tags: list[str] = []
    data_credentials_id: int | None = None
    data_credentials: dict[str, Any] | None = None
    credentials_type: str | None = None
    source_config: dict[str, Any] | None = None
    poll_schedule: Any = None

    @field_validator("tags", mode="before")
    @classmethod
    def _null_tags(cls, value: Any) -> Any:
        return [tag for tag in value if tag is not None] if isinstance(value, list) else none_to_list(value)

    @property
    def credential_id(self) -> int | None:
        if self.data_credentials_id is not None:
            return self.data_credentials_id
        embedded = (self.data_credentials or {}).get("id")
        return embedded if isinstance(embedded, int) else None

    @property
    def owner_ids(self) -> set[str]:
        """Owner id (and email) as strings, for owner filters."""
        found = {str(self.owner_id)} if self.owner_id is not None else set()
        if self.owner:
            found |= {str(v) for v in (self.owner.get("id"), self.owner.get("email")) if v is not None}
        return found


class FlowMetrics(NexlaModel):
    """One row of the ``metrics`` list ``GET /flows?include_run_metrics=1`` adds (per origin node and run)."""

    origin_node_id: int
    records: int = 0
    size: int = 0
    errors: int = 0
    reporting_date: Any = None
    run_id: int | None = None
    status: str | None = None

    @field_validator("records", "size", "errors", mode="before")
    @classmethod
    def _null_counts(cls, value: Any) -> Any:
        return 0 if value is None else value


class FlowTree(NexlaModel):
    """The flow-tree envelope; ``flows`` holds origin nodes, the other lists the elements they use."""

    flows: list[FlowNode]
    code_containers: list[dict[str, Any]] = []
    data_sources: list[FlowElement] = []
    data_sets: list[FlowElement] = []
    data_sinks: list[FlowElement] = []
    data_credentials: list[FlowElement] = []
    shared_data_sets: list[dict[str, Any]] = []
    orgs: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    projects: list[dict[str, Any]] = []
    metrics: list[FlowMetrics] | None = None

    @field_validator(
        "flows", "code_containers", "data_sources", "data_sets", "data_sinks", "data_credentials",
        "shared_data_sets", "orgs", "users", "projects", mode="before",
    )
    @classmethod
    def _null_lists(cls, value: Any) -> Any:
        return none_to_list(value)

    @classmethod
    def parse(cls, body: Any) -> FlowTree:
        """A tree from any flow reply; a bare list of nodes or an empty body is accepted."""
        if isinstance(body, list):
            body = {"flows": body}
        if not isinstance(body, dict):
            body = {}
        return cls.model_validate({"flows": [], **body})

    def nodes(self) -> Iterator[FlowNode]:
        """Every node of every flow in the tree."""
        for root in self.flows:
            yield from root.walk()

    def element(self, kind: ResourceKind, resource_id: int) -> FlowElement | None:
        items: list[FlowElement] = getattr(self, kind.value, [])
        return next((item for item in items if item.id == resource_id), None)

    def root_of(self, node_id: int) -> FlowNode | None:
        """The origin node whose flow holds node ``node_id``."""
        return next((root for root in self.flows if root.contains(node_id)), None)

    def roots_with(self, kind: ResourceKind, resource_id: int) -> list[FlowNode]:
        """Origin nodes whose flow contains the resource (kind, id)."""
        return [root for root in self.flows if any(node.resource == (kind, resource_id) for node in root.walk())]

    def pick(self, flow_id: int | None = None) -> FlowNode | None:
        """The root holding node ``flow_id`` (or the first root)."""
        if flow_id is not None:
            found = self.root_of(flow_id)
            if found is not None:
                return found
        return self.flows[0] if self.flows else None

    def source_of(self, root: FlowNode) -> FlowElement | None:
        return self.element(ResourceKind.SOURCES, root.data_source_id) if root.data_source_id is not None else None

    def credential_ids(self, root: FlowNode) -> list[int]:
        """Credentials the flow's sources and sinks use."""
        ids: set[int] = set()
        for node in root.walk():
            resource = node.resource
            if resource is None or resource[0] == ResourceKind.NEXSETS:
                continue
            item = self.element(*resource)
            if item is not None and item.credential_id is not None:
                ids.add(item.credential_id)
        return sorted(ids)

    def status_of(self, root: FlowNode) -> str | None:
        """The flow's status: the root node's, else its source's."""
        source = self.source_of(root)
        return (root.status or (source.status if source else None) or "").upper() or None

    def metrics_of(self, root: FlowNode) -> list[FlowMetrics]:
        return [row for row in self.metrics or [] if row.origin_node_id == root.id]

    def merge(self, other: FlowTree) -> None:
        """Add another page's roots, elements and metrics to this tree (ids de-duplicated)."""
        known = {root.id for root in self.flows}
        self.flows.extend(root for root in other.flows if root.id not in known)
        for key in ("data_sources", "data_sets", "data_sinks", "data_credentials"):
            mine: list[FlowElement] = getattr(self, key)
            ids = {item.id for item in mine}
            mine.extend(item for item in getattr(other, key) if item.id not in ids)
        if other.metrics is not None:
            self.metrics = [*(self.metrics or []), *other.metrics]


FlowResponse = FlowTree
