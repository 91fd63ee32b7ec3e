"""Helpers for the deploy, listing, flow-control and transform tests: a client for the sandbox,
operator calls (faults, request counters, runs), the guide's spec, and an inventory of every
flow-related resource (to prove a failed deploy left nothing behind)."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.operations.deploy import FlowSpec, parse_spec

SECRET_ENV = "NEXLA_SECRET_DEMO_S3"  # the prefix the MCP server allows by default
MUTATING = ("POST ", "PUT ", "DELETE ", "PATCH ")

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
    }
    data.update(overrides)
    return data


def make_spec(**overrides: Any) -> FlowSpec:
    return parse_spec(spec_data(**overrides))


def spec_yaml(**overrides: Any) -> str:
    return yaml.safe_dump(spec_data(**overrides), sort_keys=False)


def client_for(sandbox: Any) -> AsyncNexlaClient:
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.service_key, "NEXLA_AUDIT_LOG": ""}
    return AsyncNexlaClient(Settings.from_env(env=env))


def control(sandbox: Any, method: str, path: str, json: Any = None) -> Any:
    response = sandbox.control.request(method, f"{sandbox.base_url}/_sandbox/{path.lstrip('/')}", json=json)
    response.raise_for_status()
    return response.json() if response.content else None


def inject_fault(sandbox: Any, method: str, path: str, status: int = 500, count: int = 1) -> None:
    """The next ``count`` requests matching ``method`` and the ``path`` regex answer ``status``."""
    control(sandbox, "POST", "faults", {"method": method, "path": path, "status": status, "count": count,
                                        "retry_after": None, "body": None, "delay_s": 0})


def reset_requests(sandbox: Any) -> None:
    control(sandbox, "DELETE", "requests")


def mutating_requests(sandbox: Any) -> dict[str, int]:
    """Counted PUT/POST/DELETE routes since the last reset (POST /token excluded: it changes nothing)."""
    routes = control(sandbox, "GET", "requests")["by_route"]
    return {route: n for route, n in routes.items() if route.startswith(MUTATING) and n and not route.endswith("/token")}


def run_source(sandbox: Any, source_id: int) -> dict[str, Any]:
    return control(sandbox, "POST", f"sources/{source_id}/run")


async def inventory(client: AsyncNexlaClient) -> dict[str, list[tuple[int, str]]]:
    """(id, name) of every credential, source, nexset, destination and project visible to the admin."""
    found: dict[str, list[tuple[int, str]]] = {}
    for kind in ("data_credentials", "data_sources", "data_sets", "data_sinks", "projects"):
        found[kind] = [(item["id"], item.get("name")) async for item in client.paginate(f"/{kind}", per_page=100)]
    return found
