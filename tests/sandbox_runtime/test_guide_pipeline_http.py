"""The guide's pipeline through the real sandbox app over loopback HTTP.

S3 credential -> source on `ingest/orders/` (JSON) -> detected nexset -> derived nexset (flatten
`line_items`, rename `line_items.sku` to `sku`, filter out CANCELLED) -> S3 sink writing snappy
Parquet to `analytics/orders/`. Every step goes through the API (token from a service key); runs
are triggered by activation and by the operator control. Background runs started by activation
are waited for through the API (`run_ids` of the source) before anything is checked, so each
check sees a settled state.
"""

from __future__ import annotations

import pathlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import nexla_sdk
import pyarrow.parquet as pq
import pytest
from nexla_sdk.models.flows.responses import FlowLogsResponse, FlowMetricsApiResponse
from nexla_sdk.models.metrics.responses import MetricsByRunResponse, MetricsResponse

from nexla_sandbox.runtime.demo import DemoData, write_demo_data
from nexla_sandbox.testing import SandboxHandle

from .builders import GUIDE_TRANSFORM

TODAY = datetime.now(UTC).date().isoformat()
SETTLE_S = 15


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    """An API client authorised with a bearer token obtained from the admin service key."""
    token = httpx.post(f"{sandbox.base_url}/token", headers={"Authorization": f"Basic {sandbox.service_key}"})
    assert token.status_code == 200, token.text
    with httpx.Client(base_url=sandbox.base_url + "/", timeout=30,
                      headers={"Authorization": f"Bearer {token.json()['access_token']}"}) as client:
        yield client


def ok(response: httpx.Response) -> dict | list:
    assert response.status_code == 200, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


def run_ids(api: httpx.Client, source_id: int) -> list[int]:
    """Ids of the source's finished runs (the runtime appends one when a run ends)."""
    return [run["id"] for run in ok(api.get(f"data_sources/{source_id}"))["run_ids"]]


def wait_for_runs(api: httpx.Client, source_id: int, count: int) -> list[int]:
    """Poll until the source has `count` finished runs (activation and webhook runs are in the background)."""
    deadline = time.monotonic() + SETTLE_S
    while len(found := run_ids(api, source_id)) < count:
        assert time.monotonic() < deadline, f"source {source_id} has {len(found)} finished runs, expected {count}"
        time.sleep(0.02)
    return found


def run_now(sandbox: SandboxHandle, source_id: int) -> dict:
    return ok(sandbox.control.post(f"sources/{source_id}/run"))


def logs(api: httpx.Client, kind: str, resource_id: int, run_id: int) -> list[dict]:
    """The log entries of one run (Nexla's shape: ``{status, message, logs: {data, meta}}``, epoch-ms times)."""
    body = ok(api.get(f"data_flows/{kind}/{resource_id}/logs", params={"run_id": run_id, "from": 0, "per_page": 500}))
    assert body["logs"]["meta"]["total_count"] == len(body["logs"]["data"])
    assert body["logs"]["meta"]["run_id"] == run_id
    return body["logs"]["data"]


def expected_rows(orders: list[dict], malformed: list[str]) -> list[dict]:
    """The guide transform written out by hand over the demo orders, in input order."""
    rows = []
    for order in orders:
        if order["status"] == "CANCELLED" or order["order_id"] in malformed:
            continue
        for item in order["line_items"]:
            row = {k: v for k, v in order.items() if k != "line_items"}
            row.update({"sku": item["sku"], "line_items.qty": item["qty"], "line_items.price": item["price"]})
            rows.append(row)
    return rows


@dataclass
class Guide:
    credential: dict
    source: dict
    detected_id: int
    derived: dict
    sink: dict
    demo: DemoData
    held_back: pathlib.Path
    """orders-002.json, kept out of the source folder until the test releases it."""


def s3_credential(api: httpx.Client, name: str = "orders s3", secret: str = "not-empty") -> dict:
    return ok(api.post("data_credentials", json={
        "name": name, "credentials_type": "s3",
        "credentials": {"access_key_id": "AKIA-SANDBOX", "secret_access_key": secret, "region": "us-east-1"},
    }))


