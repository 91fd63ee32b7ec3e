"""The read operations on the shapes real Nexla documents (reference/nexla-openapi.json).

Every reply below is validated against the official response schema before it is served, so the
fixtures are the documented shapes, not what the sandbox happens to send: logs nested in
``logs: {data, meta}`` with epoch-ms timestamps and SOURCE/DATASET/SINK types, run summaries
``{runId, lastWritten, dataSetId, records, size, errors}`` with epoch-ms run ids, the flows
envelope with brief elements, probe answers ``{output}`` / 403 ``{status, message}``, and empty
error bodies. An httpx MockTransport serves them to the real client and operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.errors import NotFoundError
from nexla_ops.operations.flows import get_flow
from nexla_ops.operations.health import HealthCheckRequest, HealthThresholds, check_health
from nexla_ops.operations.listing import ListQuery, list_resources
from nexla_ops.operations.logs import LogQuery, get_logs
from nexla_ops.operations.metrics import run_summaries
from nexla_ops.operations.triage import TriageRequest, triage

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "reference" / "nexla-openapi.json").read_text())
_REGISTRY: Registry = Registry().with_resource("urn:nexla", Resource.from_contents(OPENAPI, default_specification=DRAFT202012))

RUN_OK = 1695442864636  # the OpenAPI's own example run id (epoch ms)
RUN_FAILED = 1695439264636  # an hour earlier
FLOW, SOURCE, NEXSET, SINK, CREDENTIAL = 5001, 101, 201, 301, 401


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def documented(path: str, method: str, body: Any, status: str = "200") -> Any:
    """``body`` after checking it against the official response schema of (method, path, status)."""
    response = OPENAPI["paths"][path][method]["responses"][status]
    where = f"urn:nexla#/{_pointer('paths', path, method, 'responses', status)}"
    if "$ref" in response:
        where = "urn:nexla" + response["$ref"]
        response = OPENAPI["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = {"$ref": f"{where}/content/application~1json/schema"}
    Draft202012Validator(schema, registry=_REGISTRY).validate(body)
    return body


def probe_output(output: dict[str, Any]) -> dict[str, Any]:
    """A synchronous probe answer. The schema is ``oneOf [AsyncResponse, {output}]``, and an
    AsyncResponse has no required field, so ``{output}`` matches both: check the ``{output}`` branch."""
    body = {"output": output}
    branch = {"$ref": "urn:nexla#/components/schemas/probe_response_with_async_results/oneOf/1"}
    Draft202012Validator(branch, registry=_REGISTRY).validate(body)
    return body


def flows_envelope() -> dict[str, Any]:
    sink = {"id": 5003, "parent_node_id": 5002, "origin_node_id": FLOW, "data_sink_id": SINK, "status": "ACTIVE",
            "children": []}
    nexset = {"id": 5002, "parent_node_id": FLOW, "origin_node_id": FLOW, "data_set_id": NEXSET, "status": "ACTIVE",
              "children": [sink]}
    return documented("/flows", "get", {
        "flows": [{"id": FLOW, "origin_node_id": FLOW, "data_source_id": SOURCE, "status": "ACTIVE",
                   "flow_type": "streaming", "name": "orders", "children": [nexset]}],
        "data_sources": [{"id": SOURCE, "owner_id": 7, "org_id": 1, "name": "orders", "status": "ACTIVE",
                          "data_credentials_id": CREDENTIAL, "source_type": "s3", "tags": ["prod"]}],
        "data_sets": [{"id": NEXSET, "owner_id": 7, "org_id": 1, "name": "orders clean", "status": "ACTIVE"}],
        "data_sinks": [{"id": SINK, "owner_id": 7, "org_id": 1, "name": "warehouse", "status": "ACTIVE",
                        "data_credentials_id": CREDENTIAL}],
        "data_credentials": [{"id": CREDENTIAL, "owner_id": 7, "org_id": 1, "name": "s3 key",
                              "credentials_type": "s3"}],
        "metrics": [{"origin_node_id": FLOW, "records": 500, "size": 9000, "errors": 0,
                     "reporting_date": "2023-09-23T04:21:40Z", "run_id": RUN_OK}],
    })


def run_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return documented("/{resource_type}/{resource_id}/metrics/run_summary", "get", {
        "status": 200, "metrics": {"data": rows, "meta": {"currentPage": 1, "pageCount": 1, "totalCount": len(rows)}},
    })


SOURCE_RUNS = [
    {"runId": RUN_OK, "lastWritten": RUN_OK + 35_000, "dataSetId": NEXSET, "records": 500, "size": 9000, "errors": 0},
    {"runId": RUN_FAILED, "lastWritten": RUN_FAILED + 9_000, "dataSetId": NEXSET, "records": 0, "size": 0, "errors": 5},
]
SINK_RUNS = [
    {"runId": RUN_OK, "lastWritten": RUN_OK + 40_000, "dataSetId": NEXSET, "records": 423, "size": 8000, "errors": 0},
]


def logs(run_id: int) -> dict[str, Any]:
    entries = [
        {"timestamp": run_id + 1_000, "resource_id": SOURCE, "resource_type": "SOURCE",
         "log": "Read file orders.json", "log_type": "LOG", "severity": "INFO"},
        {"timestamp": run_id + 2_000, "resource_id": NEXSET, "resource_type": "DATASET",
         "log": "Transform failed at operation 1 on field 'qty'", "log_type": "LOG", "severity": "WARNING"},
        {"timestamp": run_id + 3_000, "resource_id": SINK, "resource_type": "SINK",
         "log": "Processed records=0, errors=5, size=0", "log_type": "SUMMARY", "severity": "ERROR"},
    ]
    return documented("/data_flows/{resource_type}/{resource_id}/logs", "get", {
        "status": 200, "message": "Ok",
        "logs": {"data": entries, "meta": {"current_page": 1, "pages_count": 1, "total_count": 3, "org_id": 1,
                                           "run_id": run_id}},
    })


class RealNexla:
    """A handler answering like real Nexla; ``probe`` decides the credential probe's answer."""

    def __init__(self, probe: Callable[[], httpx.Response] | None = None) -> None:
        self.probe = probe or (lambda: httpx.Response(200, json=probe_output({"connected": True})))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/nexla-api")
        query = request.url.params
        if path == "/token":
            return httpx.Response(200, json={"access_token": "real-shape-token-123", "token_type": "Bearer",
                                             "expires_in": 3600})
        if path == "/flows" or path == f"/flows/{FLOW}" or path == f"/data_sources/{SOURCE}/flow":
            if query.get("page") not in (None, "1"):
                return httpx.Response(200, json=documented("/flows", "get", {"flows": []}))
            return httpx.Response(200, json=flows_envelope())
        if path.startswith("/flows/"):
            return httpx.Response(404)  # real Nexla renders many errors with an empty body
        if path == f"/data_sources/{SOURCE}/metrics/run_summary":
            return httpx.Response(200, json=run_summary(SOURCE_RUNS))
        if path == f"/data_sinks/{SINK}/metrics/run_summary":
            return httpx.Response(200, json=run_summary(SINK_RUNS))
        if path == f"/data_flows/data_sources/{SOURCE}/logs":
            return httpx.Response(200, json=logs(int(query["run_id"])))
        if path == f"/data_credentials/{CREDENTIAL}/probe":
            return self.probe()
        return httpx.Response(404)


