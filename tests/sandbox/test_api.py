"""Endpoint families over loopback HTTP: shapes, failure statuses, pagination, flows."""

from __future__ import annotations

import httpx
import pytest

from .helpers import make_flow, ok


def test_token_auth(sandbox) -> None:
    assert httpx.post(f"{sandbox.base_url}/token", headers={"Authorization": "Basic nope"}).status_code == 401
    token = ok(httpx.post(f"{sandbox.base_url}/token", headers={"Authorization": f"Basic {sandbox.service_key}"}))
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["user"]["email"] == "admin@sandbox.local" and token["org"]["id"] == token["user"]["org"]
    assert token["org_membership"] == {"status": "ACTIVE", "is_admin?": True}
    headers = {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/vnd.nexla.api.v1+json"}
    assert httpx.get(f"{sandbox.base_url}/users/current", headers=headers).json()["email"] == "admin@sandbox.local"
    assert httpx.get(f"{sandbox.base_url}/data_sources").status_code == 401
    ok(httpx.post(f"{sandbox.base_url}/token/logout", headers=headers))
    assert httpx.get(f"{sandbox.base_url}/data_sources", headers=headers).status_code == 401


def test_errors_duplicates_and_pagination(sandbox) -> None:
    with sandbox.client() as client:
        for n in range(3):
            ok(client.post("data_credentials", json={"name": f"c{n}", "credentials_type": "s3"}))
        # Names are not unique in Nexla: a second "c1" is a second credential.
        duplicate = ok(client.post("data_credentials", json={"name": "c1", "credentials_type": "s3"}))
        assert [c["name"] for c in ok(client.get("data_credentials"))] == ["c0", "c1", "c2", "c1"]
        missing = client.post("data_credentials", json={"name": "x"})
        assert missing.status_code == 400 and missing.json()["field"] == "credentials_type"
        page = client.get("data_credentials", params={"page": 2, "per_page": 2})
        assert [c["id"] for c in ok(page)] == [ok(client.get("data_credentials"))[2]["id"], duplicate["id"]]
        assert page.headers["X-Total-Count"] == "4" and page.headers["X-Page-Count"] == "2"
        assert ok(client.get("data_credentials", params={"page": 3, "per_page": 2})) == []
        assert client.get("data_credentials", params={"page": 0}).status_code == 400
        missing_sink = client.get("data_sinks/424242")
        assert missing_sink.status_code == 404 and missing_sink.content == b""
        assert client.patch("data_sinks").status_code == 405
        assert client.get("no_such_collection").status_code == 404


def test_flow_lifecycle(sandbox) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        tree = ok(client.get(f"data_sets/{flow['derived']['id']}/flow"))
        root = tree["flows"][0]
        assert root["data_source_id"] == flow["source"]["id"] and root["id"] != flow["source"]["id"]
        child = root["children"][0]["children"][0]
        assert child["data_set_id"] == flow["derived"]["id"] and child["origin_node_id"] == root["id"]
        assert child["children"][0]["data_sink_id"] == flow["sink"]["id"]
        assert list(ok(client.get(f"flows/{root['id']}", params={"flows_only": "True"}))) == ["flows"]
        assert ok(client.put(f"data_sinks/{flow['sink']['id']}/activate"))["status"] == "ACTIVE"
        refused = client.delete(f"flows/{root['id']}")
        assert refused.status_code == 405 and refused.json()["data_sinks"] == [flow["sink"]["id"]]
        copy = ok(client.post(f"flows/{root['id']}/copy", json={"reuse_data_credentials": True}))
        assert copy["flows"][0]["id"] != root["id"] and copy["data_sinks"][0]["status"] == "INIT"
        paused = ok(client.put(f"flows/{root['id']}/pause", params={"all": "1"}))
        assert {s["status"] for s in paused["data_sinks"]} == {"PAUSED"}
        ok(client.delete(f"flows/{root['id']}"))
        assert client.get(f"data_sinks/{flow['sink']['id']}").status_code == 404
        assert len(ok(client.get("flows"))["flows"]) == 1
        entries = ok(client.get(f"data_credentials/{flow['credential']['id']}/audit_log"))
        assert entries[-1]["event"] == "create" and "s3cr3t" not in str(entries)


def test_nexset_transform_is_validated(sandbox) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        bad = client.post("data_sets", json={"name": "bad", "parent_data_set_id": flow["detected"]["id"],
                                             "has_custom_transform": True, "transform": {"operations": "nope"}})
        assert bad.status_code == 400 and bad.json()["field"] == "transform"
        docs = ok(client.post(f"data_sets/{flow['derived']['id']}/docs/recommendation",
                              headers={"Content-Type": "application/json"}))
        assert docs["status"] == "success" and "derived" in docs["recommendation"]


def test_teams_projects_notifications_tasks(sandbox) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        team = ok(client.post("teams", json={"name": "ops", "members": [{"email": "member@sandbox.local"}]}))
        assert team["description"] == "" and [m["email"] for m in team["members"]] == ["member@sandbox.local"]
        assert ok(client.request("DELETE", f"teams/{team['id']}/members")) == []
        project = ok(client.post("projects", json={"name": "p", "data_flows": [{"data_set_id": flow["derived"]["id"]}]}))
        assert project["flows_count"] == 1
        assert ok(client.get(f"projects/{project['id']}/flows"))["flows"][0]["project_id"] == project["id"]
        found = ok(client.post(f"projects/{project['id']}/flows/search",
                               json={"filters": [{"field": "name", "operator": "contains", "value": "ORDERS"}]}))
        assert len(found["flows"]) == 1
        assert ok(client.get("notifications/count", params={"read": 0}))["count"] == 2
        ids = [n["id"] for n in ok(client.get("notifications"))]
        ok(client.put("notifications/mark_read", json=ids[:1]))
        assert ok(client.get("notifications/count", params={"read": "false"}))["count"] == 1
        assert "BulkPauseFlows" in ok(client.get("async_tasks/types"))
        task = ok(client.post("async_tasks", json={"type": "BulkDeleteNotifications", "arguments": {}}))
        assert task["status"] == "completed" and ok(client.get(f"async_tasks/{task['id']}/result"))["deleted"] == ids
        assert ok(client.get(f"async_tasks/{task['id']}/download_link"))["url"].endswith("/download")
        failed = ok(client.post("async_tasks", json={"type": "BulkPauseFlows", "arguments": {}}))
        assert failed["status"] == "failed" and "flow_ids" in failed["error"]
        transform = ok(client.post("transforms", json={"name": "t", "output_type": "record", "code_type": "jolt",
                                                        "code_encoding": "json", "code": [{"operation": "shift", "spec": {}}]}))
        assert transform["access_roles"] == {"roles": ["owner"]}
        assert ok(client.get("orgs/1/members"))[0]["is_admin?"] is True
        limits = ok(client.get("limits"))
        assert set(limits) == {"second", "day"} and set(limits["second"]) == {"common", "light", "medium", "high"}
        assert limits["day"]["common"]["count"] >= 1 and limits["second"]["common"]["limit"] > 0
        assert "/nexla-api" in ok(httpx.get(f"{sandbox.base_url}/openapi.json"))["servers"][0]["url"]


MALFORMED = [b"{", b"[1,2]", b"null", b"\"text\"", b"{\"name\": 5}", b"\xff\xfe",
             b"{\"name\": \"x\", \"credentials_type\": [], \"credentials\": 3, \"parent_data_set_id\": true}"]


def test_malformed_bodies_never_500(sandbox) -> None:
    paths = ["data_credentials", "data_sources", "data_sets", "data_sinks", "teams", "projects", "transforms",
             "async_tasks", "data_sources/1/accessors", "notifications/mark_read", "teams/8/members", "flows/1/copy"]
    with sandbox.client() as client:
        for path in paths:
            for body in MALFORMED:
                for method in ("POST", "PUT", "DELETE"):
                    response = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
                    assert response.status_code < 500, (method, path, body, response.text)
                    if response.status_code == 400:
                        assert "message" in response.json()


def test_operator_controls(sandbox) -> None:
    with sandbox.client() as client:
        sandbox.control.post("faults", json={"method": "GET", "path": "^/teams$", "status": 503, "count": 2})
        assert [client.get("teams").status_code for _ in range(3)] == [503, 503, 200]
        ok(sandbox.control.put("rate_limit", json={"requests_per_second": 0.5, "burst": 1}))
        client.get("teams")
        limited = client.get("teams")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert isinstance(limited.json()["retry_after"], int)
        ok(sandbox.control.put("rate_limit", content=b"null"))
        sandbox.control.post("faults", json={"path": "^/teams$", "status": 0, "count": 1})
        with pytest.raises(httpx.TransportError):
            client.get("teams")
        counts = ok(sandbox.control.get("requests"))
        assert counts["by_route"]["GET /teams"] >= 6 and counts["by_status"]["429"] == 1
        ok(sandbox.control.delete("requests"))
        assert ok(sandbox.control.get("requests"))["total"] == 0
        bad = sandbox.control.post("faults", json={"status": "x"})
        assert bad.status_code == 400 and bad.json()["field"] == "status"
        ok(sandbox.control.post("reset"))
        assert ok(client.get("teams"))[0]["name"] == "data-eng"


def test_settings_belong_to_their_user(sandbox) -> None:
    """Notification, channel and quarantine settings: the owner reads and changes them, others cannot."""
    with sandbox.client("operator") as operator, sandbox.client("member") as member:
        setting = ok(operator.post("notification_settings", json={"notification_type_id": 9, "channel": "EMAIL"}))
        assert setting["event_type"] == "ACTIVATE" and setting["notification_resource_type"] == "DATA_FLOW"
        assert [s["id"] for s in ok(operator.get("notification_settings", params={"channel": "email"}))] == [setting["id"]]
        assert ok(operator.get("notification_settings", params={"channel": "SLACK"})) == []
        assert member.get(f"notification_settings/{setting['id']}").status_code == 404
        assert ok(member.get("notification_settings")) == []
        changed = ok(operator.put(f"notification_settings/{setting['id']}", json={"status": "PAUSED"}))
        assert changed["status"] == "PAUSED" and changed["channel"] == "EMAIL"
        bad = operator.post("notification_channel_settings", json={"channel": "PIGEON"})
        assert bad.status_code == 400 and bad.json()["field"] == "channel"
        channel = ok(operator.post("notification_channel_settings", json={"channel": "SLACK", "config": {"url": "x"}}))
        assert ok(operator.delete(f"notification_channel_settings/{channel['id']}"))["status"] == "success"
        assert operator.get(f"notification_channel_settings/{channel['id']}").status_code == 404

        credential = ok(operator.post("data_credentials", json={"name": "q", "credentials_type": "s3"}))
        path = f"users/{sandbox.users['operator']}/quarantine_settings"
        assert operator.get(path).status_code == 404
        body = {"data_credentials_id": credential["id"], "config": {"path": "quarantine/"}}
        created = ok(operator.post(path, json=body))
        assert created["resource_id"] == sandbox.users["operator"] and created["config"] == {"path": "quarantine/"}
        assert operator.post(path, json=body).status_code == 409
        assert member.get(path).status_code == 403
        assert ok(operator.put(path, json={"config": {"path": "q2/"}}))["config"] == {"path": "q2/"}
        assert ok(operator.delete(path))["status"] == "success"
        assert operator.get(path).status_code == 404
