"""List and get resources of any kind, with filters, field selection and an opaque cursor.

Filters the API does not apply server-side are applied here while paging, so a result holds up to
``limit`` matching rows and, when more exist, ``has_more=True`` with a ``next_cursor`` to resume
exactly where it stopped. Nothing is silently dropped: a result cut to fit a size budget
(``max_result_chars``, what an MCP result may hold) also ends with ``has_more`` and a cursor.

Lists ask for ``access_role=collaborator`` by default: real Nexla returns only what the caller
owns without it, and collaborator means "shared with me at any role", i.e. everything reachable.
The API page size follows ``limit`` (at least 100, at most 1000), so 1000 rows cost one call.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from nexla_ops.domain import FlowTree
from nexla_ops.operations.cursor import cursor_error, decode_cursor, encode_cursor
from nexla_ops.redaction import redact
from nexla_ops.resources import FLOW_RESOURCE_KINDS, ResourceKind, parse_kind

API_PAGE_SIZE = 100
MAX_LIMIT = 1000
AccessRole = Literal["collaborator", "operator", "admin", "owner"]
SUMMARY_FIELDS = ("id", "name", "status", "type", "owner", "updated_at")
_TYPE_KEYS = ("source_type", "sink_type", "credentials_type", "connector_type", "code_type", "flow_type")


class ListQuery(BaseModel):
    """Which resources to list. Every filter is optional; ``cursor`` comes from a previous result."""

    kind: ResourceKind = Field(description="Resource kind (aliases like 'source', 'sinks', 'nexset' accepted).")
    name: str | None = Field(default=None, description="Case-insensitive substring of the name.")
    status: str | None = Field(default=None, description="Exact status, e.g. ACTIVE or PAUSED (case-insensitive).")
    owner: str | None = Field(default=None, description="Owner user id or email.")
    project_id: int | None = Field(default=None, description="Only resources in this project's flows.")
    tag: str | None = Field(default=None, description="Only resources carrying this tag.")
    fields: list[str] | None = Field(default=None, description="Return these fields instead of the compact summary.")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT, description="Rows in this page of results.")
    cursor: str | None = Field(default=None, description="next_cursor of a previous result to continue from.")
    access_role: AccessRole = Field(
        default="collaborator",
        description="Resources shared with you at this role or higher (collaborator: everything you can reach; owner: yours).",
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> ResourceKind:
        return parse_kind(value)


class ListResult(BaseModel):
    """One page of matching rows. ``has_more`` says whether ``next_cursor`` leads to more."""

    kind: ResourceKind
    count: int
    items: list[dict[str, Any]]
    has_more: bool
    truncated: bool = Field(description="Same as has_more: this is not everything that matched.")
    next_cursor: str | None = None


class ResourceDetail(BaseModel):
    """One resource (secrets redacted), optionally reduced to selected fields."""

    kind: ResourceKind
    id: int
    resource: dict[str, Any]


_CURSOR_FIELDS = {"page": int, "offset": int, "per_page": int}


def page_size(limit: int) -> int:
    """The API page size for a list of ``limit`` rows: at least the default, at most the API's maximum."""
    return max(API_PAGE_SIZE, min(limit, MAX_LIMIT))


def _position(cursor: str | None, limit: int) -> tuple[int, int, int]:
    """(API page, offset inside it, page size) to resume from; ValueError naming ``cursor`` when it is not ours."""
    state = decode_cursor(cursor, fields=_CURSOR_FIELDS)
    page, offset = int(state.get("page", 1)), int(state.get("offset", 0))
    per_page = int(state.get("per_page", page_size(limit) if cursor is None else API_PAGE_SIZE))
    if page < 1 or not 1 <= per_page <= MAX_LIMIT:
        raise cursor_error("its page is out of range")
    return page, offset, per_page


def _resource_type(row: dict[str, Any]) -> str | None:
    for key in _TYPE_KEYS:
        if row.get(key):
            return str(row[key])
    return None


def _owner(row: dict[str, Any]) -> dict[str, Any] | None:
    owner = row.get("owner")
    if isinstance(owner, dict):
        return {"id": owner.get("id"), "email": owner.get("email")}
    if row.get("owner_id") is not None:
        return {"id": row["owner_id"]}
    return None


def summarize(row: dict[str, Any]) -> dict[str, Any]:
    """The compact summary of a resource: id, name, status, type, owner, updated_at."""
    return {
        "id": row.get("id"),
        "name": row.get("name"),
        "status": row.get("status"),
        "type": _resource_type(row),
        "owner": _owner(row),
        "updated_at": row.get("updated_at"),
    }