def client_for(handler: RealNexla, tmp_path: Path) -> AsyncNexlaClient:
    settings = Settings.from_env({}, api_url=f"http://real-shapes-{id(handler)}.invalid/nexla-api",
                                 service_key="real-shape-service-key", rate_limit_per_s=0, max_attempts=2,
                                 audit_log_path=str(tmp_path / "audit.jsonl"))
    return AsyncNexlaClient(settings, transport=httpx.MockTransport(handler))


def _sent(handler: RealNexla, fragment: str) -> list[httpx.Request]:
    return [request for request in handler.requests if fragment in request.url.path]


async def test_logs_read_the_documented_shape_with_millisecond_windows(tmp_path):
    handler = RealNexla()
    async with client_for(handler, tmp_path) as client:
        result = await get_logs(client, LogQuery(kind="flows", id=FLOW, run_id=RUN_FAILED))
        warn = await get_logs(client, LogQuery(kind="data_sources", id=SOURCE, level="WARN"))
    assert result.run_id == RUN_FAILED and result.lines_read == 3
    assert [e.level for e in result.entries] == ["INFO", "WARN", "ERROR"]
    assert [e.resource_type for e in result.entries] == ["data_sources", "data_sets", "data_sinks"]
    assert result.entries[1].message.startswith("Transform failed") and result.entries[0].timestamp.year == 2023
    assert warn.run_id == RUN_OK and [e.level for e in warn.entries] == ["WARN", "ERROR"]
    for request in _sent(handler, "/logs"):
        params = request.url.params
        assert int(params["from"]) > 10**12 and int(params["to"]) > int(params["from"])  # epoch milliseconds
        assert int(params["run_id"]) in (RUN_OK, RUN_FAILED)