def s3_sink(api: httpx.Client, name: str, data_set_id: int, credential_id: int, path: str) -> dict:
    return ok(api.post("data_sinks", json={
        "name": name, "sink_type": "s3", "data_set_id": data_set_id, "data_credentials_id": credential_id,
        "sink_config": {"path": path, "data_format": "parquet", "file_compression": "snappy"},
    }))


def build_guide(api: httpx.Client, sandbox: SandboxHandle, staging: pathlib.Path, *,
                cron: str | None = None, sink_path: str = "analytics/orders/") -> Guide:
    """Build and activate the guide's flow; only orders-001.json is in the source folder at activation."""
    demo = write_demo_data(sandbox.data_dir, orders=200, files=2)
    staging.mkdir(exist_ok=True)
    held_back = staging / demo.paths[1].name
    shutil.move(demo.paths[1], held_back)

    credential = s3_credential(api)
    probe = ok(api.get(f"data_credentials/{credential['id']}/probe"))
    assert probe["output"]["connection_verified"] is True

    config: dict = {"path": "ingest/orders/", "file_format": "json"}
    if cron:
        config["start.cron"] = cron
    source = ok(api.post("data_sources", json={
        "name": "orders", "source_type": "s3", "data_credentials_id": credential["id"], "source_config": config,
    }))
    ok(api.put(f"data_sources/{source['id']}/activate"))
    # Discovery is synchronous: the detected nexset is listed as soon as activation returns.
    detected = [d for d in ok(api.get("data_sets")) if d.get("data_source_id") == source["id"]]
    assert len(detected) == 1, detected
    assert {"order_id", "status", "line_items"} <= set(detected[0]["output_schema"]["properties"])
    wait_for_runs(api, source["id"], 1)

    derived = ok(api.post("data_sets", json={
        "name": "clean orders", "parent_data_set_id": detected[0]["id"], "transform": GUIDE_TRANSFORM,
    }))
    sink = s3_sink(api, "orders parquet", derived["id"], credential["id"], sink_path)
    tree = ok(api.put(f"flows/{source['flow_node_id']}/activate", params={"all": 1}))
    assert tree["flows"][0]["data_source_id"] == source["id"]
    wait_for_runs(api, source["id"], 2)
    for kind, record in (("data_sources", source), ("data_sets", derived), ("data_sinks", sink)):
        assert ok(api.get(f"{kind}/{record['id']}"))["status"] == "ACTIVE"
    return Guide(credential, ok(api.get(f"data_sources/{source['id']}")), detected[0]["id"], derived, sink,
                 demo, held_back)


def release_held_back(guide: Guide, sandbox: SandboxHandle) -> None:
    shutil.move(guide.held_back, sandbox.data_dir / "s3/ingest/orders" / guide.held_back.name)


