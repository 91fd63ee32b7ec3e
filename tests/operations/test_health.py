"""check_health against the sandbox: verdict rules, selection, config files, alerts, request bound."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from nexla_sandbox.runtime.demo import write_demo_data

from nexla_ops.errors import NexlaError
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
    run_now,
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


# -- honest verdicts under faults -------------------------------------------------------------

# The mix `make chaos` injects (tools/chaos.py), in match order: each fault's probability is its
# share of what the faults before it left over; status 0 drops the connection.
CHAOS_MIX = [
    {"path": "^/", "status": 502, "probability": 0.05, "count": None, "seed": 12},
    {"path": "^/", "status": 503, "probability": 0.0526, "count": None},
    {"path": "^/", "status": 504, "probability": 0.0556, "count": None},
    {"path": "^/", "status": 429, "retry_after": "1", "probability": 0.1176, "count": None},
    {"path": "^/", "status": 0, "probability": 0.0667, "count": None},
    # The token exchange is done, then its answer is lost: the client must exchange again.
    {"method": "POST", "path": "^/token$", "status": 0, "after_commit": True, "count": 1},
    {"path": "^/", "status": None, "delay_s": 0.02, "probability": 0.1429, "count": None},
]


def fault(sandbox, **spec):
    sandbox.control.post("faults", json={"count": None, **spec}).raise_for_status()


def clean_orders(sandbox, folder: str, file: str, orders: int = 20) -> None:
    """Orders without a malformed record, so a run over them reports no record error."""
    path = Path(sandbox.data_dir) / "s3" / folder
    path.mkdir(parents=True, exist_ok=True)
    rows = [{"order_id": n, "status": "PAID", "total": 10.5 + n} for n in range(orders)]
    (path / file).write_text(json.dumps(rows))


def sink_that_cannot_write(sandbox, api, name: str):
    """A flow whose last run read new records without a record error and then failed at its sink."""
    clean_orders(sandbox, f"ingest/{name}/", "first.json")
    blocked = Path(sandbox.data_dir) / "s3" / "analytics" / name
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the sink wants a folder")
    flow = build_flow(sandbox, api, name=name, source_path=f"ingest/{name}/", transform=None,
                      sink_path=f"analytics/{name}/", demo_data=False)
    clean_orders(sandbox, f"ingest/{name}/", "second.json")
    run = run_now(sandbox, flow.source_id)
    assert run["status"] == "FAILED" and run["records_in"] > 0 and not run["errors"], run
    flow.run_ids.append(run["run_id"])
    return flow


async def test_a_run_that_failed_after_reading_every_record_cleanly_is_critical(sandbox, api):
    flow = sink_that_cannot_write(sandbox, api, "sinkfail")
    async with client_for(sandbox) as client:
        report = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
    [health] = report.flows
    # Flow metrics show records read and no error: only the run's status says it failed.
    assert health.records_in_window > 0 and health.errors_in_window == 0, health
    assert health.verdict == "critical" and report.exit_code == 5
    assert any(f"last run {flow.run_ids[-1]} failed" in reason for reason in health.reasons), health.reasons


async def test_a_monitoring_outage_leaves_the_run_status_unknown_never_guessed(sandbox, api):
    good = build_flow(sandbox, api, name="good")
    failing = sink_that_cannot_write(sandbox, api, "sinkfail")
    fault(sandbox, method="GET", path=r"^/health/org/flows$", status=503)
    try:
        async with client_for(sandbox) as client:
            report = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
    finally:
        sandbox.control.delete("faults")
    by_id = {flow.flow_id: flow for flow in report.flows}
    # Neither the failed run (which read records cleanly) nor the good one may be judged from the counts.
    for flow in (good, failing):
        health = by_id[flow.flow_id]
        assert health.verdict == "unknown", health.reasons
        assert any("could not be read" in reason for reason in health.reasons), health.reasons
    assert report.overall == "unknown" and report.exit_code == 6 and report.retryable


async def test_without_the_monitoring_endpoint_an_unreadable_run_summary_is_unknown(sandbox, api):
    flow = build_flow(sandbox, api)  # the demo's malformed orders: its run reports record errors
    fault(sandbox, method="GET", path=r"^/health/org/flows$", status=404)
    async with client_for(sandbox) as client:
        answered = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
        fault(sandbox, method="GET", path=r"/metrics/run_summary$", status=503)
        try:
            outage = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
        finally:
            sandbox.control.delete("faults")
    assert answered.flows[0].verdict == "healthy" and answered.exit_code == 0
    [health] = outage.flows
    assert health.flow_id == flow.flow_id and health.verdict == "unknown", health.reasons
    assert any(f"last run {flow.run_ids[-1]}" in reason and "could not be read" in reason for reason in health.reasons)
    assert outage.exit_code == 6 and outage.retryable


async def test_a_known_warning_fails_a_fail_on_warning_check_even_beside_an_unknown(sandbox, api):
    paused = build_flow(sandbox, api, name="paused")
    unprobed = build_flow(sandbox, api, name="unprobed")
    api.put(f"flows/{paused.flow_id}/pause", params={"all": 1}).raise_for_status()
    fault(sandbox, method="GET", path=rf"^/data_credentials/{unprobed.credential_id}/probe$", status=503)
    try:
        async with client_for(sandbox) as client:
            strict = await check_health(client, HealthCheckRequest(thresholds=LENIENT, fail_on="warning"))
            lenient = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
    finally:
        sandbox.control.delete("faults")
    assert strict.counts["warning"] == 1 and strict.counts["unknown"] == 1 and strict.overall == "unknown"
    assert strict.exit_code == 5  # retrying cannot turn the paused flow into a pass
    assert lenient.exit_code == 6 and lenient.retryable


async def test_under_the_chaos_mix_every_verdict_is_the_fault_free_one_or_unknown(sandbox, api):
    flows = {
        "healthy": build_flow(sandbox, api, name="good"),
        "critical": sink_that_cannot_write(sandbox, api, "sinkfail"),
        "warning": build_flow(sandbox, api, name="paused"),
    }
    api.put(f"data_sinks/{flows['warning'].sink_id}/pause").raise_for_status()
    request = HealthCheckRequest(thresholds=LENIENT)
    async with client_for(sandbox) as client:
        baseline = await check_health(client, request)
    truth = {flow.flow_id: flow.verdict for flow in baseline.flows}
    assert truth == {flow.flow_id: verdict for verdict, flow in flows.items()}, baseline.flows
    for spec in CHAOS_MIX:
        fault(sandbox, **spec)
    judged = []
    try:
        for _ in range(4):
            # A fresh client per check, as separate cron runs: each meets the faults from its first request.
            async with client_for(sandbox) as client:
                try:
                    judged.append(await check_health(client, request))
                except NexlaError as error:  # an outage of a whole listing: said, and retryable
                    assert error.retryable, error
        counted = request_counts(sandbox)["by_status"]
    finally:
        sandbox.control.delete("faults")
    assert any(str(status) != "200" for status in counted), counted  # the faults did fire
    for report in judged:
        assert {flow.flow_id for flow in report.flows} == set(truth)  # no flow silently left out
        for flow in report.flows:
            assert flow.verdict in (truth[flow.flow_id], "unknown"), (truth[flow.flow_id], flow.reasons)
        assert report.exit_code in (baseline.exit_code, 6)
        assert report.retryable == any(flow.verdict == "unknown" for flow in report.flows)


async def test_a_probe_the_outage_answered_is_asked_again_after_the_others(sandbox, api):
    """More 503s in a row than one request's attempts: the probe is tried once more at the end of the
    probing, and a credential that then passes is judged on that answer (healthy, not unknown)."""
    from nexla_ops.client import AsyncNexlaClient
    from nexla_ops.config import Settings

    flow = build_flow(sandbox, api)
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.keys["admin"], "NEXLA_AUDIT_LOG": "",
           "NEXLA_MAX_ATTEMPTS": "2"}
    sandbox.control.post("faults", json={
        "method": "GET", "path": rf"^/data_credentials/{flow.credential_id}/probe$", "status": 503, "count": 2,
    }).raise_for_status()
    reset_requests(sandbox)
    try:
        async with AsyncNexlaClient(Settings.from_env(env=env)) as client:
            report = await check_health(client, HealthCheckRequest(thresholds=LENIENT))
    finally:
        sandbox.control.delete("faults")
    [credential] = report.credentials
    assert credential.verdict == "passed" and credential.ok, credential
    assert report.flows[0].verdict == "healthy" and report.exit_code == 0, report.flows[0].reasons
    assert request_counts(sandbox)["by_route"][f"GET /data_credentials/{flow.credential_id}/probe"] == 3