async def test_flow_run_summaries_show_records_in_and_out(tmp_path):
    async with client_for(RealNexla(), tmp_path) as client:
        result = await run_summaries(client, "flows", FLOW)
        source_only = await run_summaries(client, "data_sources", SOURCE)
    latest, failed = result.runs
    assert latest.run_id == RUN_OK and latest.records_in == 500 and latest.records_out == 423
    assert latest.started_at is not None and latest.started_at.year == 2023
    assert failed.run_id == RUN_FAILED and failed.failed and failed.records_out == 0
    assert source_only.runs[0].records == 500 and source_only.runs[0].records_out is None


async def test_triage_says_a_newer_run_succeeded(tmp_path):
    async with client_for(RealNexla(), tmp_path) as client:
        report = await triage(client, TriageRequest(kind="flows", id=FLOW, run_id=RUN_FAILED))
    assert report.verdict == "failed" and report.total_errors >= 5  # errors and nothing read
    assert report.newer_success_run_id == RUN_OK and "recovered" in (report.note or "")
    assert {g.level for g in report.groups} == {"WARN", "ERROR"}


@pytest.mark.parametrize(
    ("probe", "verdict", "exit_code"),
    [
        (None, "healthy", 0),
        (lambda: httpx.Response(403, json={"status": 403, "message": "Access denied by the bucket"}), "critical", 5),
        (lambda: httpx.Response(503), "unknown", 6),
    ],
    ids=["output-passes", "403-fails", "outage-is-unknown"],
)
async def test_health_on_the_documented_shapes(tmp_path, probe, verdict, exit_code):
    handler = RealNexla(probe)
    async with client_for(handler, tmp_path) as client:
        report = await check_health(client, HealthCheckRequest(thresholds=HealthThresholds(window_s=10**10)))
    [flow] = report.flows
    assert flow.verdict == verdict and report.exit_code == exit_code, flow.reasons
    assert flow.credential_ids == [CREDENTIAL] and flow.last_run_id == RUN_OK and flow.records_in_window == 500
    if verdict == "unknown":
        assert report.retryable and not any("failed its probe" in reason for reason in flow.reasons)
    listing = [r for r in handler.requests if r.url.path.endswith("/flows")]
    assert all(r.url.params.get("access_role") == "collaborator" for r in listing)
    # The monitoring endpoint is asked once (a run that read records cleanly may still have failed);
    # this server lacks it, and a status-less run summary could not say more about such a run.
    assert len(_sent(handler, "/health/org/flows")) == 1 and not _sent(handler, "/metrics/run_summary")


async def test_lists_and_flows_on_the_documented_envelope_and_empty_error_bodies(tmp_path):
    async with client_for(RealNexla(), tmp_path) as client:
        tagged = await list_resources(client, ListQuery(kind="flows", tag="prod"))
        owned = await list_resources(client, ListQuery(kind="flows", owner="7"))
        other = await list_resources(client, ListQuery(kind="flows", tag="staging"))
        flow = await get_flow(client, "data_sources", SOURCE)
        with pytest.raises(NotFoundError) as missing:
            await get_flow(client, "flows", 999)
    assert [row["id"] for row in tagged.items] == [FLOW] and [row["id"] for row in owned.items] == [FLOW]
    assert other.count == 0
    assert flow.counts == {"data_sources": 1, "data_sets": 1, "data_sinks": 1}
    assert [c["id"] for c in flow.credentials] == [CREDENTIAL]
    assert missing.value.status == 404


class ErroringRun(RealNexla):
    """The latest run read records and reported errors; Nexla's monitoring endpoint says it failed."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/nexla-api")
        if path == "/flows" and request.url.params.get("page") in (None, "1"):
            self.requests.append(request)
            body = flows_envelope()
            body["metrics"][0]["errors"] = 3
            return httpx.Response(200, json=body)
        if path == "/health/org/flows":
            self.requests.append(request)
            return httpx.Response(200, json={"data": [{
                "origin_node_id": FLOW, "healthStatus": "RED", "latestRunId": RUN_OK, "latestErrorCount": 3,
                "latestRecordCount": 500, "errorSummary": "sink rejected the batch"}]})
        return super().__call__(request)


async def test_a_failed_run_is_critical_whatever_it_read(tmp_path):
    handler = ErroringRun()
    async with client_for(handler, tmp_path) as client:
        report = await check_health(client, HealthCheckRequest(thresholds=HealthThresholds(
            window_s=10**10, critical_error_rate=0.5, warn_error_rate=0.5)))
    [flow] = report.flows
    assert flow.verdict == "critical" and flow.records_in_window == 500
    assert any(f"last run {RUN_OK} failed: sink rejected the batch" in reason for reason in flow.reasons)
    assert len(_sent(handler, "/health/org/flows")) == 1 and not _sent(handler, "/metrics/run_summary")
