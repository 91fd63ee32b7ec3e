"""The runtime's HTTP routes (samples, metrics, run summary, flow metrics, logs, run-now, webhook).

Served by a small Starlette app that mounts `nexla_sandbox.routes.run_data` over the sandbox's real
state, `Access` and runtime, authenticated as the seeded org admin.
"""

from __future__ import annotations

import base64
import pathlib
from datetime import UTC, datetime

import pytest
from nexla_sandbox.access import Access
from nexla_sandbox.errors import ApiError
from nexla_sandbox.routes import run_data
from nexla_sandbox.runtime import Runtime
from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sandbox.state import seed
from nexla_sandbox.state.store import Store
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse
from starlette.testclient import TestClient

from .builders import Flow

TODAY = datetime.now(UTC).date().isoformat()


@pytest.fixture
def app_flow(store: Store, runtime: Runtime, data_dir: pathlib.Path):
    seed.ensure_seeded(store)
    admin_id = seed.users(store)["admin"]
    org_id = store.get("users", admin_id)["default_org_id"]
    user = {"id": admin_id, "org_id": org_id, "is_org_admin": True}

    async def authenticate(request, call_next):
        request.state.user = user
        return await call_next(request)

    async def api_error(request, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status)

    app = Starlette(routes=run_data.routes() + run_data.webhook_routes(),
                    middleware=[Middleware(BaseHTTPMiddleware, dispatch=authenticate)],
                    exception_handlers={ApiError: api_error})
    app.state.access = Access(store)
    app.state.store = store
    app.state.runtime = runtime
    with TestClient(app) as client:
        yield client, Flow(store, {"owner_id": admin_id, "org_id": org_id})


def runs_of(client: TestClient, source_id: int) -> list[int]:
    """Run ids of a source from its run summary, newest first."""
    rows = client.get(f"/data_sources/{source_id}/metrics/run_summary", params={"size": 100}).json()
    return [row["runId"] for row in rows["metrics"]["data"]]