def test_guide_pipeline_end_to_end(api: httpx.Client, sandbox: SandboxHandle, tmp_path: pathlib.Path) -> None:
    guide = build_guide(api, sandbox, tmp_path / "staging")
    demo, source_id, sink_id = guide.demo, guide.source["id"], guide.sink["id"]
    first_file_orders = demo.orders[:100]
    activation_runs = run_ids(api, source_id)

    # The flow-activation run delivered orders-001; the manual run delivers the newly arrived orders-002.
    release_held_back(guide, sandbox)
    run = run_now(sandbox, source_id)
    assert run["status"] == "SUCCESS" and run["run_id"] not in activation_runs
    assert run["files"] == [f"s3/analytics/orders/run-{run['run_id']}-{sink_id}.parquet"]
    assert run["records_in"] == 100
    assert run["errors"] == sum(o in demo.malformed_order_ids for o in (x["order_id"] for x in demo.orders[100:]))

    out = sandbox.data_dir / "s3/analytics/orders"
    written = sorted(out.glob("*.parquet"), key=lambda p: int(p.name.split("-")[1]))
    assert [p.name for p in written] == [f"run-{activation_runs[1]}-{sink_id}.parquet",
                                        f"run-{run['run_id']}-{sink_id}.parquet"]
    for path in written:
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "SNAPPY"
    got = [row for path in written for row in pq.read_table(path).to_pylist()]
    want = expected_rows(demo.orders, demo.malformed_order_ids)
    assert len(got) == len(want) == demo.expected_line_items
    for number, (got_row, want_row) in enumerate(zip(got, want, strict=True)):
        assert got_row == want_row, f"row {number}"
    per_file = [pq.read_metadata(path).num_rows for path in written]
    assert per_file[0] == len(expected_rows(first_file_orders, demo.malformed_order_ids))
    assert run["records_out"] == per_file[1]
    sizes = [path.stat().st_size for path in written]

    # Daily metrics: each resource counts each input record once across the runs.
    def daily(kind: str, resource_id: int) -> dict:
        body = ok(api.get(f"{kind}/{resource_id}/metrics", params={"from": TODAY, "aggregate": 1}))
        (day,) = body["metrics"]
        assert body["status"] == 200 and day["time"] == TODAY
        return day

    inputs = sum(p.stat().st_size for p in (sandbox.data_dir / "s3/ingest/orders").iterdir())
    assert daily("data_sinks", sink_id) == {"time": TODAY, "records": len(got), "size": sum(sizes), "errors": 0}
    assert daily("data_sources", source_id) == {"time": TODAY, "records": len(demo.orders), "size": inputs,
                                                "errors": len(demo.malformed_order_ids)}
    assert daily("data_sets", guide.derived["id"])["records"] == len(got)

    # Run summary: one item per sink run, newest first, matching each file.
    summary = ok(api.get(f"data_sinks/{sink_id}/metrics/run_summary", params={"orderby": "runId", "size": 10}))
    items = summary["metrics"]["data"]
    assert [(i["runId"], i["records"], i["size"], i["errors"], i["dataSetId"]) for i in items] == [
        (run["run_id"], per_file[1], sizes[1], 0, guide.derived["id"]),
        (activation_runs[1], per_file[0], sizes[0], 0, guide.derived["id"]),
    ]
    source_runs = ok(api.get(f"data_sources/{source_id}/metrics/run_summary"))["metrics"]
    assert source_runs["meta"]["totalCount"] == 3
    assert sum(i["records"] for i in source_runs["data"]) == len(demo.orders)
    assert sum(i["errors"] for i in source_runs["data"]) == len(demo.malformed_order_ids)

    # Flow metrics: keyed by resource id, for the newest run.
    flow = ok(api.get(f"data_flows/data_sources/{source_id}/metrics",
                      params={"from": TODAY, "groupby": "runId", "page": 1, "per_page": 1}))["metrics"]
    assert flow["data"][str(sink_id)]["records"] == per_file[1]
    assert flow["data"][str(sink_id)]["runId"] == run["run_id"]
    assert flow["meta"]["totalCount"] == 3
    tree = ok(api.get(f"flows/{guide.source['flow_node_id']}", params={"include_run_metrics": 1}))
    assert {m["run_id"] for m in tree["metrics"]} == {*activation_runs, run["run_id"]}

    # Logs of the manual run: what was read, the quarantined orders, what was written.
    entries = logs(api, "data_sources", source_id, run["run_id"])
    messages = [e["log"] for e in entries]
    assert f"Wrote {per_file[1]} record(s) to {run['files'][0]}" in messages
    assert messages[-1] == f"Run {run['run_id']} finished: SUCCESS" and entries[-1]["log_type"] == "SUMMARY"
    warns = [e for e in entries if e["severity"] == "WARNING" and e["resource_type"] == "SOURCE"]
    assert sum(int(w["log"].split(" ")[0]) for w in warns) == run["errors"]
    sink_entries = [e for r in (activation_runs[1], run["run_id"]) for e in logs(api, "data_sinks", sink_id, r)]
    assert [e["log"] for e in sink_entries] == [
        f"Wrote {per_file[0]} record(s) to s3/analytics/orders/{written[0].name}",
        f"Wrote {per_file[1]} record(s) to {run['files'][0]}",
    ]

    # Samples of the detected and derived nexsets.
    raw = ok(api.get(f"data_sets/{guide.detected_id}/samples", params={"count": 3}))
    assert [r["order_id"] for r in raw] == [o["order_id"] for o in demo.orders[:3]]
    clean = ok(api.get(f"data_sets/{guide.derived['id']}/samples", params={"count": 5}))
    assert clean == want[:5]

    # The nexla-sdk parses the metrics and logs responses into its models.
    client = nexla_sdk.NexlaClient(service_key=sandbox.service_key, base_url=sandbox.base_url)
    sdk_daily = client.metrics.get_resource_daily_metrics("data_sinks", sink_id, from_date=TODAY)
    assert isinstance(sdk_daily, MetricsResponse) and sdk_daily.metrics[0]["records"] == len(got)
    sdk_runs = client.metrics.get_resource_metrics_by_run("data_sinks", sink_id, orderby="runId", size=10)
    assert isinstance(sdk_runs, MetricsByRunResponse) and sdk_runs.metrics["data"][0]["runId"] == run["run_id"]
    sdk_logs = client.flows.get_logs("data_sources", source_id, run_id=run["run_id"],
                                     from_ts=int((time.time() - 3600) * 1000))
    assert isinstance(sdk_logs, FlowLogsResponse), sdk_logs
    assert [entry.message for entry in sdk_logs.logs] == messages
    sdk_flow = client.flows.get_metrics("data_sources", source_id, from_date=TODAY, per_page=1)
    assert isinstance(sdk_flow, FlowMetricsApiResponse), sdk_flow
    assert sdk_flow.metrics.data[str(sink_id)]["records"] == per_file[1]

    # A second run finds nothing new and writes nothing.
    again = run_now(sandbox, source_id)
    assert (again["status"], again["records_in"], again["records_out"], again["files"]) == ("SUCCESS", 0, 0, [])
    assert sorted(out.iterdir()) == sorted(written)

    # A sink attached after the runs is backfilled with every record on the next run.
    late = s3_sink(api, "orders late", guide.derived["id"], guide.credential["id"], "analytics/late/")
    ok(api.put(f"data_sinks/{late['id']}/activate"))
    backfill = run_now(sandbox, source_id)
    assert backfill["files"] == [f"s3/analytics/late/run-{backfill['run_id']}-{late['id']}.parquet"]
    assert pq.read_table(sandbox.data_dir / backfill["files"][0]).to_pylist() == want
    assert backfill["records_in"] == 0 and backfill["records_out"] == len(want)
    assert sorted(out.iterdir()) == sorted(written)
    assert daily("data_sources", source_id)["records"] == len(demo.orders)


