"""Transport edge cases the sandbox cannot produce, through httpx.MockTransport."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from nexla_ops.audit import AuditLog
from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.client.auth import TokenCache
from nexla_ops.config import Settings
from nexla_ops.errors import NexlaError, ServerError

_counter = iter(range(10**6))


def settings(tmp_path, **overrides) -> Settings:
    # A unique URL per test keeps the process-wide circuit breakers apart.
    base = {
        "api_url": f"http://mock-{next(_counter)}.invalid/nexla-api",
        "service_key": "mock-service-key-123",
        "rate_limit_per_s": 0,
        "audit_log_path": str(tmp_path / "audit.jsonl"),
        "max_attempts": 3,
    }
    base.update(overrides)
    return Settings.from_env({}, **base)


def token_or(handler):
    def wrapped(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "mock-token-abcdef", "expires_in": 86400})
        return handler(request)

    return wrapped


def test_headers_follow_the_contract(tmp_path):
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "mock-token-abcdef", "expires_in": 86400})
        return httpx.Response(200, json={"ok": True})

    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(handler)) as client:
        assert client.get("/data_sources/1") == {"ok": True}
    token_req, api_req = seen
    assert token_req.method == "POST" and token_req.headers["authorization"] == "Basic mock-service-key-123"
    assert "content-type" not in token_req.headers and token_req.content == b""
    assert api_req.headers["authorization"] == "Bearer mock-token-abcdef"
    assert api_req.headers["accept"] == "application/vnd.nexla.api.v1+json"
    assert api_req.headers["content-type"] == "application/json"
    assert api_req.headers["user-agent"].startswith("nexla-data-flows-operator/")


def test_http_date_retry_after_is_honoured(tmp_path, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) == 1:
            when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
            return httpx.Response(503, headers={"Retry-After": when}, text="busy")
        return httpx.Response(200, json=[{"id": 1}])

    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(token_or(handler))) as client:
        assert client.get("/data_sources") == [{"id": 1}]
    assert len(slept) == 1 and 17.0 <= slept[0] <= 20.0


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(204), None),
        (httpx.Response(200, content=b""), None),
        (httpx.Response(200, text="plain words"), {"raw_text": "plain words", "status_code": 200}),
        (httpx.Response(200, json="https://download/link"), "https://download/link"),
    ],
)
def test_success_bodies(tmp_path, response, expected):
    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(token_or(lambda r: response))) as client:
        assert client.get("/async_tasks/1/download_link") == expected


def test_non_json_error_body_becomes_the_message(tmp_path):
    handler = token_or(lambda r: httpx.Response(500, text="<html>Internal oops</html>"))
    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ServerError) as info:
            client.get("/data_sets/3")
    assert "Internal oops" in info.value.message
    assert info.value.attempts == 1, "a 500 is not retried automatically"
    assert info.value.resource_type == "data_sets" and info.value.resource_id == "3"


def test_request_id_header_reaches_the_audit_line(tmp_path):
    handler = token_or(lambda r: httpx.Response(200, json={"id": 9}, headers={"X-Request-Id": "req-42"}))
    s = settings(tmp_path)
    with NexlaClient(s, transport=httpx.MockTransport(handler)) as client:
        client.put("/data_sources/9/activate")
    (line,) = AuditLog.read(s.audit_file)
    assert line["request_id"] == "req-42" and line["operation"] == "PUT /data_sources/{id}/activate"
    assert line["outcome"] == "ok" and line["resource_id"] == "9" and line["status"] == 200


def test_paginating_a_server_that_ignores_page_fails_loudly(tmp_path):
    handler = token_or(lambda r: httpx.Response(200, json=[{"id": 1}, {"id": 2}]))
    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(NexlaError, match="ignores paging"):
            list(client.paginate("/data_sources", per_page=2))


def test_paginating_a_non_list_fails_loudly(tmp_path):
    handler = token_or(lambda r: httpx.Response(200, json={"flows": []}))
    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(NexlaError, match="did not return a list"):
            list(client.paginate("/flows"))


def test_envelope_pages_are_understood(tmp_path):
    def handler(request):
        page = int(request.url.params["page"])
        return httpx.Response(200, json={"data": [{"id": page}] if page < 3 else [], "meta": {}})

    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(token_or(handler))) as client:
        assert [i["id"] for i in client.paginate("/x", per_page=1)] == [1, 2]


async def test_async_client_shares_the_pipeline_behaviour(tmp_path):
    attempts = []

    def handler(request):
        attempts.append(request)
        if len(attempts) < 2:
            return httpx.Response(502, json={"message": "gateway", "retry_after": 0})
        return httpx.Response(200, json=[{"id": 1}])

    async with AsyncNexlaClient(settings(tmp_path), transport=httpx.MockTransport(token_or(handler))) as client:
        assert [x async for x in client.paginate("/data_sources")] == [{"id": 1}]
        with pytest.raises(ValueError):
            await client.fan_out(client.get, ["/a"], concurrency=0)


def test_token_renewal_margin_with_short_lived_tokens(tmp_path):
    now = [0.0]
    cache = TokenCache(settings(tmp_path, token_refresh_margin_s=300), clock=lambda: now[0])
    assert cache.current() is None
    cache.store({"access_token": "short-token-1", "expires_in": 120})
    now[0] = 59.0
    assert cache.current() == "short-token-1", "a 120 s token is reused for half its life, not re-exchanged per call"
    now[0] = 61.0
    assert cache.current() is None
    cache.store({"access_token": "long-token-22", "expires_in": 3600})
    now[0] += 3299.0
    assert cache.current() == "long-token-22"
    now[0] += 2.0
    assert cache.current() is None


def test_token_response_without_token_is_an_auth_error(tmp_path):
    handler = lambda r: httpx.Response(200, json={"hello": "world"})  # noqa: E731
    with NexlaClient(settings(tmp_path), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(NexlaError, match="without an access_token") as info:
            client.get("/data_sources")
    assert info.value.exit_code == 3


def test_token_exchange_retries_do_not_multiply(tmp_path, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)
    seen = []

    def handler(request):
        seen.append(request.url.path)
        return httpx.Response(503, json={"message": "token service down", "retry_after": 0})

    with NexlaClient(settings(tmp_path, max_attempts=3), transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ServerError) as info:
            client.get("/teams")
    assert seen == ["/nexla-api/token"] * 3
    assert info.value.attempts == 3 and info.value.path == "/token"