def select_fields(row: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """The summary, or only ``fields`` (dotted paths reach nested values); always keeps ``id``."""
    if not fields:
        return summarize(row)
    out: dict[str, Any] = {"id": row.get("id")}
    for field in fields:
        value: Any = row
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out[field] = value
    return out


def _matches(row: dict[str, Any], query: ListQuery, project_members: set[int] | None) -> bool:
    if query.name and query.name.lower() not in str(row.get("name") or "").lower():
        return False
    if query.status and str(row.get("status") or "").upper() != query.status.upper():
        return False
    if query.owner:
        owner: dict[str, Any] = row["owner"] if isinstance(row.get("owner"), dict) else {}
        ids = {str(owner.get("id")), str(row.get("owner_id"))}
        if query.owner not in ids and query.owner.lower() != str(owner.get("email") or "").lower():
            return False
    if query.tag and query.tag not in (row.get("tags") or []):
        return False
    if project_members is not None and row.get("id") not in project_members:
        return False
    return True


async def _project_members(client: Any, query: ListQuery) -> set[int] | None:
    """Ids of the resources in the project's flows (for the kind being listed)."""
    if query.project_id is None:
        return None
    if query.kind == ResourceKind.PROJECTS:
        return {query.project_id}
    tree = FlowTree.parse(await client.get(f"/projects/{query.project_id}/flows"))
    if query.kind == ResourceKind.FLOWS:
        return {root.id for root in tree.flows}
    if query.kind in (*FLOW_RESOURCE_KINDS, ResourceKind.CREDENTIALS):
        # The nodes say what is in the project's flows even when the element lists are brief or absent.
        members = {res[1] for node in tree.nodes() if (res := node.resource) is not None and res[0] == query.kind}
        return members | {item.id for item in getattr(tree, query.kind.value)}
    return set()


def flow_rows(body: Any) -> list[dict[str, Any]]:
    """One row per root flow of a flow tree: id, name, status, owner and tags (those of its
    source), node counts, source id."""
    tree = FlowTree.parse(body)
    rows = []
    for root in tree.flows:
        counts = {"data_sources": 0, "data_sets": 0, "data_sinks": 0}
        statuses: set[str] = set()
        for node in root.walk():
            resource = node.resource
            if resource is not None:
                counts[resource[0].value] += 1
            if node.status:
                statuses.add(node.status)
        source = tree.source_of(root)
        owner = source.owner if source is not None and source.owner else None
        owner_id = source.owner_id if source is not None else None
        rows.append({
            "id": root.id,
            "name": root.name or (source.name if source else None),
            "status": root.status,
            "type": root.flow_type,
            "owner": {"id": owner.get("id"), "email": owner.get("email")} if owner else (
                {"id": owner_id} if owner_id is not None else None),
            "owner_id": owner_id if owner_id is not None else (owner or {}).get("id"),
            "tags": source.tags if source is not None else [],
            "updated_at": root.updated_at,
            "data_source_id": root.data_source_id,
            "project_id": root.project_id,
            "node_counts": counts,
            "node_statuses": sorted(statuses),
        })
    return rows


async def _fetch_page(client: Any, query: ListQuery, page: int, per_page: int) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"page": page, "per_page": per_page, "access_role": query.access_role}
    if query.kind == ResourceKind.FLOWS:
        if not (query.tag or query.owner):
            # Tags and owners live on the flow's source element, which flows_only leaves out.
            params["flows_only"] = 1
        return flow_rows(await client.get("/flows", params=params))
    data = await client.get(query.kind.path, params=params)
    if isinstance(data, dict):
        data = data.get("data") or []
    return list(data or [])


async def list_resources(client: Any, query: ListQuery, *, max_result_chars: int | None = None) -> ListResult:
    """List resources of ``query.kind`` matching every filter, ``query.limit`` rows at a time.

    Pages through the API until ``limit`` matches are found or the collection ends; when it
    stops early (or the rows would pass ``max_result_chars`` of JSON) the result has
    ``has_more=True`` and a ``next_cursor``. Rows are compact summaries (flows: one row per root
    flow with node counts) unless ``fields`` is given.
    """
    page, offset, per_page = _position(query.cursor, query.limit)
    members = await _project_members(client, query)
    items: list[dict[str, Any]] = []
    size = 0
    seen_first_ids: set[Any] = set()
    while True:
        rows = await _fetch_page(client, query, page, per_page)
        # Some collections (flows) ignore paging and repeat the same page; stop instead of looping.
        first = rows[0].get("id") if rows else None
        if rows and first in seen_first_ids:
            rows = []
        seen_first_ids.add(first)
        for position in range(offset, len(rows)):
            row = rows[position]
            if not _matches(row, query, members):
                continue
            here = encode_cursor({"page": page, "offset": position, "per_page": per_page})
            if len(items) == query.limit:
                return _result(query, items, here)
            item = redact(select_fields(row, query.fields) if query.kind != ResourceKind.FLOWS or query.fields else row)
            size += len(json.dumps(item, default=str, separators=(",", ":"))) + 1
            if max_result_chars is not None and items and size > max_result_chars:
                return _result(query, items, here)
            items.append(item)
        if len(rows) < per_page:
            return _result(query, items, None)
        page, offset = page + 1, 0


def _result(query: ListQuery, items: list[dict[str, Any]], cursor: str | None) -> ListResult:
    return ListResult(
        kind=query.kind, count=len(items), items=items, has_more=cursor is not None,
        truncated=cursor is not None, next_cursor=cursor,
    )


async def get_resource(
    client: Any, kind: ResourceKind | str, id: int, *, fields: list[str] | None = None, expand: bool = False
) -> ResourceDetail:
    """One resource by id (flows: the flow tree), secrets redacted; ``fields`` selects dotted paths."""
    resolved = parse_kind(kind)
    params = {"expand": 1} if expand else None
    data = await client.get(f"{resolved.path}/{int(id)}", params=params)
    data = data if isinstance(data, dict) else {"value": data}
    if fields:
        data = select_fields(data, fields)
    return ResourceDetail(kind=resolved, id=int(id), resource=redact(data))


__all__ = [
    "ListQuery",
    "ListResult",
    "ResourceDetail",
    "flow_rows",
    "get_resource",
    "list_resources",
    "select_fields",
    "summarize",
]
