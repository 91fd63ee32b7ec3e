"""Look before you deploy: what a connector needs, and what a credential's path holds."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import connectors, preview
from nexla_ops.operations.connectors import ConnectorDescription
from nexla_ops.operations.preview import PreviewRequest, PreviewResult

from ..registry import ToolName
from ..runtime import invoke


async def describe_connector(
    ctx: Context,
    connector: Annotated[str, Field(description="Connector code, e.g. s3, postgres; omit to list codes.")] = "",
    category: Annotated[str, Field(description="With no code: only this category (file, database, ...).")] = "",
) -> Annotated[CallToolResult, ConnectorDescription]:
    """Describe a connector: credential fields (which are secret), config keys, formats. Offline."""

    async def run(client: Any, _: Any) -> ConnectorDescription:
        return connectors.describe_connector(connector or None, category or None)

    return await invoke(ctx, ToolName.DESCRIBE_CONNECTOR, run)


async def preview_source(
    ctx: Context,
    credential_id: Annotated[int, Field(ge=1, description="Credential to look with.")],
    path: Annotated[str, Field(description="Folder or file under the connector root.")] = "",
    depth: Annotated[int, Field(ge=1, le=5, description="Folder levels to list.")] = 1,
    sample_size: Annotated[int, Field(ge=0, le=100, description="Records to read (0: list only).")] = 5,
) -> Annotated[CallToolResult, PreviewResult]:
    """List the files at a path and read sample records with a credential, before any source exists."""
    request = PreviewRequest(credential_id=credential_id, path=path or None, depth=depth, sample_size=sample_size)
    return await invoke(
        ctx, ToolName.PREVIEW_SOURCE, lambda client, progress: preview.preview_source(client, request, progress)
    )
