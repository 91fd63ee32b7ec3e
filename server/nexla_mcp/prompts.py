"""Prompts for the main workflows: each is a short, ordered plan that names the tools to use."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field


def deploy_pipeline(
    spec: Annotated[str, Field(description="The flow spec (YAML text) or what the pipeline should do.")],
) -> str:
    """Deploy a pipeline safely: validate, plan, confirm, apply with automatic rollback, verify."""
    return (
        "Deploy this Nexla pipeline safely.\n\n"
        f"Spec or goal:\n{spec}\n\n"
        "Steps:\n"
        "1. If this is a goal rather than a spec, write a flow spec (read the REFERENCE.md and EXAMPLES.md "
        "resources and the deploy spec schema). Test any transform with validate_transform on sample records.\n"
        "2. validate_deployment: fix every problem it reports before going on.\n"
        "3. plan_deployment: show the user what will be created, updated or left unchanged, and ask to proceed.\n"
        "4. apply_deployment only after the user agreed. It reports progress and rolls back on failure; if it "
        "reports anything not undone, list those ids to the user.\n"
        "5. Verify: get_flow for the new flow, then get_run_summaries or check_health after its first run."
    )


def triage_failed_flow(
    kind: Annotated[str, Field(description="data_sources, data_sets, data_sinks or flows.")],
    id: Annotated[str, Field(description="Id of the resource or flow that failed.")],
) -> str:
    """Find out why a flow failed and what to do next."""
    return (
        f"The Nexla flow of {kind} {id} failed. Find out why and what to do.\n\n"
        "Steps:\n"
        f"1. get_flow kind={kind} id={id}: which nodes exist and their status.\n"
        f"2. triage_flow kind={kind} id={id}: grouped errors, likely cause, next step, comparison with the "
        "last successful run.\n"
        "3. If the cause is unclear, get_logs with level=ERROR and tail=20 for the failing node.\n"
        "4. If a credential is suspected, probe_credential on the credentials get_flow listed.\n"
        "5. Report: what failed, since when, the likely cause, and the fix. Do not change anything "
        "(pause, delete, rotate) without asking the user first."
    )


def daily_health_check() -> str:
    """Check every flow's health and summarise what needs attention."""
    return (
        "Run the daily health check of our Nexla flows.\n\n"
        "Steps:\n"
        "1. check_health: verdict per flow (healthy, warning, critical) with reasons.\n"
        "2. For each critical flow, triage_flow on it; for warnings, get_daily_metrics to see the trend.\n"
        "3. Summarise in a short table: flow, verdict, reason, suggested next step. Change nothing."
    )


def rotate_credential_prompt(
    credential_id: Annotated[str, Field(description="Id of the credential to rotate.")],
    env_vars: Annotated[
        str, Field(description="FIELD=ENV_VAR pairs naming where the server finds each new secret value.")
    ] = "",
) -> str:
    """Rotate a credential under every flow using it, with a dry run first and rollback on failure."""
    mapping = f" The new secret fields come from these server environment variables: {env_vars}." if env_vars else ""
    return (
        f"Rotate Nexla credential {credential_id}.{mapping}\n\n"
        "Steps:\n"
        f"1. probe_credential credential_id={credential_id}: note whether the current one still works.\n"
        "2. rotate_credential with dry_run=true: show the user the dependents and planned steps.\n"
        "3. After the user agrees, rotate_credential with dry_run=false. It pauses dependents, switches them, "
        "reactivates, verifies, and only then retires the old credential; any failure rolls back.\n"
        "4. Report the outcome, the new credential id, and anything the result says was not undone.\n"
        "Never ask the user to paste a secret into the conversation."
    )


def register_prompts(server: MCPServer) -> None:
    server.prompt(name="deploy_pipeline", title="Deploy a pipeline with validation and rollback")(deploy_pipeline)
    server.prompt(name="triage_failed_flow", title="Triage a failed flow")(triage_failed_flow)
    server.prompt(name="daily_health_check", title="Daily health check")(daily_health_check)
    server.prompt(name="rotate_credential", title="Rotate a credential")(rotate_credential_prompt)
