"""Deploy toolset: a flow spec in, a verified flow out (validate, plan, apply with rollback, destroy)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context, Elicit
from mcp.server.mcpserver.resolve import Resolve
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import deploy
from nexla_ops.operations.deploy import DeployPlan, DeployResult, DestroyResult, FlowSpec, ValidationReport

from ..confirm import ConfirmAction, can_elicit, decide, elicit_action
from ..registry import ToolName
from ..runtime import invoke
from .params import Confirm

Spec = Annotated[
    str | dict[str, Any],
    Field(
        description="The flow spec: YAML or JSON text, a JSON object, or the path of a spec file on the server's "
        "machine (e.g. examples/orders_to_parquet.yaml). Its format is the nexla://deploy/spec-schema.json resource."
    ),
]


def load(spec: str | dict[str, Any]) -> FlowSpec:
    """The spec as a validated ``FlowSpec`` (raises SpecError naming each bad field)."""
    return deploy.parse_spec(spec) if isinstance(spec, dict) else deploy.load_spec(spec)


async def validate_deployment(ctx: Context, spec: Spec) -> Annotated[CallToolResult, ValidationReport]:
    """Check a flow spec without changing anything: fields, credentials (probed), transforms on samples.
    ok=false lists every issue by field path."""
    return await invoke(
        ctx, ToolName.VALIDATE_DEPLOYMENT, lambda client, _: deploy.validate_deployment(client, load(spec))
    )


async def plan_deployment(ctx: Context, spec: Spec) -> Annotated[CallToolResult, DeployPlan]:
    """Dry run: every change apply would make, in order (create, update field by field, delete,
    unchanged), each with the exact request body. Sends no change. Show this to the user before
    apply_deployment."""
    return await invoke(ctx, ToolName.PLAN_DEPLOYMENT, lambda client, _: deploy.plan_deployment(client, load(spec)))


async def apply_deployment(ctx: Context, spec: Spec) -> Annotated[CallToolResult, DeployResult]:
    """Execute the spec's plan (create, update, delete as plan_deployment shows), verify, roll back on failure.

    Idempotent: applying the same spec again changes nothing; a create whose answer was lost is
    found by name and tag and adopted, never made twice. Sends a progress notification per step.
    status: applied, unchanged, invalid (nothing done) or rolled_back (rollback.summary and
    rollback.not_undone name each resource by id).
    """
    return await invoke(
        ctx,
        ToolName.APPLY_DEPLOYMENT,
        lambda client, progress: deploy.apply_deployment(client, load(spec), progress),
    )


async def ask_destroy(ctx: Context) -> Elicit[ConfirmAction] | None:
    if not can_elicit(ctx):
        return None
    return elicit_action(
        "Destroy this deployment? Its flow, nexsets, source, destinations and the credentials it created "
        "are deleted. This cannot be undone."
    )


async def destroy_deployment(
    ctx: Context,
    spec: Spec,
    approval: Annotated[ElicitationResult[ConfirmAction], Resolve(ask_destroy)],
    confirm: Confirm = False,
) -> Annotated[CallToolResult, DestroyResult]:
    """Delete every resource a spec's deployment created (found by name and tag). Cannot be undone.

    The user is asked when the client supports it; otherwise pass confirm=true after the user
    agreed (run plan_deployment first to show what exists).
    """

    async def run(client, progress):
        decision = decide(approval, confirm=confirm)
        return await deploy.destroy_deployment(client, load(spec), confirm=decision.confirm, progress=progress)

    return await invoke(ctx, ToolName.DESTROY_DEPLOYMENT, run)
