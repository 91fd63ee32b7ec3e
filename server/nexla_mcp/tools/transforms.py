"""Transforms toolset: try a transform on sample records before deploying it."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from nexla_ops.operations import transforms
from nexla_ops.operations.transforms import TransformValidationRequest, TransformValidationResult

from ..registry import ToolName
from ..runtime import invoke


async def validate_transform(
    ctx: Context,
    transform: Annotated[
        dict[str, Any] | list[Any] | None,
        Field(description="The transform: official {version, data_maps, transforms, custom_config}, a Jolt list, "
              "or authoring {version, operations} (see the TRANSFORMS.md resource)."),
    ] = None,
    transform_id: Annotated[int | None, Field(ge=1, description="A reusable transform to check instead.")] = None,
    records: Annotated[
        list[dict[str, Any]] | None, Field(description="Sample input records given inline.")
    ] = None,
    nexset_id: Annotated[int | None, Field(ge=1, description="Take sample records from this nexset instead.")] = None,
    sample_count: Annotated[int, Field(ge=1, le=1000, description="Samples to fetch from the nexset.")] = 20,
    max_output_records: Annotated[int, Field(ge=0, le=200, description="Output records returned.")] = 10,
) -> Annotated[CallToolResult, TransformValidationResult]:
    """Validate a transform (every static mistake at once) and run it on sample records: output
    records, output schema, per-operation counts, errors naming the operation index, and the
    official body Nexla would get. Changes nothing."""
    return await invoke(
        ctx,
        ToolName.VALIDATE_TRANSFORM,
        lambda client, _: transforms.validate_transform(
            client,
            TransformValidationRequest(
                transform=transform, transform_id=transform_id, records=records, nexset_id=nexset_id, sample_count=sample_count,
                max_output_records=max_output_records,
            ),
        ),
    )
