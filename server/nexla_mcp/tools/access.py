"""Access toolset: who can see or change a resource, and sharing changes (grant, revoke)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context, Elicit
from mcp.server.mcpserver.resolve import Resolve
from mcp.types import CallToolResult
from pydantic import BeforeValidator, Field

from nexla_ops.operations import access
from nexla_ops.operations.access import AccessChange, AccessChangeResult, AccessList, AccessorRef, AccessRole

from ..confirm import ConfirmAction, can_elicit, decide, elicit_action, require_confirm
from ..registry import ToolName
from ..runtime import invoke
from .params import Confirm, Kind, ResourceId


def _ids(value: Any) -> Any:
    if isinstance(value, int | str) and not isinstance(value, bool):
        return [part.strip() for part in str(value).split(",") if part.strip()]
    return value


ResourceIds = Annotated[
    list[int], BeforeValidator(_ids), Field(min_length=1, description="Ids of the resources (all of one kind).")
]
Accessors = Annotated[
    list[AccessorRef],
    Field(
        min_length=1,
        description="Who: USER by id or email, TEAM by id or name, ORG by id, email_domain or client_identifier. "
        'Example: [{"type": "USER", "email": "ana@example.com"}].',
    ),
]
DryRun = Annotated[bool, Field(description="Report the predicted before/after without changing anything.")]


async def list_access(ctx: Context, kind: Kind, id: ResourceId) -> Annotated[CallToolResult, AccessList]:
    """List who has access to a resource (users, teams, orgs) and with which roles."""
    return await invoke(ctx, ToolName.LIST_ACCESS, lambda client, _: access.list_access(client, kind, id))


async def grant_access(
    ctx: Context,
    kind: Kind,
    resource_ids: ResourceIds,
    accessors: Accessors,
    roles: Annotated[
        list[AccessRole], Field(description="Roles to grant: owner, admin, operator or collaborator.")
    ] = [],  # noqa: B006 - pydantic copies defaults
    dry_run: DryRun = False,
) -> Annotated[CallToolResult, AccessChangeResult]:
    """Grant roles on resources to users, teams or orgs (adds to existing access; repeat-safe).
    Returns before/after accessors per resource."""
    return await invoke(
        ctx,
        ToolName.GRANT_ACCESS,
        lambda client, _: access.grant_access(
            client,
            AccessChange(resource_type=kind, resource_ids=resource_ids, accessors=accessors, roles=roles, dry_run=dry_run),
        ),
        failed=lambda result: bool(result.failed),
    )


async def ask_revoke(ctx: Context, kind: str, resource_ids: list[int], dry_run: bool) -> Elicit[ConfirmAction] | None:
    if dry_run or not can_elicit(ctx):
        return None
    ids = ", ".join(str(i) for i in resource_ids)
    return elicit_action(f"Revoke access on {kind} {ids}? The accessors lose the listed roles (or all access).")


async def revoke_access(
    ctx: Context,
    kind: Kind,
    resource_ids: ResourceIds,
    accessors: Accessors,
    approval: Annotated[ElicitationResult[ConfirmAction], Resolve(ask_revoke)],
    roles: Annotated[
        list[AccessRole], Field(description="Roles to take away; empty removes the accessors entirely.")
    ] = [],  # noqa: B006 - pydantic copies defaults
    dry_run: DryRun = False,
    confirm: Confirm = False,
) -> Annotated[CallToolResult, AccessChangeResult]:
    """Revoke access on resources. Never removes the last owner.

    Destructive: the user is asked when the client supports it; otherwise pass confirm=true after
    the user approved. dry_run=true previews the result without confirmation.
    """

    async def run(client, _):
        decision = decide(approval, confirm=confirm)
        if not dry_run:
            require_confirm(decision, "Revoking access")
        change = AccessChange(
            resource_type=kind, resource_ids=resource_ids, accessors=accessors, roles=roles, dry_run=dry_run
        )
        return await access.revoke_access(client, change)

    return await invoke(ctx, ToolName.REVOKE_ACCESS, run, failed=lambda result: bool(result.failed))
