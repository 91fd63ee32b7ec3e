"""check_health against the sandbox: verdict rules, selection, config files, alerts, request bound."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from nexla_sandbox.runtime.demo import write_demo_data

from nexla_ops.operations.health import (
    HealthCheckRequest,
    HealthThresholds,
    ResourceRef,
    check_health,
    load_health_config,
    parse_duration,
    request_bound,
)
from tests.helpers.monitor import (
    WebhookReceiver,
    build_flow,
    client_for,
    create_credential,
    create_sources,
    request_counts,
    reset_requests,
)

# The demo data has a few malformed orders (about 1.5% record errors): tolerate them here.
LENIENT = HealthThresholds(warn_error_rate=0.05, critical_error_rate=0.5)


@pytest.fixture
def api(sandbox):
    with sandbox.client() as client:
        yield client


async def test_a_running_flow_on_schedule_is_healthy(sandbox, api):
    flow = build_flow(sandbox, api, cron="*/5 * * * *")
    async with client_for(sandbox) as client:
        report = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
    assert report.overall == "healthy" and report.exit_code == 0
    [health] = report.flows
    assert health.flow_id == flow.flow_id and health.verdict == "healthy" and health.reasons == []
    assert health.schedule == "*/5 * * * *" and health.expected_interval_s == 300
    assert health.last_run_id == flow.run_ids[-1] and health.runs_in_window == 2
    assert health.records_in_window >= 200 and health.errors_in_window > 0
    assert [c.id for c in report.credentials] == [flow.credential_id] and report.credentials[0].ok


async def test_error_rate_pause_and_staleness_rules(sandbox, api):
    flow = build_flow(sandbox, api)
    async with client_for(sandbox) as client:
        strict = await check_health(client, HealthCheckRequest(thresholds=HealthThresholds(critical_error_rate=0.001)))
        stale = await check_health(client, HealthCheckRequest(thresholds=LENIENT.model_copy(update={"max_age_s": 0.001})))
        await client.put(f"/flows/{flow.flow_id}/pause", params={"all": 1})
        paused = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
        paused_strict = await check_health(client, HealthCheckRequest(thresholds=LENIENT, fail_on="warning"))
    assert strict.overall == "critical" and strict.exit_code == 5
    assert "error rate" in strict.flows[0].reasons[0]
    assert stale.overall == "critical" and "max age" in stale.flows[0].reasons[0]
    assert paused.overall == "warning" and paused.exit_code == 0
    assert paused.flows[0].reasons == ["flow is paused"]
    assert paused_strict.exit_code == 5


async def test_failed_runs_errored_resources_and_failing_credentials_are_critical(sandbox, api):
    broken = Path(sandbox.data_dir) / "s3" / "ingest" / "broken"
    broken.mkdir(parents=True)
    (broken / "orders.json").write_bytes(b"\x00\xff{{{ not json")
    failing = build_flow(sandbox, api, name="broken", source_path="ingest/broken/", transform=None, sink_path=None,
                         demo_data=False)
    good = build_flow(sandbox, api, name="good")
    api.put(f"data_sinks/{good.sink_id}/pause").raise_for_status()
    async with client_for(sandbox) as client:
        report = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
        shutil.rmtree(Path(sandbox.data_dir) / "s3")  # every s3 credential now fails its probe
        no_store = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
    by_id = {flow.flow_id: flow for flow in report.flows}
    assert by_id[failing.flow_id].verdict == "critical"
    assert any("last run" in reason and "failed" in reason for reason in by_id[failing.flow_id].reasons)
    assert by_id[good.flow_id].verdict == "warning"
    assert by_id[good.flow_id].paused_resources == [f"data_sinks/{good.sink_id}"]
    assert report.flows[0].verdict == "critical"  # worst first
    assert all(flow.verdict == "critical" for flow in no_store.flows)
    assert all(not cred.ok for cred in no_store.credentials)
    assert any("failed its probe" in reason for reason in no_store.flows[0].reasons)


async def test_selection_by_flow_and_resource_and_missing_ids(sandbox, api):
    first = build_flow(sandbox, api, name="first")
    second = build_flow(sandbox, api, name="second", credential_id=first.credential_id)
    async with client_for(sandbox) as client:
        by_flow = await check_health(client, HealthCheckRequest(flow_ids=[second.flow_id], thresholds=LENIENT))
        by_sink = await check_health(client, HealthCheckRequest(
            resources=[ResourceRef.parse(f"destination:{first.sink_id}")], thresholds=LENIENT))
        missing = await check_health(client, HealthCheckRequest(flow_ids=[second.flow_id, 999999], thresholds=LENIENT))
    assert [f.flow_id for f in by_flow.flows] == [second.flow_id]
    assert [f.flow_id for f in by_sink.flows] == [first.flow_id]
    assert missing.missing == ["flows:999999"] and missing.overall == "warning"
    assert missing.exit_code == 4 and by_flow.exit_code == 0
    assert len(by_flow.credentials) == 1


async def test_config_file_thresholds_and_per_flow_overrides(sandbox, api, tmp_path):
    flow = build_flow(sandbox, api)
    config = tmp_path / "health.yaml"
    config.write_text(
        "thresholds: {window: 12h, warn_error_rate: 0.05, max_error_rate: 0.5}\n"
        f"flows: [{{id: {flow.flow_id}, max_age: 0.001s}}]\n"
    )
    loaded = load_health_config(config)
    assert loaded.thresholds.window_s == 43200 and loaded.thresholds.critical_error_rate == 0.5
    assert loaded.flow_ids == [flow.flow_id] and loaded.overrides[flow.flow_id] == {"max_age_s": "0.001s"}
    async with client_for(sandbox) as client:
        report = await check_health(client, HealthCheckRequest.from_config(loaded))
    assert report.overall == "critical" and "max age" in report.flows[0].reasons[0]


def test_bad_config_files_name_the_problem(tmp_path):
    cases = {
        "thresholds: {window: soon}\n": "window",
        "thresholds: {warn_error_rate: 2}\n": "warn_error_rate",
        "flows: [abc]\n": r"flows\[0\]",
        "resources: [widgets:1]\n": r"resources\[0\]",
        "surprise: 1\n": "unknown keys",
        "- just a list\n": "mapping",
    }
    for text, expected in cases.items():
        path = tmp_path / "bad.yaml"
        path.write_text(text)
        with pytest.raises(ValueError, match=expected):
            load_health_config(path)
    with pytest.raises(FileNotFoundError, match="config"):
        load_health_config(tmp_path / "absent.yaml")
    with pytest.raises(ValueError, match="max_age"):
        parse_duration("-5m", "max_age")
    with pytest.raises(ValueError, match="resource"):
        ResourceRef.parse("data_sources-12")


async def test_alert_posts_a_slack_compatible_summary_and_never_reveals_the_url(sandbox, api):
    build_flow(sandbox, api)
    with WebhookReceiver() as receiver:
        async with client_for(sandbox) as client:
            report = await check_health(client, HealthCheckRequest(
                thresholds=HealthThresholds(critical_error_rate=0.001), alert_webhook=SecretStr(receiver.url)))
        assert report.alert is not None and report.alert.delivered and report.alert.status_code == 200
        [body] = receiver.bodies
    assert body["overall"] == "critical" and body["text"].startswith("Nexla health: CRITICAL")
    assert body["flows"][0]["reasons"]
    dumped = report.model_dump_json()
    assert receiver.url not in dumped and "secret-hook-token" not in dumped and "alert_webhook" not in dumped


async def test_a_failed_alert_is_reported_and_keeps_the_exit_code_meaningful(sandbox, api):
    build_flow(sandbox, api)
    with WebhookReceiver(status=500) as receiver:
        async with client_for(sandbox) as client:
            critical = await check_health(client, HealthCheckRequest(
                thresholds=HealthThresholds(critical_error_rate=0.001), alert_webhook=SecretStr(receiver.url)))
            healthy_but_undelivered = await check_health(client, HealthCheckRequest(
                thresholds=LENIENT, alert_on="always", alert_webhook=SecretStr(receiver.url)))
        url = receiver.url
    async with client_for(sandbox) as client:
        unreachable = await check_health(client, HealthCheckRequest(
            thresholds=LENIENT, alert_on="always", alert_webhook=SecretStr(url)))
        quiet = await check_health(client, HealthCheckRequest(thresholds=LENIENT, alert_webhook=SecretStr(url)))
    assert critical.alert.attempted and not critical.alert.delivered and "HTTP 500" in critical.alert.error
    assert critical.exit_code == 5
    assert healthy_but_undelivered.overall == "healthy" and healthy_but_undelivered.exit_code == 1
    assert not unreachable.alert.delivered and "could not reach" in unreachable.alert.error
    assert url not in unreachable.model_dump_json() and "127.0.0.1" not in unreachable.alert.error
    assert quiet.alert is not None and not quiet.alert.attempted and quiet.exit_code == 0


async def test_two_hundred_flows_cost_a_bounded_number_of_requests(sandbox, api):
    write_demo_data(sandbox.data_dir)  # the s3 root exists, so the credentials pass their probes
    credentials = [create_credential(api, f"bulk-{n}") for n in range(3)]
    ids = []
    for n, credential in enumerate(credentials):
        ids += await create_sources(sandbox, 67 if n < 2 else 66, credential_id=credential, prefix=f"bulk{n}")
    assert len(ids) == 200
    per_page = 50
    reset_requests(sandbox)
    async with client_for(sandbox) as client:
        report = await check_health(client, HealthCheckRequest(per_page=per_page, thresholds=LENIENT))
    counts = request_counts(sandbox)
    assert report.flows_checked == 200 and report.counts["warning"] == 200  # never activated
    assert len(report.credentials) == 3
    # One inventory page (1000 per page: every reachable flow, also the never-run ones real Nexla's
    # include_run_metrics listing leaves out), one run-metrics page (no flow ran, so it is empty and
    # the listing stops), one probe per distinct credential, the token exchange and the client's one
    # GET /limits: 1 + 1 + 3 + 1 + 1.
    bound = request_bound(200, per_page, credentials=3)
    assert bound == math.ceil(200 / per_page) + 5 == 9
    assert counts["total"] <= bound, json.dumps(counts["by_route"], indent=1)
    assert counts["total"] == 7, json.dumps(counts["by_route"], indent=1)
    assert not any("/data_sources/" in route for route in counts["by_route"])
    assert counts["by_route"].get("GET /flows") == 2
    assert all(any("never" in reason for reason in flow.reasons) for flow in report.flows)


async def test_an_api_outage_on_probes_is_unknown_and_retryable_never_critical(sandbox, api):
    build_flow(sandbox, api)
    sandbox.control.post("faults", json={
        "method": "GET", "path": r"^/data_credentials/\d+/probe$", "status": 503, "count": 50}).raise_for_status()
    try:
        async with client_for(sandbox) as client:
            report = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
    finally:
        sandbox.control.delete("faults")
    [health] = report.flows
    assert health.verdict == "unknown" and report.overall == "unknown"
    assert report.exit_code == 6 and report.retryable
    assert not any("failed its probe" in reason for reason in health.reasons)
    [credential] = report.credentials
    assert credential.verdict == "unknown" and credential.retryable and not credential.ok
