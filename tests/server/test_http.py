"""Streamable HTTP: bearer token on every request, Host/Origin checks, no unsafe binds."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from nexla_mcp.app import build_server
from nexla_mcp.http import HttpConfigError, http_app, resolve_token
from tests.helpers.mcp import offline_settings

TOKEN = "test-token-0123456789-abcdefghij"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
ACCEPT = "application/json, text/event-stream"


async def _post(headers: dict[str, str]) -> httpx.Response:
    app = http_app(build_server(settings=offline_settings()), host="127.0.0.1", token=TOKEN)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as client:
            return await client.post("/mcp", json=INITIALIZE, headers={"Accept": ACCEPT, **headers})


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_a_request_with_the_token_from_localhost_is_served(scheme: str) -> None:
    response = await _post({"Authorization": f"{scheme} {TOKEN}", "Origin": "http://localhost:3000"})
    assert response.status_code == 200
    assert "nexla-data-flows" in response.text


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x"])
async def test_missing_or_wrong_token_is_401(authorization: str | None) -> None:
    response = await _post({"Authorization": authorization} if authorization else {})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized" and TOKEN not in response.text


async def test_foreign_origin_is_refused() -> None:
    response = await _post({"Authorization": f"Bearer {TOKEN}", "Origin": "http://evil.example.com"})
    assert response.status_code == 403


async def test_foreign_host_is_refused() -> None:
    response = await _post({"Authorization": f"Bearer {TOKEN}", "Host": "evil.example.com"})
    assert response.status_code in (403, 421)


def test_token_rules() -> None:
    assert resolve_token("127.0.0.1", f" {TOKEN} ") == (TOKEN, False)
    with pytest.raises(HttpConfigError, match="at least 24"):
        resolve_token("0.0.0.0", "short-token")
    generated, was_generated = resolve_token("localhost", None)
    assert was_generated and len(generated) >= 32
    with pytest.raises(HttpConfigError, match="NEXLA_MCP_HTTP_TOKEN"):
        resolve_token("0.0.0.0", None)


def test_cli_refuses_a_public_bind_without_a_token() -> None:
    env = {"PATH": "/usr/bin:/bin", "NEXLA_API_URL": "http://127.0.0.1:9/nexla-api", "NEXLA_SERVICE_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "nexla_mcp", "--transport", "http", "--host", "0.0.0.0"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "NEXLA_MCP_HTTP_TOKEN" in done.stderr and done.stdout == ""
