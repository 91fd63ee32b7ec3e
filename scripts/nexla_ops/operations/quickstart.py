"""First contact: which API, who am I, what exists, and what to do next.

Counts are complete: every list is read to its last page (concurrently across resource types),
never capped at a first page. Missing configuration is reported by the client before anything is
sent (``ConfigError``, exit code 3) with the hint to start the sandbox.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from nexla_ops.domain import FlowTree
from nexla_ops.operations.guidance import step
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress
from nexla_ops.resources import ResourceKind

COUNTED_KINDS = (
    ResourceKind.CREDENTIALS,
    ResourceKind.SOURCES,
    ResourceKind.NEXSETS,
    ResourceKind.DESTINATIONS,
    ResourceKind.PROJECTS,
)
PAGE_SIZE = 100
# Counts mean "what you can reach": real Nexla lists only what the caller owns without it.
REACHABLE = {"access_role": "collaborator"}
EXAMPLE_SPEC = "examples/orders_to_parquet.yaml"


class Identity(BaseModel):
    """The authenticated user and the org the session acts in."""

    user_id: int | None = None
    email: str | None = None
    full_name: str | None = None
    org_id: int | None = None
    org_name: str | None = None


class QuickstartReport(BaseModel):
    """Configuration and auth check, resource counts and the suggested next step."""

    api_url: str
    auth_mode: str = Field(description="service_key or access_token")
    identity: Identity
    counts: dict[str, int] = Field(description="resource kind -> total count (flows = root flows)")
    active_flows: int
    next_step: str
    checks: list[str] = Field(description="what was verified, in order")


async def _count(client: Any, kind: ResourceKind) -> int:
    total = 0
    async for _ in client.paginate(kind.path, params=REACHABLE, per_page=PAGE_SIZE):
        total += 1
    return total


async def _count_flows(client: Any) -> tuple[int, int]:
    """(root flows, active root flows) read from every page of the flow list."""
    total = active = 0
    page = 1
    seen: set[int] = set()
    while True:
        body = await client.get("/flows", params={**REACHABLE, "flows_only": 1, "page": page, "per_page": PAGE_SIZE})
        roots = FlowTree.parse(body).flows
        fresh = [node for node in roots if node.id not in seen]
        seen.update(node.id for node in fresh)
        total += len(fresh)
        active += sum(1 for node in fresh if node.state == "ACTIVE")
        if len(roots) < PAGE_SIZE or not fresh:
            return total, active
        page += 1


def _identity(user: dict[str, Any]) -> Identity:
    org = user.get("org") or user.get("current_org") or user.get("default_org") or {}
    return Identity(
        user_id=user.get("id"),
        email=user.get("email"),
        full_name=user.get("full_name"),
        org_id=org.get("id") if isinstance(org, dict) else None,
        org_name=org.get("name") if isinstance(org, dict) else None,
    )


def next_step(counts: dict[str, int], active_flows: int) -> str:
    """The one thing to do next given what exists (a tool call through MCP, a command in a script)."""
    deploy = step("apply_deployment", {"spec": EXAMPLE_SPEC}, f"python scripts/deploy_flow.py apply --spec {EXAMPLE_SPEC}")
    if counts.get(ResourceKind.CREDENTIALS.value, 0) == 0:
        return (
            f"No credentials yet: create one, or deploy the example flow (it creates its credential "
            f"from environment variables): {deploy}"
        )
    if counts.get(ResourceKind.SOURCES.value, 0) == 0:
        return f"Credentials exist but no sources: deploy a flow from a spec, e.g. {deploy}"
    if counts.get(ResourceKind.DESTINATIONS.value, 0) == 0:
        return f"Sources exist but nothing is written anywhere: add a destination to a flow spec and apply it: {deploy}"
    if active_flows == 0:
        activate = step("activate_flow", {"kind": "flows", "id": "<flow id>"},
                        "python scripts/flow_control.py activate --kind flows --id <flow id>")
        listing = step("list_resources", {"kind": "flows"}, "python scripts/list_resources.py flows")
        return f"No flow is active: activate one with {activate} (list them: {listing})"
    return "Flows are running: check them with " + step("check_health", {}, "python scripts/health_check.py")


async def quickstart(client: Any, progress: ProgressCallback = no_progress) -> QuickstartReport:
    """Check configuration and auth (GET /users/current), count every resource type, suggest a next step.

    Raises the client's AuthenticationError (exit code 3) when the key is rejected.
    """
    settings = client.settings
    checks = [f"configuration: API URL {settings.api_url}, auth by {settings.auth_mode}"]
    await progress(ProgressEvent(step="auth", message=f"signing in to {settings.api_url}"))
    user = await client.whoami()
    identity = _identity(user if isinstance(user, dict) else {})
    checks.append(f"authenticated as {identity.email or identity.user_id} (org {identity.org_name or identity.org_id})")
    await progress(ProgressEvent(step="count", message="counting resources"))

    async def count(kind: ResourceKind) -> int:
        return await _count(client, kind)

    results = await client.fan_out(count, COUNTED_KINDS, concurrency=len(COUNTED_KINDS))
    counts: dict[str, int] = {}
    for kind, result in zip(COUNTED_KINDS, results, strict=True):
        if isinstance(result, BaseException):
            raise result
        counts[kind.value] = result
    flows, active = await _count_flows(client)
    counts[ResourceKind.FLOWS.value] = flows
    checks.append("counted " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    return QuickstartReport(
        api_url=str(settings.api_url),
        auth_mode=str(settings.auth_mode),
        identity=identity,
        counts=counts,
        active_flows=active,
        next_step=next_step(counts, active),
        checks=checks,
    )
