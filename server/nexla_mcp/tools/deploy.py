"""Deploy toolset: a flow spec in, a verified flow out (validate, plan, apply with rollback, destroy)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context, Elicit
from mcp.server.mcpserver.resolve import Resolve
from mcp.types import CallToolResult
from mcp_types import InputRequiredResult
from nexla_ops.operations import deploy
from nexla_ops.operations.deploy import (
    DeployPlan,
    DeployResult,
    DestroyResult,
    FlowSpec,
    SpecError,
    SpecIssue,
    ValidationReport,
)
from pydantic import Field

from ..confirm import ConfirmAction, can_elicit, decide, elicit_action
from ..registry import ToolName
from ..runtime import app_state, invoke
from ..secret_elicitation import invoke_with_secrets, spec_asking
from .params import Confirm

Spec = Annotated[
    str | dict[str, Any],
    Field(
        description="The flow spec: YAML or JSON text, a JSON object, or the path of a spec file inside the "
        "server's spec folder (relative to it, e.g. examples/orders_to_parquet.yaml). Its format is the "
        "nexla://deploy/spec-schema.json resource."
    ),
]


def _is_inline(text: str) -> bool:
    """True for spec text (several lines, or one line of JSON/YAML mapping); else it names a file."""
    if "\n" in text:
        return True
    try:
        return isinstance(yaml.safe_load(text), dict)
    except yaml.YAMLError:
        return False


def spec_file(text: str, spec_dir: Path) -> Path:
    """The file a path-like spec names, which must lie inside ``spec_dir``; raises SpecError otherwise.

    Relative paths resolve against ``spec_dir``, and links are followed before the check, so a
    tool caller cannot read files elsewhere on the server's machine.
    """
    given = Path(text.strip()).expanduser()
    resolved = (given if given.is_absolute() else spec_dir / given).resolve()
    if not resolved.is_relative_to(spec_dir):
        problem = (f"the spec file {text.strip()} is outside the server's spec folder {spec_dir}; move it there, "
                   "start the server with --spec-dir (NEXLA_MCP_SPEC_DIR), or pass the spec as text or an object")
        raise SpecError([SpecIssue(path="spec", message=problem)])
    if not resolved.is_file():
        problem = (f"no spec file {text.strip()} in the server's spec folder {spec_dir} (relative paths resolve "
                   "against it); pass the spec as YAML/JSON text or an object instead")
        raise SpecError([SpecIssue(path="spec", message=problem)])
    return resolved


def load(ctx: Context, spec: str | dict[str, Any]) -> FlowSpec:
    """The spec as a validated ``FlowSpec`` (raises SpecError naming each bad field)."""
    if isinstance(spec, dict):
        return deploy.parse_spec(spec)
    if _is_inline(spec):
        return deploy.load_spec(spec)
    return deploy.load_spec(spec_file(spec, app_state(ctx).spec_dir))


async def validate_deployment(
    ctx: Context, spec: Spec
) -> Annotated[CallToolResult, ValidationReport] | InputRequiredResult:
    """Check a flow spec without changing anything: fields, credentials (probed), transforms on samples.
    ok=false lists every issue by field path."""
    return await invoke_with_secrets(
        ctx, ToolName.VALIDATE_DEPLOYMENT, lambda: load(ctx, spec), spec_asking,
        lambda client, _, flow: deploy.validate_deployment(client, flow),
    )


async def plan_deployment(ctx: Context, spec: Spec) -> Annotated[CallToolResult, DeployPlan]:
    """Dry run: every change apply would make, in order (create, update field by field, delete,
    unchanged), each with the exact request body. Sends no change. Show this to the user before
    apply_deployment."""
    return await invoke(ctx, ToolName.PLAN_DEPLOYMENT, lambda client, _: deploy.plan_deployment(client, load(ctx, spec)))


async def apply_deployment(ctx: Context, spec: Spec) -> Annotated[CallToolResult, DeployResult] | InputRequiredResult:
    """Execute the spec's plan (create, update, delete as plan_deployment shows), verify, roll back on failure.

    Idempotent: applying the same spec again changes nothing; a create whose answer was lost is
    found by name and tag and adopted, never made twice. Sends a progress notification per step.
    status: applied, unchanged, invalid (nothing done) or rolled_back (rollback.summary and
    rollback.not_undone name each resource by id); the last two are error results.
    """
    return await invoke_with_secrets(
        ctx,
        ToolName.APPLY_DEPLOYMENT,
        lambda: load(ctx, spec),
        spec_asking,
        lambda client, progress, flow: deploy.apply_deployment(client, flow, progress),
        failed=lambda result: result.status not in ("applied", "unchanged"),
        forget_on_success=True,
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
        return await deploy.destroy_deployment(client, load(ctx, spec), confirm=decision.confirm, progress=progress)

    return await invoke(ctx, ToolName.DESTROY_DEPLOYMENT, run)