def test_pausing_the_flow_stops_scheduled_runs(api: httpx.Client, sandbox: SandboxHandle,
                                               tmp_path: pathlib.Path) -> None:
    guide = build_guide(api, sandbox, tmp_path / "staging", cron="*/5 * * * *")
    source_id = guide.source["id"]
    scheduler = sandbox.app.state.runtime.scheduler
    now = datetime.now(UTC)
    scheduler.tick(now)  # the scheduler learns the cron (its own thread may have already)
    assert scheduler.next_run(source_id) is not None
    release_held_back(guide, sandbox)
    assert scheduler.tick(now + timedelta(minutes=10)) == [source_id]
    scheduled = wait_for_runs(api, source_id, 3)[-1]
    assert ok(api.get(f"data_sinks/{guide.sink['id']}/metrics/run_summary"))["metrics"]["data"][0]["runId"] == scheduled

    tree = ok(api.put(f"flows/{guide.source['flow_node_id']}/pause", params={"all": 1}))
    assert tree["flows"][0]["status"] == "PAUSED"
    assert scheduler.next_run(source_id) is None
    assert scheduler.tick(now + timedelta(days=1)) == []
    assert scheduler.next_run(source_id) is None
    assert len(run_ids(api, source_id)) == 3

    ok(api.put(f"flows/{guide.source['flow_node_id']}/activate", params={"all": 1}))
    wait_for_runs(api, source_id, 4)
    scheduler.tick(now + timedelta(days=2))
    assert scheduler.next_run(source_id) is not None


