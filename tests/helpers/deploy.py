"""Helpers for the deploy, listing, flow-control and transform tests: a client for the sandbox,
operator calls (faults, request counters, runs), the guide's spec, and an inventory of every
flow-related resource (to prove a failed deploy left nothing behind)."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.operations.deploy import DeployPlan, DeployResult, FlowSpec, apply_deployment, parse_spec
from nexla_sandbox.runtime.demo import write_demo_data

SECRET_ENV = "NEXLA_SECRET_DEMO_S3"  # the prefix the MCP server allows by default
DEMO_SECRET = "demo-secret-value"
MUTATING = ("POST ", "PUT ", "DELETE ", "PATCH ")
READS_AS_POST = ("/token", "/probe/tree", "/probe/sample")

TRANSFORM = {
    "version": 1,
    "operations": [
        {"operation": "flatten", "path": "line_items"},
        {"operation": "rename", "fields": {"line_items.sku": "sku"}},
        {"operation": "filter", "condition": "status != 'CANCELLED'"},
    ],
}


def spec_data(name: str = "orders-to-parquet", **overrides: Any) -> dict[str, Any]:
    """The guide's deployment as plain data (S3 JSON orders -> transformed nexset -> S3 Parquet)."""
    data: dict[str, Any] = {
        "name": name,
        "credential": {"name": f"{name}-s3", "type": "s3",
                       "fields": {"access_key_id": "AKIADEMO", "secret_access_key": {"from_env": SECRET_ENV}}},
        "source": {"name": f"{name}-source", "type": "s3", "config": {"path": "ingest/orders/", "file_format": "json"}},
        "nexsets": [{"name": f"{name}-items", "transform": copy.deepcopy(TRANSFORM)}],
        "destinations": [{"name": f"{name}-parquet", "type": "s3",
                          "config": {"path": "analytics/orders/", "data_format": "parquet", "file_compression": "snappy"}}],
        "activate": True,
        "discovery_timeout_s": 20,
        # The guide's flatten and filter have no official Nexla equivalent; the sandbox runs the authoring form.
        "transform_dialect": "authoring",
    }
    data.update(overrides)
    return data


def make_spec(**overrides: Any) -> FlowSpec:
    return parse_spec(spec_data(**overrides))


def spec_yaml(**overrides: Any) -> str:
    return yaml.safe_dump(spec_data(**overrides), sort_keys=False)


def client_for(sandbox: Any, **settings: Any) -> AsyncNexlaClient:
    """A client for the sandbox's org admin; ``settings`` override e.g. ``timeout_s``, ``max_attempts``."""
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.service_key, "NEXLA_AUDIT_LOG": ""}
    return AsyncNexlaClient(Settings.from_env(env=env, **settings))


def control(sandbox: Any, method: str, path: str, json: Any = None) -> Any:
    response = sandbox.control.request(method, f"{sandbox.base_url}/_sandbox/{path.lstrip('/')}", json=json)
    response.raise_for_status()
    return response.json() if response.content else None


def inject_fault(sandbox: Any, method: str, path: str, status: int = 500, count: int = 1, **options: Any) -> None:
    """The next ``count`` requests matching ``method`` and the ``path`` regex answer ``status``.

    ``options`` are further fault fields, e.g. ``retry_after="1"`` or ``after_commit=True``."""
    control(sandbox, "POST", "faults", {"method": method, "path": path, "status": status, "count": count,
                                        "retry_after": None, "body": None, "delay_s": 0, **options})


def sandbox_has_after_commit_faults(sandbox: Any) -> bool:
    """Whether this sandbox can process a request and then lose its answer (``after_commit``)."""
    inject_fault(sandbox, "GET", r"^/never-requested$", status=504, count=1, after_commit=True)
    faults = control(sandbox, "GET", "faults")
    control(sandbox, "DELETE", "faults")
    return any("after_commit" in fault for fault in faults)


def reset_requests(sandbox: Any) -> None:
    control(sandbox, "DELETE", "requests")


def mutating_requests(sandbox: Any) -> dict[str, int]:
    """Counted PUT/POST/DELETE routes since the last reset (POST /token and the probe tree/sample
    reads that validate sends excluded: they change nothing)."""
    routes = control(sandbox, "GET", "requests")["by_route"]
    return {route: n for route, n in routes.items()
            if route.startswith(MUTATING) and n and not route.endswith(READS_AS_POST)}


def run_source(sandbox: Any, source_id: int) -> dict[str, Any]:
    return control(sandbox, "POST", f"sources/{source_id}/run")


async def inventory(client: AsyncNexlaClient) -> dict[str, list[tuple[int, str]]]:
    """(id, name) of every credential, source, nexset, destination and project visible to the admin."""
    found: dict[str, list[tuple[int, str]]] = {}
    for kind in ("data_credentials", "data_sources", "data_sets", "data_sinks", "projects"):
        found[kind] = [(item["id"], item.get("name")) async for item in client.paginate(f"/{kind}", per_page=100)]
    return found


def announced(plan: DeployPlan) -> set[tuple[str, str]]:
    """(path, action) of every change the plan says apply makes."""
    return {(c.path, c.action) for c in plan.changes if c.action in ("create", "update", "delete", "detect")}


def applied_changes(result: DeployResult) -> set[tuple[str, str]]:
    """(path, action) of what apply did, mapped back to plan paths by resource id or name."""
    plan = result.plan
    assert plan is not None
    by_key = {(c.kind, c.name): c.path for c in plan.changes}
    by_id = {(c.kind, c.id): c.path for c in plan.changes if c.id is not None}
    out = set()
    for ref in result.created:
        out.add((by_key.get((ref.kind, ref.name)) or by_id.get((ref.kind, ref.id)) or "source.detected", "create"))
    for ref in result.updated:
        out.add((by_id[(ref.kind, ref.id)], "update"))
    for ref in result.deleted:
        out.add((by_id[(ref.kind, ref.id)], "delete"))
    out.update(("project.flows", "update") for _ in result.linked)
    return {(path, "detect" if path == "source.detected" else action) for path, action in out}


async def deploy_demo(sandbox: Any) -> DeployResult:
    """The guide's deployment applied over the demo files (needs SECRET_ENV set: fixture ``deploy_secret``)."""
    write_demo_data(sandbox.data_dir)
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, make_spec())
    assert result.status == "applied", result.error
    return result
