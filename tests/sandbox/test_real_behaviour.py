"""Real Nexla behaviour of the sandbox, over loopback HTTP: scope, paging, shapes, errors, webhooks, tasks, faults.

Each test states the rule it pins; the rules come from reference/nexla-openapi.json and Nexla's admin API.
"""

from __future__ import annotations

import json
import pathlib
import threading
import time

import httpx
import pytest

from nexla_sandbox.connectors import CREDENTIAL_TYPES, SINK_TYPES, SOURCE_TYPES
from nexla_sandbox.testing import SandboxHandle

from .helpers import make_flow, ok

OPENAPI = pathlib.Path(__file__).resolve().parents[2] / "reference" / "nexla-openapi.json"
S3 = {"region": "us-east-1", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t"}


def root_url(sandbox: SandboxHandle) -> str:
    return sandbox.base_url.removesuffix("/nexla-api")


def finished_runs(client: httpx.Client, source_id: int, count: int) -> list[int]:
    """Wait (bounded) until a source has ``count`` runs listed, then return their ids."""
    deadline = time.monotonic() + 30
    while len(found := [r["id"] for r in ok(client.get(f"data_sources/{source_id}"))["run_ids"]]) < count:
        assert time.monotonic() < deadline, f"source {source_id} has {found}"
        time.sleep(0.05)
    return found


def s3_source(client: httpx.Client, name: str = "src", **config: object) -> dict:
    return ok(client.post("data_sources", json={"name": name, "source_type": "s3",
                                                "source_config": {"path": "ingest/orders/", **config}}))


# --- connector types -------------------------------------------------------------------------------------------


def test_connector_codes_are_the_openapi_lists() -> None:
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    codes = {name: set(schemas[name]["discriminator"]["x-nexla-mapping-values-without-schema"])
             for name in ("data_credential", "data_source", "data_sink")}
    assert (CREDENTIAL_TYPES, SOURCE_TYPES, SINK_TYPES) == (
        codes["data_credential"], codes["data_source"], codes["data_sink"])


def test_unknown_connector_types_are_refused(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        refused = [
            ("credentials_type", client.post("data_credentials", json={"name": "c", "credentials_type": "s4"})),
            ("source_type", client.post("data_sources", json={"name": "s", "source_type": "api_push"})),
            ("sink_type", client.post("data_sinks", json={
                "name": "k", "sink_type": "nowhere", "data_credentials_id": flow["credential"]["id"],
                "data_set_id": flow["derived"]["id"]})),
        ]
        for field, response in refused:
            assert response.status_code == 400 and response.json()["field"] == field
            assert "Invalid connector type" in response.json()["message"]
        assert ok(client.get("data_credentials")) == [ok(client.get(f"data_credentials/{flow['credential']['id']}"))]


# --- names, detected nexsets, concurrency ----------------------------------------------------------------------


def test_names_are_not_unique(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        for kind, body in (("data_sources", {"name": "same", "source_type": "s3"}),
                           ("data_credentials", {"name": "same", "credentials_type": "s3"}),
                           ("teams", {"name": "same"}), ("projects", {"name": "same"})):
            first, second = ok(client.post(kind, json=body)), ok(client.post(kind, json=body))
            assert first["id"] != second["id"]
            assert [r["name"] for r in ok(client.get(kind))].count("same") == 2


def test_detected_nexsets_are_unique_per_source_and_schema_even_when_created_at_once(sandbox: SandboxHandle) -> None:
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    with sandbox.client() as client:
        source = s3_source(client)
    answers: list[httpx.Response] = []

    def create() -> None:
        with sandbox.client() as client:
            answers.append(client.post("data_sets", json={"name": "detected", "data_source_id": source["id"],
                                                          "output_schema": schema}))

    threads = [threading.Thread(target=create) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = [r for r in answers if r.status_code == 200]
    assert len(created) == 1 and sorted(r.status_code for r in answers) == [200] + [409] * 15
    assert {r.json()["data_set_id"] for r in answers if r.status_code == 409} == {created[0].json()["id"]}
    with sandbox.client() as client:
        assert [d["id"] for d in ok(client.get("data_sets", params={"data_source_id": source["id"]}))] == [
            created[0].json()["id"]]
        other = {"type": "object", "properties": {"id": {"type": "string"}}}
        ok(client.post("data_sets", json={"name": "detected", "data_source_id": source["id"], "output_schema": other}))


# --- list scope and paging -------------------------------------------------------------------------------------


def test_lists_show_what_the_caller_owns_unless_access_role_widens_them(sandbox: SandboxHandle) -> None:
    with sandbox.client("admin") as admin, sandbox.client("operator") as operator, \
            sandbox.client("collaborator") as collaborator:
        mine = s3_source(admin, "admin's")
        theirs = s3_source(operator, "operator's")
        ok(admin.put(f"data_sources/{mine['id']}/accessors", json={"accessors": [
            {"type": "USER", "id": sandbox.users["collaborator"], "access_roles": ["collaborator"]}]}))

        def ids(client: httpx.Client, role: str | None = None) -> list[int]:
            return [s["id"] for s in ok(client.get("data_sources", params={"access_role": role} if role else {}))]

        assert ids(admin) == [mine["id"]] and ids(operator) == [theirs["id"]] and ids(collaborator) == []
        # An org admin holds owner on everything in the org: owner or higher lists it all.
        assert ids(admin, "owner") == [mine["id"], theirs["id"]]
        assert ids(collaborator, "collaborator") == [mine["id"]] and ids(collaborator, "operator") == []
        assert admin.get("data_sources", params={"access_role": "member"}).status_code == 400
        assert [f["data_source_id"] for f in ok(operator.get("flows"))["flows"]] == [theirs["id"]]


def test_teams_accept_member_and_users_list_only_the_caller(sandbox: SandboxHandle) -> None:
    with sandbox.client("admin") as admin, sandbox.client("member") as member:
        team = ok(admin.post("teams", json={"name": "ops", "members": [{"id": sandbox.users["member"]}]}))
        assert ok(member.get("teams")) == []
        joined = ok(member.get("teams", params={"access_role": "member"}))
        assert team["id"] in [t["id"] for t in joined] and all(t["member"] for t in joined)
        assert team["id"] in [t["id"] for t in ok(member.get("teams", params={"access_role": "collaborator"}))]
        assert [u["id"] for u in ok(member.get("users"))] == [sandbox.users["member"]]
        everyone = {u["id"] for u in ok(admin.get("users"))}
        assert {sandbox.users["admin"], sandbox.users["member"], sandbox.users["operator"]} <= everyone


def test_unpaged_lists_return_every_row_with_paging_headers(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        for n in range(120):
            ok(client.post("data_credentials", json={"name": f"c{n}", "credentials_type": "s3"}))
        every = client.get("data_credentials")
        assert len(ok(every)) == 120 and every.headers["X-Total-Count"] == "120"
        assert (every.headers["X-Current-Page"], every.headers["X-Page-Count"]) == ("1", "1")
        last = client.get("data_credentials", params={"page": 3, "per_page": 50})
        assert [c["name"] for c in ok(last)] == [f"c{n}" for n in range(100, 120)]
        assert (last.headers["X-Total-Count"], last.headers["X-Current-Page"], last.headers["X-Page-Count"]) == (
            "120", "3", "3")
        assert 'rel="prev"' in last.headers["Link"] and 'rel="next"' not in last.headers["Link"]
        assert "page=2" in last.headers["Link"] and "per_page=50" in last.headers["Link"]


def test_flows_with_run_metrics_list_only_flows_that_ran(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        ran = make_flow(sandbox, client)  # activated once: its activation run
        finished_runs(client, ran["source"]["id"], 1)
        s3_source(client, "never ran")
        assert len(ok(client.get("flows"))["flows"]) == 2
        listed = ok(client.get("flows", params={"include_run_metrics": 1}))
        assert [f["data_source_id"] for f in listed["flows"]] == [ran["source"]["id"]]
        assert listed["metrics"] and all(m["origin_node_id"] == ran["source"]["flow_node_id"] for m in listed["metrics"])


# --- runs, logs, reset -----------------------------------------------------------------------------------------


def test_run_ids_logs_and_run_summaries_have_nexla_shapes(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        ok(client.put(f"data_sinks/{flow['sink']['id']}/activate"))
        run = ok(sandbox.control.post(f"sources/{flow['source']['id']}/run"))
        assert run["run_id"] > 1_600_000_000_000  # epoch milliseconds, like 1695442864636
        path = f"data_flows/data_sources/{flow['source']['id']}/logs"
        assert client.get(path, params={"from": 0}).json()["field"] == "run_id"
        assert client.get(path, params={"run_id": run["run_id"]}).json()["field"] == "from"
        body = ok(client.get(path, params={"run_id": run["run_id"], "from": run["run_id"] - 1}))
        assert (body["status"], body["message"], set(body["logs"])) == (200, "Ok", {"data", "meta"})
        assert body["logs"]["meta"] == {"current_page": 1, "pages_count": 1, "total_count": len(body["logs"]["data"]),
                                        "org_id": flow["source"]["org_id"], "run_id": run["run_id"]}
        for entry in body["logs"]["data"]:
            assert set(entry) == {"timestamp", "resource_id", "resource_type", "log", "log_type", "severity"}
            assert entry["timestamp"] >= run["run_id"] and entry["resource_type"] in {"SOURCE", "DATASET", "SINK"}
            assert entry["log_type"] in {"LOG", "SUMMARY"} and entry["severity"] in {"INFO", "WARNING", "ERROR"}
        later = ok(client.get(path, params={"run_id": run["run_id"], "from": int(time.time() * 1000) + 60_000}))
        assert later["logs"]["data"] == []
        summary = ok(client.get(f"data_sinks/{flow['sink']['id']}/metrics/run_summary"))["metrics"]
        assert set(summary) == {"data", "meta"}
        assert summary["data"] == [{"runId": run["run_id"], "lastWritten": summary["data"][0]["lastWritten"],
                                    "dataSetId": flow["derived"]["id"], "records": run["records_out"],
                                    "size": summary["data"][0]["size"], "errors": 0}]


def test_reset_clears_run_history_so_new_resources_inherit_nothing(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        before = make_flow(sandbox, client)
        ok(client.put(f"data_sinks/{before['sink']['id']}/activate"))
        finished_runs(client, before["source"]["id"], 1)
        ok(sandbox.control.post(f"sources/{before['source']['id']}/run"))
    ok(sandbox.control.post("reset"))
    with sandbox.client() as client:
        after = make_flow(sandbox, client)
        assert after["source"]["id"] == before["source"]["id"]  # ids restart after a reset
        summary = ok(client.get(f"data_sinks/{after['sink']['id']}/metrics/run_summary"))["metrics"]
        assert summary["data"] == []
        ok(client.put(f"data_sinks/{after['sink']['id']}/activate"))
        finished_runs(client, after["source"]["id"], 1)
        run = ok(sandbox.control.post(f"sources/{after['source']['id']}/run"))
        assert run["records_out"] > 0 and run["files"]  # the delivered-file ledger was cleared too


# --- errors, deletes, tasks ------------------------------------------------------------------------------------


def test_401_403_404_have_empty_bodies_and_400_names_the_field(sandbox: SandboxHandle) -> None:
    unauthenticated = httpx.get(f"{sandbox.base_url}/data_sources")
    assert unauthenticated.status_code == 401 and unauthenticated.content == b""
    with sandbox.client("admin") as admin, sandbox.client("outsider") as outsider:
        flow = make_flow(sandbox, admin)
        forbidden = outsider.get(f"data_sources/{flow['source']['id']}")
        assert forbidden.status_code == 403 and forbidden.content == b""
        missing = admin.get("data_sources/999999")
        assert missing.status_code == 404 and missing.content == b""
        assert admin.get("no_such_route").content == b""
        bad = admin.post("data_sources", json={"source_type": "s3"})
        assert bad.status_code == 400 and bad.json()["field"] == "name"


def test_delete_bodies_follow_nexla(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        for kind, record in (("data_sinks", flow["sink"]), ("data_sets", flow["derived"])):
            response = client.delete(f"{kind}/{record['id']}")
            assert response.status_code == 200
            if kind == "data_sets":
                assert response.content == b""
            else:
                assert set(response.json()) == {"code", "message"}
        team, project = ok(client.post("teams", json={"name": "t"})), ok(client.post("projects", json={"name": "p"}))
        assert client.delete(f"teams/{team['id']}").content == b""
        assert client.delete(f"projects/{project['id']}").content == b""
        ok(client.put(f"flows/{flow['source']['flow_node_id']}/pause", params={"all": 1}))
        gone = ok(client.delete(f"flows/{flow['source']['flow_node_id']}"))
        assert set(gone) == {"code", "message"}


def test_async_tasks_have_nexla_types_and_statuses(sandbox: SandboxHandle) -> None:
    with sandbox.client("admin") as admin:
        assert ok(admin.get("async_tasks/types")) == sorted([
            "BulkDeleteNotifications", "BulkMarkAsReadNotifications", "BulkPauseFlows", "CallProbe",
            "ChownUserResources", "DeactivateUser", "GetAuditLogs"])
        read = ok(admin.post("async_tasks", json={"type": "BulkMarkAsReadNotifications", "arguments": {}}))
        assert read["status"] == "completed" and ok(admin.get("notifications/count", params={"read": 0}))["count"] == 0
        credential = ok(admin.post("data_credentials", json={"name": "c", "credentials_type": "s3", "credentials": S3}))
        probe = ok(admin.post("async_tasks", json={"type": "CallProbe", "arguments": {"credential_id": credential["id"]}}))
        assert probe["status"] == "failed" and "does not exist" in probe["error"]  # no s3/ root yet
        audit = ok(admin.post("async_tasks", json={"type": "GetAuditLogs", "arguments": {
            "resource_type": "data_credentials", "resource_id": credential["id"]}}))
        assert audit["status"] == "completed" and audit["result"]["audit_logs"][0]["event"] == "create"
        source = s3_source(admin)
        chown = ok(admin.post("async_tasks", json={"type": "ChownUserResources", "arguments": {
            "user_id": sandbox.users["admin"], "new_owner_id": sandbox.users["operator"]}}))
        assert chown["status"] == "completed" and source["id"] in chown["result"]["moved"]["data_sources"]
        deactivate = ok(admin.post("async_tasks", json={"type": "DeactivateUser",
                                                        "arguments": {"user_id": sandbox.users["member"]}}))
        assert deactivate["status"] == "completed"
        tasks = ok(admin.get("async_tasks"))
        assert {t["status"] for t in tasks} <= {"pending", "running", "completed", "failed", "cancelled"}
    with sandbox.client("operator") as operator:
        assert [s["id"] for s in ok(operator.get("data_sources"))] == [source["id"]]
        refused = ok(operator.post("async_tasks", json={"type": "DeactivateUser",
                                                        "arguments": {"user_id": sandbox.users["admin"]}}))
        assert refused["status"] == "failed" and "org admin" in refused["error"]


# --- webhooks --------------------------------------------------------------------------------------------------


def test_webhooks_take_json_or_xml_with_options_and_refuse_paused_sources(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        source = ok(client.post("data_sources", json={"name": "hook", "source_type": "nexla_rest"}))
        key = source["api_keys"][0]["api_key"]
        url = f"{root_url(sandbox)}/webhook/{source['id']}"
        paused = httpx.post(url, params={"api_key": key}, json={"a": 1})
        assert paused.status_code == 500 and paused.json() == {"error": f"Source #{source['id']} is INIT"}
        assert httpx.post(url, params={"api_key": "wrong"}, json={"a": 1}).status_code == 403
        ok(client.put(f"data_sources/{source['id']}/activate"))
        finished_runs(client, source["id"], 1)
        xml = httpx.post(url, params={"api_key": key}, content=b"<root><id>1</id><name>one</name></root>",
                         headers={"Content-Type": "application/xml"})
        assert ok(xml)["processed"] == 1 and isinstance(ok(xml)["datasetId"], int)
        many = ok(httpx.post(url, params={"api_key": key, "include_url_params": 1, "include_headers": "true",
                                          "tag": "t1", "force_schema_detection": 1},
                             json=[{"id": "2"}, {"id": "3"}], headers={"X-Trace": "abc"}))
        assert many == {"datasetId": ok(xml)["datasetId"], "processed": 2}
        finished_runs(client, source["id"], 3)
        samples = ok(client.get(f"data_sets/{many['datasetId']}/samples", params={"count": 10}))
        by_id = {s["id"]: s for s in samples}
        assert set(by_id) == {"1", "2", "3"} and by_id["1"]["name"] == "one"
        tagged = [s for s in samples if s.get("_url_params")]
        assert [s["_url_params"] for s in tagged] == [{"tag": "t1", "include_url_params": "1",
                                                       "include_headers": "true", "force_schema_detection": "1"}] * 2
        assert all(s["_headers"]["x-trace"] == "abc" and key not in json.dumps(s) for s in tagged)
        entity = httpx.post(url, params={"api_key": key}, content=b'<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>',
                            headers={"Content-Type": "application/xml"})
        assert entity.status_code == 400 and entity.json()["field"] == "body"


def test_a_webhook_xml_record_then_a_numeric_json_record_widens_the_field_to_text(sandbox: SandboxHandle) -> None:
    """XML carries every value as text; a later JSON number in the same field is kept, as text, never a 500."""
    with sandbox.client() as client:
        source = ok(client.post("data_sources", json={"name": "hook", "source_type": "nexla_rest"}))
        url = f"{root_url(sandbox)}/webhook/{source['id']}"
        params = {"api_key": source["api_keys"][0]["api_key"], "force_schema_detection": 1}
        ok(client.put(f"data_sources/{source['id']}/activate"))
        finished_runs(client, source["id"], 1)
        xml = ok(httpx.post(url, params=params, content=b"<root><id>1</id><name>one</name></root>",
                            headers={"Content-Type": "application/xml"}))
        numeric = ok(httpx.post(url, params=params, json={"id": 2, "name": "two"}))
        mixed = ok(httpx.post(url, params=params, json=[{"id": 3.5, "name": {"first": "three"}}]))
        assert xml["datasetId"] == numeric["datasetId"] == mixed["datasetId"] and mixed["processed"] == 1
        samples = ok(client.get(f"data_sets/{numeric['datasetId']}/samples", params={"count": 10}))
        assert sorted((s["id"], s["name"]) for s in samples) == [
            ("1", "one"), ("2", "two"), ("3.5", '{"first": "three"}')]
        run = ok(sandbox.control.post(f"sources/{source['id']}/run"))
        assert run["status"] != "FAILED" and run["errors"] == 0, run


# --- faults after commit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [504, 502, 0])
def test_after_commit_faults_lose_the_answer_but_keep_the_write(sandbox: SandboxHandle, status: int) -> None:
    ok(sandbox.control.post("faults", json={"method": "POST", "path": "^/data_credentials$", "status": status,
                                            "after_commit": True, "count": 1}))
    with sandbox.client() as client:
        body = {"name": "ambiguous", "credentials_type": "s3"}
        if status:
            assert client.post("data_credentials", json=body).status_code == status
        else:
            with pytest.raises(httpx.TransportError):
                client.post("data_credentials", json=body)
        assert [c["name"] for c in ok(client.get("data_credentials"))] == ["ambiguous"]
        ok(client.post("data_credentials", json=body))  # the fault was used up
        assert len(ok(client.get("data_credentials"))) == 2
    assert ok(sandbox.control.get("faults")) == []
    refused = sandbox.control.post("faults", json={"after_commit": True, "status": 404})
    assert refused.status_code == 400 and refused.json()["field"] == "status"


# --- bad input never corrupts state ----------------------------------------------------------------------------


def raw_post(client: httpx.Client, path: str, raw: bytes) -> httpx.Response:
    return client.post(path, content=raw, headers={"Content-Type": "application/json"})


def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        flow = make_flow(sandbox, client)
        before = {kind: ok(client.get(kind)) for kind in ("data_sources", "data_sets", "data_sinks")}
        deep = b'{"name": "x", "source_type": "s3", "source_config": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1001
        cases = [
            ("name", raw_post(client, "data_sources", b'{"name": "bad \\ud800 name", "source_type": "s3"}')),
            ("source_config.path", client.post("data_sources", json={
                "name": "x", "source_type": "s3", "source_config": {"path": 42}})),
            ("source_config.path", client.post("data_sources", json={
                "name": "x", "source_type": "s3", "source_config": {"path": "ingest/\u0000orders/"}})),
            ("source_config.path", client.post("data_sources", json={
                "name": "x", "source_type": "s3", "source_config": {"path": "../outside/"}})),
            ("source_config.path", client.post("data_sources", json={
                "name": "x", "source_type": "s3", "source_config": {"path": "/etc/"}})),
            ("sink_config.path", client.post("data_sinks", json={
                "name": "x", "sink_type": "s3", "data_credentials_id": flow["credential"]["id"],
                "data_set_id": flow["derived"]["id"], "sink_config": {"path": "out/../../x/"}})),
            ("source_config", raw_post(client, "data_sources", deep)),
            ("transform", client.post("data_sets", json={
                "name": "x", "parent_data_set_id": flow["detected"]["id"],
                "transform": {"version": 1, "operations": [
                    {"operation": "filter", "condition": "(" * 3000 + "x" + ")" * 3000}]}})),
            ("transform", client.post("data_sets", json={
                "name": "x", "parent_data_set_id": flow["detected"]["id"],
                "transform": {"version": 1, "operations": [
                    {"operation": "filter", "condition": " or ".join(["a == 1"] * 50_000)}]}})),
        ]
        for field, response in cases:
            assert response.status_code == 400, (field, response.status_code, response.text[:200])
            assert response.json()["field"].startswith(field), (field, response.json())
        after = {kind: ok(client.get(kind)) for kind in ("data_sources", "data_sets", "data_sinks")}
        assert after == before
        update = client.put(f"data_sources/{flow['source']['id']}", json={"source_config": {"path": "/abs"}})
        assert update.status_code == 400 and update.json()["field"] == "source_config.path"
        assert ok(client.get(f"data_sources/{flow['source']['id']}"))["source_config"]["path"] == "ingest/orders/"
