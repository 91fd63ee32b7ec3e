"""Helpers for the logs, metrics, health and quickstart tests: build flows in the sandbox over its
API, wait for background runs, run flows now, count requests, and a loopback webhook receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.domain import LogsPage
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import TRANSFORM

S3_SECRET = "monitor-test-secret-value"
# Fails on every record at operation 1: the customer's name is no number.
FAILING_TRANSFORM = {
    "version": 1,
    "operations": [
        {"operation": "flatten", "path": "line_items"},
        {"operation": "compute", "expression": "customer.name * 2", "as": "doubled"},
    ],
}


@dataclass
class BuiltFlow:
    """Ids of a flow built by :func:`build_flow`."""

    credential_id: int
    source_id: int
    flow_id: int
    detected_id: int | None = None
    nexset_id: int | None = None
    sink_id: int | None = None
    run_ids: list[int] = field(default_factory=list)


def client_for(sandbox: Any, label: str = "admin") -> AsyncNexlaClient:
    """An AsyncNexlaClient talking to ``sandbox`` as a seeded user, with no audit file."""
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.keys[label], "NEXLA_AUDIT_LOG": ""}
    return AsyncNexlaClient(Settings.from_env(env=env))


def control(sandbox: Any, method: str, path: str, json_body: Any = None) -> Any:
    """Call a ``/_sandbox`` operator endpoint (not counted, faulted or rate limited)."""
    response = sandbox.control.request(method, path.lstrip("/"), json=json_body)
    response.raise_for_status()
    return response.json() if response.content else None


def reset_requests(sandbox: Any) -> None:
    control(sandbox, "DELETE", "requests")


def request_counts(sandbox: Any) -> dict[str, Any]:
    """``{"total": n, "by_route": {...}}`` since the last reset."""
    return control(sandbox, "GET", "requests")


def run_now(sandbox: Any, source_id: int) -> dict[str, Any]:
    """Run a source's flow now (waits for any run under way); returns the run result."""
    return control(sandbox, "POST", f"sources/{source_id}/run")


def create_credential(api: httpx.Client, name: str = "monitor-s3", secret: str | None = S3_SECRET) -> int:
    fields = {"access_key_id": "AKIAMONITOR"}
    if secret is not None:
        fields["secret_access_key"] = secret
    response = api.post("data_credentials", json={"name": name, "credentials_type": "s3", "credentials": fields})
    response.raise_for_status()
    return response.json()["id"]


def _source_body(name: str, credential_id: int, path: str, cron: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {"path": path, "file_format": "json"}
    if cron:
        config["start.cron"] = cron
    return {"name": name, "source_type": "s3", "data_credentials_id": credential_id, "source_config": config}


def _ok(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    return response.json()


def wait_for_runs(api: httpx.Client, source_id: int, count: int, timeout_s: float = 30) -> list[int]:
    """Block until the source has finished ``count`` runs (its last run logged "finished"); run ids oldest first."""
    deadline = time.monotonic() + timeout_s
    while True:
        run_ids = [entry["id"] for entry in _ok(api.get(f"data_sources/{source_id}")).get("run_ids") or []]
        if len(run_ids) >= count:
            page = LogsPage.parse(_ok(api.get(f"data_flows/data_sources/{source_id}/logs",
                                              params={"run_id": run_ids[-1], "from": 0, "per_page": 500})))
            if any("finished" in line.message for line in page.logs):
                return sorted(run_ids)
        if time.monotonic() > deadline:
            raise AssertionError(f"source {source_id} did not finish {count} runs in {timeout_s}s (has {run_ids})")
        time.sleep(0.05)


def build_flow(
    sandbox: Any,
    api: httpx.Client,
    *,
    name: str = "orders",
    credential_id: int | None = None,
    source_path: str = "ingest/orders/",
    cron: str | None = None,
    transform: dict[str, Any] | None = TRANSFORM,
    sink_path: str | None = "analytics/orders/",
    demo_data: bool = True,
) -> BuiltFlow:
    """Build credential -> source -> detected nexset -> transformed nexset -> parquet sink and activate it.

    The activation run (before the nexset and sink exist) and the activation of the whole flow each
    start a background run; this waits for both, so the flow has exactly two finished runs.
    """
    if demo_data:
        write_demo_data(sandbox.data_dir)
    if credential_id is None:
        credential_id = create_credential(api, f"{name}-s3")
    source = _ok(api.post("data_sources", json=_source_body(name, credential_id, source_path, cron)))
    _ok(api.put(f"data_sources/{source['id']}/activate"))
    wait_for_runs(api, source["id"], 1)
    detected = _ok(api.get(f"data_sources/{source['id']}", params={"expand": 1})).get("data_sets") or []
    built = BuiltFlow(credential_id=credential_id, source_id=source["id"], flow_id=0)
    if detected:
        built.detected_id = detected[0]["id"]
    if transform is not None and built.detected_id is not None:
        nexset = _ok(api.post("data_sets", json={
            "name": f"{name}-items", "parent_data_set_id": built.detected_id,
            "has_custom_transform": True, "transform": transform,
        }))
        built.nexset_id = nexset["id"]
    if sink_path is not None and (built.nexset_id or built.detected_id):
        sink = _ok(api.post("data_sinks", json={
            "name": f"{name}-parquet", "sink_type": "s3", "data_credentials_id": credential_id,
            "data_set_id": built.nexset_id or built.detected_id,
            "sink_config": {"path": sink_path, "data_format": "parquet", "file_compression": "snappy"},
        }))
        built.sink_id = sink["id"]
    tree = _ok(api.get(f"data_sources/{source['id']}/flow", params={"flows_only": 1}))
    built.flow_id = tree["flows"][0]["id"]
    _ok(api.put(f"flows/{built.flow_id}/activate", params={"all": 1}))
    built.run_ids = wait_for_runs(api, source["id"], 2)
    return built


async def create_sources(
    sandbox: Any, count: int, *, credential_id: int, prefix: str = "bulk", cron: str | None = None, concurrency: int = 16
) -> list[int]:
    """Create ``count`` sources (one flow each) straight through the API, concurrently; their ids."""
    token = sandbox.token("admin")
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=sandbox.base_url + "/", timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}) as api:

        async def one(n: int) -> int:
            async with semaphore:
                response = await api.post("data_sources", json=_source_body(f"{prefix}-{n:04d}", credential_id,
                                                                            "ingest/orders/", cron))
                response.raise_for_status()
                return response.json()["id"]

        return list(await asyncio.gather(*(one(n) for n in range(count))))


class WebhookReceiver:
    """A tiny HTTP server on a loopback port that records POSTed JSON bodies and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.bodies: list[Any] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"null"))
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """A URL with a secret-looking path, like a Slack incoming webhook."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/services/T000/B000/secret-hook-token-XYZ"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
