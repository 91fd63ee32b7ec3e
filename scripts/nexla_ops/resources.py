"""The vocabulary of Nexla resource kinds, with the aliases people and agents actually type."""

from __future__ import annotations

from enum import StrEnum


class ResourceKind(StrEnum):
    """A Nexla resource collection; the value is the REST path segment."""

    CREDENTIALS = "data_credentials"
    SOURCES = "data_sources"
    NEXSETS = "data_sets"
    DESTINATIONS = "data_sinks"
    FLOWS = "flows"
    PROJECTS = "projects"
    TEAMS = "teams"
    USERS = "users"
    ORGS = "orgs"
    TRANSFORMS = "transforms"
    ATTRIBUTE_TRANSFORMS = "attribute_transforms"
    CODE_CONTAINERS = "code_containers"
    NOTIFICATIONS = "notifications"
    ASYNC_TASKS = "async_tasks"

    @property
    def path(self) -> str:
        return f"/{self.value}"

    @property
    def label(self) -> str:
        """Singular human name, e.g. ``source``."""
        return _LABELS[self]


_LABELS = {
    ResourceKind.CREDENTIALS: "credential",
    ResourceKind.SOURCES: "source",
    ResourceKind.NEXSETS: "nexset",
    ResourceKind.DESTINATIONS: "destination",
    ResourceKind.FLOWS: "flow",
    ResourceKind.PROJECTS: "project",
    ResourceKind.TEAMS: "team",
    ResourceKind.USERS: "user",
    ResourceKind.ORGS: "org",
    ResourceKind.TRANSFORMS: "transform",
    ResourceKind.ATTRIBUTE_TRANSFORMS: "attribute transform",
    ResourceKind.CODE_CONTAINERS: "code container",
    ResourceKind.NOTIFICATIONS: "notification",
    ResourceKind.ASYNC_TASKS: "async task",
}

_ALIASES: dict[str, ResourceKind] = {}
for _kind, _names in {
    ResourceKind.CREDENTIALS: ("credential", "credentials", "data_credential", "creds"),
    ResourceKind.SOURCES: ("source", "sources", "data_source"),
    ResourceKind.NEXSETS: ("nexset", "nexsets", "data_set", "dataset", "datasets"),
    ResourceKind.DESTINATIONS: ("destination", "destinations", "sink", "sinks", "data_sink"),
    ResourceKind.FLOWS: ("flow", "data_flows"),
    ResourceKind.PROJECTS: ("project",),
    ResourceKind.TEAMS: ("team",),
    ResourceKind.USERS: ("user",),
    ResourceKind.ORGS: ("org", "organization", "organizations"),
    ResourceKind.TRANSFORMS: ("transform", "record_transform", "record_transforms"),
    ResourceKind.ATTRIBUTE_TRANSFORMS: ("attribute_transform",),
    ResourceKind.CODE_CONTAINERS: ("code_container",),
    ResourceKind.NOTIFICATIONS: ("notification",),
    ResourceKind.ASYNC_TASKS: ("async_task", "task", "tasks"),
}.items():
    _ALIASES[_kind.value] = _kind
    for _name in _names:
        _ALIASES[_name] = _kind

# Kinds that sit in a flow graph and answer /flow, /metrics and /data_flows/... paths.
FLOW_RESOURCE_KINDS = (ResourceKind.SOURCES, ResourceKind.NEXSETS, ResourceKind.DESTINATIONS)


def parse_kind(text: str | ResourceKind) -> ResourceKind:
    """Resolve a kind from its path segment or an alias (``source``, ``sinks``, ``data_sets`` ...).

    Raises ValueError listing the accepted names when ``text`` is unknown.
    """
    if isinstance(text, ResourceKind):
        return text
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return _ALIASES[key]
    except KeyError:
        choices = ", ".join(kind.value for kind in ResourceKind)
        raise ValueError(f"unknown resource type {text!r}; use one of: {choices} (singular forms also work)") from None


def parse_flow_kind(text: str | ResourceKind) -> ResourceKind:
    """Like :func:`parse_kind`, restricted to sources, nexsets and destinations."""
    kind = parse_kind(text)
    if kind not in FLOW_RESOURCE_KINDS:
        raise ValueError(f"{kind.value} is not part of a flow graph; use data_sources, data_sets or data_sinks")
    return kind
