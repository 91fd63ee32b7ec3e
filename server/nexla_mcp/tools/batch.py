"""Batch toolset: activate, pause, update or delete many resources at once (preview first)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context, Elicit
from mcp.server.mcpserver.resolve import Resolve
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import batch
from nexla_ops.operations.batch import BatchOperation, BatchRequest, BatchResult

from ..confirm import ConfirmAction, can_elicit, decide, elicit_action
from ..registry import ToolName
from ..runtime import invoke
from .access import ResourceIds
from .params import Confirm, Kind

Preview = Annotated[bool, Field(description="List the selected items and planned actions; change nothing.")]


async def ask_batch(ctx: Context, operation: str, resource_type: str, preview: bool) -> Elicit[ConfirmAction] | None:
    if operation != "delete" or preview or not can_elicit(ctx):
        return None
    return elicit_action(f"Delete every selected {resource_type} resource? This cannot be undone.")


async def run_batch(
    ctx: Context,
    operation: Annotated[BatchOperation, Field(description="activate, pause, update or delete.")],
    resource_type: Kind,
    approval: Annotated[ElicitationResult[ConfirmAction], Resolve(ask_batch)],
    ids: Annotated[
        ResourceIds | None, Field(description="Exact ids to act on (filters below narrow them further).")
    ] = None,
    name_contains: Annotated[str | None, Field(description="Case-insensitive name substring.")] = None,
    status: Annotated[str | None, Field(description="Only resources with this status, e.g. ACTIVE.")] = None,
    tag: Annotated[str | None, Field(description="Only resources carrying this tag.")] = None,
    select_all: Annotated[
        bool, Field(description="Select every resource of the type when no id or filter is given.")
    ] = False,
    set: Annotated[
        dict[str, Any], Field(description="update only: field (dotted for nested) -> new value.")
    ] = {},  # noqa: B006 - pydantic copies defaults
    preview: Preview = True,
    confirm: Confirm = False,
    concurrency: Annotated[int, Field(ge=1, le=16, description="Items processed at once.")] = 4,
) -> Annotated[CallToolResult, BatchResult]:
    """Act on many resources selected by ids or filters; one result line per item.

    preview=true (the default) changes nothing: show the selection to the user first. A delete
    with preview=false asks the user when the client supports it, else needs confirm=true.
    Sends a progress notification per item.
    """

    async def run(client, progress):
        decision = decide(approval, confirm=confirm)
        request = BatchRequest(
            operation=operation, resource_type=resource_type, ids=ids or [], name_contains=name_contains,
            status=status, tag=tag, select_all=select_all, set=set, preview=preview, confirm=decision.confirm,
            concurrency=concurrency,
        )
        return await batch.run_batch(client, request, progress)

    return await invoke(
        ctx,
        ToolName.RUN_BATCH,
        run,
        paging_hint="The item list was cut to fit the size limit; the counts cover every item. Narrow the selection.",
        failed=lambda result: result.failed > 0,
    )
