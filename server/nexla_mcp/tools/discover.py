"""Discover toolset: check the connection, find resources, read one (read-only)."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from pydantic import Field

from nexla_ops.operations import listing
from nexla_ops.operations.listing import ListQuery, ListResult, ResourceDetail
from nexla_ops.operations.quickstart import QuickstartReport
from nexla_ops.operations.quickstart import quickstart as quickstart_op

from ..registry import ToolName
from ..results import MAX_RESULT_CHARS
from ..runtime import invoke
from .params import Cursor, Fields, Kind, Limit, ResourceId


async def list_resources(
    ctx: Context,
    kind: Kind,
    name: Annotated[str | None, Field(description="Case-insensitive substring of the name.")] = None,
    status: Annotated[str | None, Field(description="Exact status, e.g. ACTIVE or PAUSED.")] = None,
    owner: Annotated[str | None, Field(description="Owner user id or email.")] = None,
    project_id: Annotated[int | None, Field(description="Only resources in this project's flows.")] = None,
    tag: Annotated[str | None, Field(description="Only resources carrying this tag.")] = None,
    fields: Fields = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Annotated[CallToolResult, ListResult]:
    """List resources of one kind with filters, as compact rows {id, name, status, type, owner, updated_at}.

    Use this to find ids by name, status, owner, project or tag. For kind=flows you get one row per
    flow with node counts. Results are paged: when has_more is true, call again with cursor=next_cursor.
    """
    return await invoke(
        ctx,
        ToolName.LIST_RESOURCES,
        lambda client, _: listing.list_resources(
            client,
            ListQuery(
                kind=kind, name=name, status=status, owner=owner, project_id=project_id, tag=tag,
                fields=fields, limit=limit, cursor=cursor,
            ),
            # Stop at a cursor before the size guard would cut rows without one.
            max_result_chars=MAX_RESULT_CHARS - 2_000,
        ),
    )


async def get_resource(
    ctx: Context,
    kind: Kind,
    id: ResourceId,
    fields: Fields = None,
    expand: Annotated[bool, Field(description="Include expanded related objects (larger result).")] = False,
) -> Annotated[CallToolResult, ResourceDetail]:
    """Get one resource by kind and id (secrets redacted); pass fields to keep the answer small."""
    return await invoke(
        ctx,
        ToolName.GET_RESOURCE,
        lambda client, _: listing.get_resource(client, kind, id, fields=fields, expand=expand),
        paging_hint="The resource was cut to fit the size limit; ask for specific `fields`.",
    )


async def quickstart(ctx: Context) -> Annotated[CallToolResult, QuickstartReport]:
    """Check the connection and orient yourself: API URL, who you are, how many resources of each
    kind exist, how many flows are active, and what to do next. Start here."""
    return await invoke(ctx, ToolName.QUICKSTART, lambda client, progress: quickstart_op(client, progress))
