"""Credentials toolset: check a credential works, rotate it under every flow that uses it."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from mcp_types import InputRequiredResult
from pydantic import Field

from nexla_ops.operations import credentials
from nexla_ops.operations.credentials import ProbeResult, RotationRequest, RotationResult

from ..registry import ToolName
from ..runtime import invoke
from ..secret_elicitation import invoke_with_secrets, rotation_asking

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
        Field(description='Secret FIELD -> NEXLA_SECRET_* variable of the server, e.g. {"password": "NEXLA_SECRET_DB"}.'),
    ] = {},  # noqa: B006 - pydantic copies defaults
    fields_from_user: Annotated[
        dict[str, str],
        Field(description='Secret FIELD -> what to ask the user, who types it on a page the server opens, e.g. '
              '{"password": "new DB password"}.'),
    ] = {},  # noqa: B006 - pydantic copies defaults
    fields: Annotated[
        dict[str, Any], Field(description="Non-secret fields to change, e.g. region (others kept).")
    ] = {},  # noqa: B006 - pydantic copies defaults
    name: Annotated[str | None, Field(description="New name (default: old name + date).")] = None,
    keep_old: Annotated[bool, Field(description="Keep the old credential (do not delete it).")] = False,
    dry_run: Annotated[bool, Field(description="List dependents and planned steps only.")] = True,
) -> Annotated[CallToolResult, RotationResult] | InputRequiredResult:
    """Rotate a credential: create the new one, probe it, pause dependents, switch them over,
    reactivate, verify, retire the old one. Any failure rolls back to the old credential.

    Defaults to dry_run=true: show its plan to the user, then call with dry_run=false. Progress per step.
    """
    return await invoke_with_secrets(
        ctx,
        ToolName.ROTATE_CREDENTIAL,
        lambda: RotationRequest(
            credential_id=credential_id, fields_from_env=fields_from_env, fields_from_user=fields_from_user,
            fields=fields, name=name, keep_old=keep_old, dry_run=dry_run,
        ),
        rotation_asking,
        lambda client, progress, request: credentials.rotate_credential(client, request, progress),
        failed=lambda result: result.exit_code != 0,
        forget_on_success=not dry_run,
    )
