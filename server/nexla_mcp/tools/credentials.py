"""Credentials toolset: check a credential works, rotate it under every flow that uses it."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import credentials
from nexla_ops.operations.credentials import ProbeResult, RotationRequest, RotationResult

from ..registry import ToolName
from ..runtime import invoke

CredentialId = Annotated[int, Field(ge=1, description="Id of the credential (data_credentials).")]


async def probe_credential(ctx: Context, credential_id: CredentialId) -> Annotated[CallToolResult, ProbeResult]:
    """Test a credential against its system; verified=false with a message when it cannot connect."""
    return await invoke(
        ctx, ToolName.PROBE_CREDENTIAL, lambda client, _: credentials.probe_credential(client, credential_id)
    )


async def rotate_credential(
    ctx: Context,
    credential_id: CredentialId,
    fields_from_env: Annotated[
        dict[str, str],
        Field(
            description="Secret fields of the new credential, as FIELD -> NAME of an environment variable of the "
            "MCP server that holds the value (secrets never travel through the conversation). "
            'Example: {"password": "NEW_DB_PASSWORD"}.'
        ),
    ] = {},  # noqa: B006 - pydantic copies defaults
    fields: Annotated[
        dict[str, Any], Field(description="Non-secret fields to change, e.g. region; the rest are kept from the old one.")
    ] = {},  # noqa: B006 - pydantic copies defaults
    name: Annotated[str | None, Field(description="Name of the new credential (default: old name + date).")] = None,
    keep_old: Annotated[bool, Field(description="Keep the old credential instead of deleting it at the end.")] = False,
    dry_run: Annotated[bool, Field(description="List the dependents and planned steps; change nothing.")] = True,
) -> Annotated[CallToolResult, RotationResult]:
    """Rotate a credential: create the new one, probe it, pause dependents, switch them over,
    reactivate, verify, then retire the old one. Any failure rolls back to the old credential.

    Defaults to dry_run=true: run it first, show the plan to the user, then call with dry_run=false.
    Sends a progress notification per step.
    """
    return await invoke(
        ctx,
        ToolName.ROTATE_CREDENTIAL,
        lambda client, progress: credentials.rotate_credential(
            client,
            RotationRequest(
                credential_id=credential_id, fields_from_env=fields_from_env, fields=fields, name=name,
                keep_old=keep_old, dry_run=dry_run,
            ),
            progress,
        ),
        failed=lambda result: result.exit_code != 0,
    )
