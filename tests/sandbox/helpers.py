"""Builders that create sandbox resources over HTTP, as any client would."""

from __future__ import annotations

import httpx

from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sandbox.testing import SandboxHandle

TRANSFORM = {"version": 1, "operations": [{"operation": "filter", "condition": "status != 'CANCELLED'"}]}


def ok(response: httpx.Response) -> dict | list:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def make_flow(sandbox: SandboxHandle, client: httpx.Client, name: str = "orders") -> dict:
    """credential -> source (activated, so the runtime detects its nexset, then paused) -> derived nexset -> sink."""
    write_demo_data(sandbox.data_dir)
    credential = ok(client.post("data_credentials", json={
        "name": f"{name} creds", "credentials_type": "s3",
        "credentials": {"region": "us-east-1", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t"}}))
    source = ok(client.post("data_sources", json={
        "name": f"{name} source", "source_type": "s3", "data_credentials_id": credential["id"],
        "source_config": {"path": "ingest/orders/", "file_format": "json"}}))
    ok(client.put(f"data_sources/{source['id']}/activate"))
    ok(client.put(f"data_sources/{source['id']}/pause"))
    detected = ok(client.get(f"data_sources/{source['id']}", params={"expand": 1}))["data_sets"][0]
    derived = ok(client.post("data_sets", json={
        "name": f"{name} clean", "parent_data_set_id": detected["id"], "has_custom_transform": True,
        "transform": TRANSFORM}))
    sink = ok(client.post("data_sinks", json={
        "name": f"{name} out", "sink_type": "s3", "data_credentials_id": credential["id"],
        "data_set_id": derived["id"], "sink_config": {"path": "out/", "data_format": "json"}}))
    return {"credential": credential, "source": source, "detected": detected, "derived": derived, "sink": sink}
