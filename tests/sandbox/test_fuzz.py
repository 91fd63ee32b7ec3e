"""Malformed input never produces a 500, on every route the sandbox's OpenAPI document lists.

Each operation gets real ids (from a built flow), a missing id, a huge id (beyond SQLite's
integer range) and, per method, garbage JSON bodies or garbage query values. Operator routes that
would end the session or reset state are exercised once, last.
"""

from __future__ import annotations

import re

import httpx
import pytest

from .helpers import make_flow, ok

GARBAGE_BODIES = [b"{", b"[1, 2]", b"null", b"\"text\"", b"\xff\xfe", b"{\"name\": 5, \"id\": \"x\"}",
                  b"{\"name\": \"x\", \"accessors\": [{\"type\": \"USER\", \"id\": 99999999999999999999}],"
                  b" \"members\": \"all\", \"data_flows\": 7, \"flows\": [\"a\"], \"arguments\": [],"
                  b" \"credentials_type\": {}, \"parent_data_set_id\": true, \"depth\": -1, \"path\": 3}"]
GARBAGE_QUERIES = [
    {"page": "-1", "per_page": "0"},
    {"page": "abc", "per_page": "9999999999999999999999"},
    {"expand": "maybe", "flows_only": "2", "all": "yes please", "include_metadata": "[]", "live": "x"},
    {"from": "not-a-date", "to": "-5", "run_id": "x", "count": "-3", "size": "0", "read": "z"},
    {"from": "99999999999999999999999", "run_id": "99999999999999999999999", "groupby": "?", "orderby": "?"},
]
HUGE = 10**30
# Operator routes whose success would change the test's own session or the fuzzing itself.
LAST = {("POST", "/_sandbox/tokens/revoke"), ("POST", "/_sandbox/reset"), ("POST", "/token/logout")}


def operations(sandbox) -> list[tuple[str, str]]:
    document = ok(httpx.get(f"{sandbox.base_url}/openapi.json"))
    prefix = document["servers"][0]["url"]
    found = []
    for path, methods in document["paths"].items():
        for method in methods:
            found.append((method.upper(), path[len(prefix):] if path.startswith(prefix) else path))
    assert len(found) > 150
    return found


def fill(path: str, value: int | str) -> str:
    return re.sub(r"\{[^}]+\}", str(value), path)


def ids_for(path: str, flow: dict, team_id: int) -> list[int | str]:
    known = {"/data_credentials": flow["credential"]["id"], "/data_sources": flow["source"]["id"],
             "/data_sets": flow["derived"]["id"], "/data_sinks": flow["sink"]["id"], "/teams": team_id,
             "/data_flows/data_sources": flow["source"]["id"]}
    real = next((v for k, v in known.items() if path.startswith(k + "/")), 1)
    return [real, 987654, HUGE, "BulkPauseFlows"] if "{type}" in path or "{status}" in path else [real, 987654, HUGE]


def url(sandbox, path: str) -> str:
    return f"{sandbox.base_url}{path}" if not path.startswith("/webhook") else sandbox.base_url.rsplit("/nexla-api", 1)[0] + path


def test_every_route_survives_garbage(sandbox) -> None:
    with sandbox.client() as client, httpx.Client(timeout=30) as raw:
        flow = make_flow(sandbox, client)
        team_id = ok(client.get("teams"))[0]["id"]
        ok(client.put(f"data_sinks/{flow['sink']['id']}/pause"))
        headers = dict(client.headers) | {"Content-Type": "application/json",
                                          "X-Sandbox-Admin-Key": sandbox.service_key}
        failures = []
        plan = operations(sandbox)
        for method, path in sorted(plan, key=lambda op: op in LAST):
            for value in ids_for(path, flow, team_id):
                target = url(sandbox, fill(path, value))
                if method in {"GET", "HEAD"}:
                    attempts = [{"params": q} for q in GARBAGE_QUERIES]
                else:
                    attempts = [{"content": b} for b in [b"", *GARBAGE_BODIES]] + [{"params": GARBAGE_QUERIES[0]}]
                for attempt in attempts:
                    response = raw.request(method, target, headers=headers, **attempt)
                    if attempt.get("content") == b"" and response.status_code == 400 and "/_sandbox/" not in path:
                        # An empty body with a JSON content type is "no body" (the SDK sends it on activate, pause, ...).
                        assert response.json().get("field") != "body", (method, path, response.text)
                    if response.status_code >= 500:
                        failures.append((method, fill(path, value), attempt, response.status_code, response.text[:200]))
                    elif response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
                        assert "message" in response.json(), (method, path, response.text)
            sandbox.control.delete("faults")
            sandbox.control.put("rate_limit", content=b"null")
        assert not failures, failures[:20]