def test_unwritable_sink_fails_the_run_with_an_error_log(api: httpx.Client, sandbox: SandboxHandle,
                                                         tmp_path: pathlib.Path) -> None:
    blocked = sandbox.data_dir / "s3/analytics/blocked"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the sink's folder should be")
    guide = build_guide(api, sandbox, tmp_path / "staging", sink_path="analytics/blocked/")
    release_held_back(guide, sandbox)
    run = run_now(sandbox, guide.source["id"])
    assert run["status"] == "FAILED" and run["files"] == [] and run["records_out"] == 0
    assert f"sink {guide.sink['id']} could not write" in run["error_message"]

    errors = [e for e in logs(api, "data_sources", guide.source["id"], run["run_id"]) if e["severity"] == "ERROR"]
    assert [(e["resource_type"], e["resource_id"]) for e in errors][0] == ("SINK", guide.sink["id"])
    assert f"sink {guide.sink['id']} could not write" in errors[0]["log"]
    assert errors[-1]["log"] == f"Run {run['run_id']} finished: FAILED"
    (latest, *_) = ok(api.get(f"data_sinks/{guide.sink['id']}/metrics/run_summary"))["metrics"]["data"]
    assert (latest["runId"], latest["records"]) == (run["run_id"], 0) and latest["errors"] > 0

    blocked.unlink()  # the fault is fixed: the next run delivers everything the sink missed
    retry = run_now(sandbox, guide.source["id"])
    assert retry["status"] == "SUCCESS" and retry["records_out"] == guide.demo.expected_line_items


def test_webhook_records_are_run_through_the_flow(api: httpx.Client, sandbox: SandboxHandle) -> None:
    created = ok(api.post("data_sources", json={"name": "orders hook", "source_type": "nexla_rest"}))
    (key,) = created["api_keys"]
    root = sandbox.base_url.removesuffix("/nexla-api")
    assert key["url"] == f"{root}/webhook/{created['id']}"
    assert "api_key" not in ok(api.get(f"data_sources/{created['id']}"))["api_keys"][0]
    ok(api.put(f"data_sources/{created['id']}/activate"))
    wait_for_runs(api, created["id"], 1)

    records = [{"order_id": f"W-{n}", "status": "PAID", "total": n * 1.5} for n in range(1, 6)]
    refused = httpx.post(f"{root}/webhook/{created['id']}", params={"api_key": "wrong"}, json=records)
    assert refused.status_code == 403
    pushed = ok(httpx.post(f"{root}/webhook/{created['id']}", params={"api_key": key["api_key"]}, json=records))
    assert pushed["processed"] == len(records)
    detected = [d for d in ok(api.get("data_sets")) if d.get("data_source_id") == created["id"]]
    assert [d["id"] for d in detected] == [pushed["datasetId"]]
    wait_for_runs(api, created["id"], 2)

    runs = ok(api.get(f"data_sources/{created['id']}/metrics/run_summary"))["metrics"]["data"]
    assert sum(item["records"] for item in runs) == len(records) and all(i["errors"] == 0 for i in runs)
    assert ok(api.get(f"data_sets/{pushed['datasetId']}/samples", params={"count": 10})) == records
    assert run_now(sandbox, created["id"])["records_in"] == 0


def test_probe_of_an_s3_credential_with_an_empty_secret_fails_clearly(api: httpx.Client,
                                                                      sandbox: SandboxHandle) -> None:
    write_demo_data(sandbox.data_dir, orders=5, files=1)
    bad = s3_credential(api, "empty secret", secret="")
    probe = api.get(f"data_credentials/{bad['id']}/probe")
    assert probe.status_code == 403 and probe.json()["status"] == 403
    assert "secret_access_key" in probe.json()["message"] and "non-empty" in probe.json()["message"]
    assert ok(api.get(f"data_credentials/{bad['id']}"))["verified_status"] == "FAILED"
    good = s3_credential(api, "good secret")
    assert ok(api.get(f"data_credentials/{good['id']}/probe"))["output"]["connection_verified"] is True
