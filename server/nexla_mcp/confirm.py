"""Human confirmation for destructive tools.

When the client declares form elicitation, the server asks the human directly (an ``Elicit``
resolver that runs before the tool body; the answer arrives as the tool's ``approval``
parameter, which is not part of the input schema). A decline or cancel refuses the call.
This works on both protocol generations the SDK speaks: on 2026-07-28 sessions the question
is an ``input_required`` round of the same tool call; on 2025-11-25 and earlier (e.g. clients
connecting with ``mode="legacy"``) it is a server-initiated ``elicitation/create`` request. Both
are tested over stdio. When the client cannot ask, the caller must pass ``confirm: true`` (and,
for deletes, the exact ``confirm_name``), which the operation checks; otherwise the call is
refused with what to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import Context, Elicit
from mcp.server.mcpserver.resolve import Resolve
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from pydantic import BaseModel, Field

from nexla_ops.operations.errors import OperationRefused


class ConfirmByName(BaseModel):
    """What a human types to approve a delete."""

    confirm_name: str = Field(description="Type the exact name of the resource to delete it (cannot be undone).")


class ConfirmAction(BaseModel):
    """What a human ticks to approve another destructive action."""

    confirm: bool = Field(description="Tick to approve this action.")


def can_elicit(ctx: Context) -> bool:
    """True when the connected client declared form elicitation (so a human can be asked)."""
    try:
        capabilities = ctx.client_capabilities
    except ValueError:
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


@dataclass(frozen=True)
class Decision:
    """The confirmation to hand to the operation: from the human if asked, else from the caller."""

    confirm: bool
    confirm_name: str | None


def decide(approval: ElicitationResult[Any], *, confirm: bool, confirm_name: str | None = None) -> Decision:
    """Combine the elicitation outcome with the caller's ``confirm``/``confirm_name``.

    Raises :class:`OperationRefused` when the human declined or cancelled.
    """
    if not isinstance(approval, AcceptedElicitation):
        raise OperationRefused(
            f"The user {approval.action}d the confirmation; nothing was changed.",
            hint="Ask the user whether to proceed before calling the tool again.",
        )
    answer = approval.data
    if isinstance(answer, ConfirmByName):
        return Decision(confirm=True, confirm_name=answer.confirm_name)
    if isinstance(answer, ConfirmAction):
        if not answer.confirm:
            raise OperationRefused(
                "The user did not approve the action; nothing was changed.",
                hint="Ask the user whether to proceed before calling the tool again.",
            )
        return Decision(confirm=True, confirm_name=confirm_name)
    return Decision(confirm=confirm, confirm_name=confirm_name)


def require_confirm(decision: Decision, action: str) -> None:
    """Refuse unless the action was approved (for operations that do not check ``confirm`` themselves)."""
    if not decision.confirm:
        raise OperationRefused(
            f"{action} is destructive and needs confirmation; nothing was changed.",
            hint="Confirm with the user, then call again with confirm: true.",
        )


async def ask_delete(ctx: Context, kind: str, id: int) -> Elicit[ConfirmByName] | None:
    if not can_elicit(ctx):
        return None
    return Elicit(
        f"Delete {kind} {id} (and, unless whole_flow is false, its whole flow)? This cannot be undone. "
        "Type the resource's exact name to confirm.",
        ConfirmByName,
    )


def elicit_action(message: str) -> Elicit[ConfirmAction]:
    return Elicit(message, ConfirmAction)


DeleteApproval = Annotated[ElicitationResult[ConfirmByName], Resolve(ask_delete)]