def test_metrics_and_logs_report_what_was_written(app_flow, runtime: Runtime, data_dir: pathlib.Path) -> None:
    client, flow = app_flow
    demo = write_demo_data(data_dir, orders=50)
    source = flow.source()
    runtime.on_source_activated(source["id"])
    runtime.stop()
    detected = runtime.detected_id(source["id"])
    derived = flow.nexset(detected)
    sink = flow.sink(derived["id"])
    run = client.post(f"/_sandbox/sources/{source['id']}/run").json()
    written = (data_dir / run["files"][0]).stat().st_size
    assert run["records_out"] == demo.expected_line_items

    daily = client.get(f"/data_sinks/{sink['id']}/metrics", params={"from": TODAY, "aggregate": 1}).json()
    assert daily == {"status": 200, "metrics": [{"time": TODAY, "records": run["records_out"], "size": written,
                                                 "errors": 0}]}
    summary = client.get(f"/data_sinks/{sink['id']}/metrics/run_summary",
                         params={"groupby": "runId", "orderby": "runId", "page": 1, "size": 10}).json()
    (item,) = summary["metrics"]["data"]
    assert set(item) == {"runId", "lastWritten", "dataSetId", "records", "size", "errors"}
    assert item["runId"] == run["run_id"] and item["dataSetId"] == derived["id"]
    assert item["runId"] > 10**12 and item["lastWritten"] >= item["runId"]  # epoch milliseconds
    assert (item["records"], item["size"], item["errors"]) == (run["records_out"], written, 0)
    assert summary["metrics"]["meta"] == {"currentPage": 1, "pageCount": 1, "totalCount": 1}
    runs = client.get(f"/data_sources/{source['id']}/metrics/run_summary", params={"size": 1}).json()["metrics"]
    assert runs["data"][0]["runId"] == run["run_id"] and runs["meta"]["totalCount"] == 2  # activation run too

    flow_metrics = client.get(f"/data_flows/data_sources/{source['id']}/metrics",
                              params={"from": TODAY, "groupby": "runId", "page": 1, "per_page": 1}).json()
    data = flow_metrics["metrics"]["data"]
    assert flow_metrics["status"] == 200 and flow_metrics["message"] == "Ok"
    assert data[str(sink["id"])]["records"] == run["records_out"] and data[str(sink["id"])]["runId"] == run["run_id"]
    assert data[str(source["id"])]["errors"] == 0  # the activation run ingested (and counted) the bad orders
    both = client.get(f"/data_flows/data_sources/{source['id']}/metrics", params={"per_page": 2}).json()
    assert both["metrics"]["data"][str(source["id"])]["errors"] == len(demo.malformed_order_ids)

    logs = client.get(f"/data_flows/data_sources/{source['id']}/logs",
                      params={"run_id": run["run_id"], "from": 0, "per_page": 100}).json()
    entries, meta = logs["logs"]["data"], logs["logs"]["meta"]
    assert {(e["severity"], e["resource_type"]) for e in entries} >= {("INFO", "SINK"), ("INFO", "SOURCE")}
    assert meta["total_count"] == len(entries) and meta["run_id"] == run["run_id"] and meta["pages_count"] == 1
    assert entries[-1]["log_type"] == "SUMMARY" and all(e["timestamp"] > 10**12 for e in entries)
    activation_run = runs_of(client, source["id"])[-1]
    every = client.get(f"/data_flows/data_sources/{source['id']}/logs",
                       params={"run_id": activation_run, "from": 0, "per_page": 100}).json()["logs"]["data"]
    assert ("WARNING", "SOURCE") in {(e["severity"], e["resource_type"]) for e in every}
    sink_logs = client.get(f"/data_flows/data_sinks/{sink['id']}/logs",
                           params={"run_id": run["run_id"], "from": 0}).json()["logs"]["data"]
    assert [e["log"] for e in sink_logs] == [f"Wrote {run['records_out']} record(s) to {run['files'][0]}"]
    assert client.get(f"/data_flows/data_sinks/{sink['id']}/logs", params={"from": 0}).status_code == 400
    assert client.get(f"/data_flows/data_sinks/{sink['id']}/logs",
                      params={"run_id": run["run_id"]}).json()["field"] == "from"

    bare = client.get(f"/data_sets/{derived['id']}/samples", params={"count": 2, "include_metadata": "False"}).json()
    wrapped = client.get(f"/data_sets/{derived['id']}/samples", params={"count": 2, "include_metadata": 1}).json()
    assert [w["rawMessage"] for w in wrapped] == bare and "sku" in bare[0]

    assert client.get(f"/data_sinks/{sink['id']}/metrics").status_code == 400
    assert client.get("/data_sets/999999/samples").status_code == 404
    assert client.post("/_sandbox/sources/999999/run").status_code == 404


def test_webhook_accepts_records_with_its_key(app_flow, store: Store, runtime: Runtime) -> None:
    client, flow = app_flow
    source = store.create("data_sources", {"name": "hook", "status": "PAUSED", "source_type": "nexla_rest",
                                           "api_keys": [{"id": 1, "api_key": "hook-key"}]}, **flow.owner)
    assert client.post(f"/webhook/{source['id']}", json={"a": 1}).status_code == 403
    assert client.post(f"/webhook/{source['id']}?api_key=wrong", json={"a": 1}).status_code == 403
    paused = client.post(f"/webhook/{source['id']}?api_key=hook-key", json={"a": 1})
    assert paused.status_code == 500 and paused.json() == {"error": f"Source #{source['id']} is PAUSED"}
    store.update("data_sources", source["id"], {"status": "ACTIVE"})
    ok = client.post(f"/webhook/{source['id']}?api_key=hook-key", json=[{"a": 1}, {"a": 2}])
    assert ok.status_code == 200 and ok.json() == {"datasetId": runtime.detected_id(source["id"]), "processed": 2}
    basic = base64.b64encode(b"hook-key").decode()
    ok2 = client.post(f"/webhook/{source['id']}", json={"a": 3}, headers={"Authorization": f"Basic {basic}"})
    assert ok2.json()["processed"] == 1
    bad = client.post(f"/webhook/{source['id']}?api_key=hook-key", content=b"[1, 2]")
    assert bad.status_code == 400 and "object" in bad.json()["message"]
