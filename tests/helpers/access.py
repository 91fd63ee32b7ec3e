"""Helpers for the access, credential and batch tests: API clients per seeded user, small flows,
sandbox operator calls (faults, request counters, runs) and the audit log of a resource."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.config import Settings

from tests.helpers import scripts

S3_SECRET_FIELD = "secret_access_key"


def client_for(sandbox: Any, label: str | None = None, **settings: Any) -> AsyncNexlaClient:
    """An async client for the sandbox, as the admin or as the seeded user ``label``."""
    key = sandbox.service_key if label is None else sandbox.keys[label]
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": key, "NEXLA_AUDIT_LOG": ""}
    return AsyncNexlaClient(Settings.from_env(env=env, **settings))


def control(sandbox: Any, method: str, path: str, json: Any = None) -> Any:
    """Call a ``/_sandbox/...`` operator endpoint and return its JSON (raises on HTTP errors)."""
    response = sandbox.control.request(method, f"{sandbox.base_url}/_sandbox/{path.lstrip('/')}", json=json)
    response.raise_for_status()
    return response.json() if response.content else None


def inject_fault(
    sandbox: Any, method: str, path: str, status: int | None, count: int | None = 1, delay_s: float = 0
) -> None:
    """Make the next ``count`` requests (None: until cleared) matching ``method`` and the ``path`` regex
    answer ``status`` after ``delay_s`` (status None: only the delay; 0: hang, then drop the connection)."""
    control(
        sandbox,
        "POST",
        "faults",
        {
            "method": method,
            "path": path,
            "status": status,
            "count": count,
            "retry_after": None,
            "body": None,
            "delay_s": delay_s,
        },
    )


def reset_requests(sandbox: Any) -> None:
    control(sandbox, "DELETE", "requests")


def mutating_requests(sandbox: Any, fragment: str = "") -> dict[str, int]:
    """Counted PUT/POST/DELETE requests by ``METHOD /path`` (containing ``fragment``) since the last
    reset; session-token requests are not counted as changes."""
    routes = control(sandbox, "GET", "requests")["by_route"]
    return {
        route: n
        for route, n in routes.items()
        if route.split(" ", 1)[0] in ("PUT", "POST", "DELETE")
        and not route.split(" ", 1)[1].startswith("/token")
        and fragment in route
        and n
    }


async def make_credential(
    client: AsyncNexlaClient, name: str = "orders s3", secret: str = "old-secret-value", **extra: Any
) -> dict[str, Any]:
    return await client.post(
        "/data_credentials",
        json={"name": name, "credentials_type": "s3", "credentials": {S3_SECRET_FIELD: secret, **extra}},
    )


@dataclass
class Flow:
    """A source reading the demo orders, its detected nexset and (optionally) an S3 sink."""

    source_id: int
    nexset_id: int | None
    sink_id: int | None


async def make_flow(
    client: AsyncNexlaClient,
    credential_id: int,
    name: str = "orders",
    *,
    activate: bool = True,
    sink: bool = True,
) -> Flow:
    """Create a source on the demo orders (and a sink on its detected nexset); activate both if asked."""
    source = await client.post(
        "/data_sources",
        json={
            "name": name,
            "source_type": "s3",
            "data_credentials_id": credential_id,
            "source_config": {"path": "ingest/orders/"},
        },
    )
    if not sink:
        if activate:
            await client.put(f"/data_sources/{source['id']}/activate")
        return Flow(source["id"], None, None)
    await client.put(f"/data_sources/{source['id']}/activate")
    expanded = await client.get(f"/data_sources/{source['id']}", params={"expand": 1})
    nexset_id = expanded["data_sets"][0]["id"]
    created = await client.post(
        "/data_sinks",
        json={
            "name": f"{name} out",
            "sink_type": "s3",
            "data_credentials_id": credential_id,
            "data_set_id": nexset_id,
            "sink_config": {"path": f"out/{name}/", "data_format": "json"},
        },
    )
    if activate:
        await client.put(f"/data_sinks/{created['id']}/activate")
    else:
        await client.put(f"/data_sources/{source['id']}/pause")
    return Flow(source["id"], nexset_id, created["id"])


async def audit_events(client: AsyncNexlaClient, kind: str, resource_id: int) -> list[str]:
    """The ``event`` of every audit-log entry of a resource, oldest first."""
    entries = await client.get(f"/{kind}/{resource_id}/audit_log")
    return [e["event"] for e in sorted(entries, key=lambda e: e["id"])]




def run_script(
    name: str, args: list[str], env: dict[str, str], **extra_env: str
) -> subprocess.CompletedProcess:
    """Run ``scripts/<name>.py`` as a subprocess with the audit file off and ``extra_env`` added."""
    return scripts.run_script(name, *args, env={**env, "NEXLA_AUDIT_LOG": "", **extra_env})


def sync_client_for(sandbox: Any, label: str | None = None) -> NexlaClient:
    """A blocking client for setting things up in script tests."""
    key = sandbox.service_key if label is None else sandbox.keys[label]
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": key, "NEXLA_AUDIT_LOG": ""}
    return NexlaClient(Settings.from_env(env=env))
