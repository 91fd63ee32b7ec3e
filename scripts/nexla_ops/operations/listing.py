"""List and get resources of any kind, with filters, field selection and an opaque cursor.

Filters the API does not apply server-side are applied here while paging, so a result holds up to
``limit`` matching rows and, when more exist, ``has_more=True`` with a ``next_cursor`` to resume
exactly where it stopped. Nothing is silently dropped.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from nexla_ops.operations.cursor import cursor_error, decode_cursor, encode_cursor
from nexla_ops.redaction import redact
from nexla_ops.resources import ResourceKind, parse_kind

API_PAGE_SIZE = 100
MAX_LIMIT = 1000
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


_CURSOR_FIELDS = {"page": int, "offset": int}


def _position(cursor: str | None) -> tuple[int, int]:
    """(API page, offset inside it) to resume from; ValueError naming ``cursor`` when it is not ours."""
    state = decode_cursor(cursor, fields=_CURSOR_FIELDS)
    page, offset = int(state.get("page", 1)), int(state.get("offset", 0))
    if page < 1:
        raise cursor_error("its page is out of range")
    return page, offset


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
        owner = row.get("owner") if isinstance(row.get("owner"), dict) else {}
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
    tree = await client.get(f"/projects/{query.project_id}/flows")
    members: set[int] = set()
    for key in ("data_sources", "data_sets", "data_sinks", "data_credentials"):
        if key == query.kind.value:
            members.update(int(item["id"]) for item in (tree or {}).get(key) or [] if "id" in item)
    if query.kind == ResourceKind.FLOWS:
        members.update(int(node["id"]) for node in (tree or {}).get("flows") or [])
    return members


def flow_rows(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per root flow of a flow tree: id, name, status, node counts, source id."""
    rows = []
    for root in (tree or {}).get("flows") or []:
        counts = {"data_sources": 0, "data_sets": 0, "data_sinks": 0}
        statuses: set[str] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            for key, kind in (("data_source_id", "data_sources"), ("data_set_id", "data_sets"), ("data_sink_id", "data_sinks")):
                if node.get(key):
                    counts[kind] += 1
            if node.get("status"):
                statuses.add(str(node["status"]))
            stack.extend(node.get("children") or [])
        rows.append({
            "id": root.get("id"),
            "name": root.get("name"),
            "status": root.get("status"),
            "type": root.get("flow_type"),
            "owner": None,
            "updated_at": root.get("updated_at"),
            "data_source_id": root.get("data_source_id"),
            "project_id": root.get("project_id"),
            "node_counts": counts,
            "node_statuses": sorted(statuses),
        })
    return rows


async def _fetch_page(client: Any, kind: ResourceKind, page: int) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"page": page, "per_page": API_PAGE_SIZE}
    if kind == ResourceKind.FLOWS:
        params["flows_only"] = 1
        return flow_rows(await client.get("/flows", params=params))
    data = await client.get(kind.path, params=params)
    if isinstance(data, dict):
        data = data.get("data") or []
    return list(data or [])


async def list_resources(client: Any, query: ListQuery) -> ListResult:
    """List resources of ``query.kind`` matching every filter, ``query.limit`` rows at a time.

    Pages through the API until ``limit`` matches are found or the collection ends; when it
    stops early the result has ``has_more=True`` and a ``next_cursor``. Rows are compact
    summaries (flows: one row per root flow with node counts) unless ``fields`` is given.
    """
    page, offset = _position(query.cursor)
    members = await _project_members(client, query)
    items: list[dict[str, Any]] = []
    seen_first_ids: set[Any] = set()
    while True:
        rows = await _fetch_page(client, query.kind, page)
        # Some collections (flows) ignore paging and repeat the same page; stop instead of looping.
        first = rows[0].get("id") if rows else None
        if rows and first in seen_first_ids:
            rows = []
        seen_first_ids.add(first)
        for position in range(offset, len(rows)):
            row = rows[position]
            if not _matches(row, query, members):
                continue
            if len(items) == query.limit:
                return _result(query, items, encode_cursor({"page": page, "offset": position}))
            items.append(redact(select_fields(row, query.fields) if query.kind != ResourceKind.FLOWS or query.fields else row))
        if len(rows) < API_PAGE_SIZE:
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