@pytest.mark.parametrize("value", ["1", "0", "true", "false", "True", "False"])
def test_boolean_flags_accept_every_spelling(sandbox, value: str) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        truthy = value.lower() in {"1", "true"}
        source = ok(client.get(f"data_sources/{flow['source']['id']}", params={"expand": value}))
        assert ("data_credentials" in source) is truthy
        tree = ok(client.get(f"data_sinks/{flow['sink']['id']}/flow", params={"flows_only": value}))
        assert (list(tree) == ["flows"]) is truthy
        samples = ok(client.get(f"data_sets/{flow['detected']['id']}/samples",
                                params={"count": 1, "include_metadata": value, "live": "False"}))
        assert ("rawMessage" in samples[0]) is truthy
        ok(client.get("users", params={"expand": value}))
        ok(client.get("projects", params={"expand": value}))
        ok(client.get("notifications", params={"read": value}))
        ok(client.put(f"flows/{tree['flows'][0]['id']}/pause", params={"all": value}))
        assert client.get("data_sources", params={"expand": "sometimes"}).json()["field"] == "expand"


def test_body_less_put_and_post_with_json_content_type(sandbox) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        headers = {"Content-Type": "application/json"}
        root = ok(client.get(f"data_sources/{flow['source']['id']}/flow"))["flows"][0]["id"]
        task = ok(client.post("async_tasks", json={"type": "BulkDeleteNotifications", "arguments": {}}))
        for method, path in [("PUT", f"data_sources/{flow['source']['id']}/activate"),
                             ("PUT", f"data_sources/{flow['source']['id']}/pause"),
                             ("PUT", f"data_sets/{flow['derived']['id']}/activate"),
                             ("PUT", f"data_sinks/{flow['sink']['id']}/pause"),
                             ("PUT", f"flows/{root}/activate"), ("PUT", f"flows/{root}/pause"),
                             ("POST", f"flows/{root}/copy"), ("POST", f"data_sources/{flow['source']['id']}/copy"),
                             ("POST", f"data_sets/{flow['derived']['id']}/copy"),
                             ("POST", f"data_sinks/{flow['sink']['id']}/copy"),
                             ("POST", f"data_credentials/{flow['credential']['id']}/copy"),
                             ("POST", f"data_sets/{flow['derived']['id']}/docs/recommendation"),
                             ("POST", f"flows/{root}/docs/recommendation"),
                             ("POST", f"async_tasks/{task['id']}/rerun"),
                             ("POST", f"async_tasks/{task['id']}/acknowledge"),
                             ("POST", f"data_credentials/{flow['credential']['id']}/probe/sample"),
                             ("PUT", "notifications/mark_read"), ("POST", "token/logout")]:
            response = client.request(method, path, headers=headers, content=b"")
            assert response.status_code == 200, (method, path, response.text)


def test_per_page_bounds_name_the_field(sandbox) -> None:
    with sandbox.client() as client:
        for params, field in [({"per_page": 0}, "per_page"), ({"per_page": 100_000}, "per_page"),
                              ({"per_page": "x"}, "per_page"), ({"page": -1}, "page"), ({"page": 0}, "page")]:
            response = client.get("data_sources", params=params)
            assert response.status_code == 400 and response.json()["field"] == field, (params, response.text)
            assert field in response.json()["message"]
        assert client.get("users", params={"per_page": 1001}).status_code == 400
        source = ok(client.post("data_sources", json={"name": "s", "source_type": "s3"}))
        run_summary = client.get(f"data_sources/{source['id']}/metrics/run_summary", params={"size": 0})
        assert run_summary.status_code == 400 and run_summary.json()["field"] == "size"
        assert ok(client.get("data_credentials", params={"page": 50, "per_page": 10})) == []
        assert len(ok(client.get("users", params={"per_page": 2}))) == 2


def test_rate_limited_answer_carries_integer_retry_after(sandbox) -> None:
    with sandbox.client() as client:
        ok(sandbox.control.put("rate_limit", json={"requests_per_second": 0.2, "burst": 1}))
        client.get("data_sources")
        limited = client.get("data_sources")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"].isdigit() and int(limited.headers["Retry-After"]) >= 1
        body = limited.json()
        assert body["retry_after"] == int(limited.headers["Retry-After"]) and body["message"]
        ok(sandbox.control.put("rate_limit", content=b"null"))
        sandbox.control.post("faults", json={"method": "*", "path": "^/teams$", "status": 429, "count": 1,
                                             "retry_after": "7"})
        injected = client.get("teams")
        assert injected.headers["Retry-After"] == "7" and injected.json()["retry_after"] == 7
