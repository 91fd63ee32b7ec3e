"""Flow trees, nodes and run metrics (contract §4.5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import field_validator

from .base import NexlaModel, none_to_list
from .resources import Credential, Destination, Nexset, Source


class FlowNode(NexlaModel):
    """One node of a flow tree: the root carries ``data_source_id``, children ``data_set_id``/``data_sink_id``."""

    id: int
    origin_node_id: int
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
    children: list[FlowNode] = []

    @field_validator("children", mode="before")
    @classmethod
    def _null_children(cls, value: Any) -> Any:
        return none_to_list(value)

    def walk(self) -> Iterator[FlowNode]:
        """This node and all its descendants, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


class FlowMetrics(NexlaModel):
    origin_node_id: int
    records: int
    size: int
    errors: int
    reporting_date: datetime
    run_id: int


class FlowTree(NexlaModel):
    """The flow-tree object returned by ``/flows``, ``/flows/{id}`` and ``/{type}/{id}/flow``."""

    flows: list[FlowNode]
    code_containers: list[dict[str, Any]] = []
    data_sources: list[Source] = []
    data_sets: list[Nexset] = []
    data_sinks: list[Destination] = []
    data_credentials: list[Credential] = []
    shared_data_sets: list[dict[str, Any]] = []
    orgs: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    projects: list[dict[str, Any]] = []
    metrics: list[FlowMetrics] = []

    @field_validator(
        "code_containers", "data_sources", "data_sets", "data_sinks", "data_credentials", "shared_data_sets",
        "orgs", "users", "projects", "metrics", mode="before",
    )
    @classmethod
    def _null_lists(cls, value: Any) -> Any:
        return none_to_list(value)

    def nodes(self) -> Iterator[FlowNode]:
        """Every node of every flow in the tree."""
        for root in self.flows:
            yield from root.walk()


FlowResponse = FlowTree
