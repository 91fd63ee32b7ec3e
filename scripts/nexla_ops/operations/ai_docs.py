"""GenAI documentation suggestions for a flow or a nexset.

``POST /flows/{id}/docs/recommendation`` and ``POST /data_sets/{id}/docs/recommendation`` (no body)
return ``{recommendation, status}``: a suggested description to review before saving it anywhere.
The call needs the admin role on the resource. It changes nothing, so a retry is safe.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from nexla_ops.client import AsyncNexlaClient
from nexla_ops.resources import ResourceKind, parse_kind

DOCUMENTED_KINDS = (ResourceKind.FLOWS, ResourceKind.NEXSETS)


class DocsRecommendation(BaseModel):
    resource_type: str
    resource_id: int
    recommendation: str = Field(description="Suggested documentation text; review it before use.")
    status: str | None = None


async def recommend_docs(client: AsyncNexlaClient, kind: str | ResourceKind, resource_id: int) -> DocsRecommendation:
    """A suggested description of a flow (``kind="flows"``, any node id) or a nexset (``data_sets``)."""
    parsed = parse_kind(kind)
    if parsed not in DOCUMENTED_KINDS:
        raise ValueError(f"kind {parsed.value!r} has no docs recommendation; use flows or data_sets (nexset)")
    if resource_id < 1:
        raise ValueError(f"resource_id must be a positive id, got {resource_id}")
    body = await client.post(f"{parsed.path}/{resource_id}/docs/recommendation", replay_safe=True) or {}
    return DocsRecommendation(
        resource_type=parsed.value, resource_id=resource_id,
        recommendation=str(body.get("recommendation") or ""), status=body.get("status"),
    )


__all__ = ["DocsRecommendation", "recommend_docs"]
