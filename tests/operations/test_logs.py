"""get_logs and triage against the sandbox: latest run, every page, level/time/tail/cursor, causes."""

from __future__ import annotations

import pathlib

import pydantic
import pytest

from nexla_ops.errors import NotFoundError
from nexla_ops.operations import logs
from nexla_ops.operations.logs import LogEntry, LogQuery, get_logs
from nexla_ops.operations.triage import TriageRequest, diagnose, normalise_message, triage
from nexla_ops.operations.metrics import Target
from nexla_ops.resources import ResourceKind
from tests.helpers.monitor import FAILING_TRANSFORM, build_flow, client_for, create_credential, request_counts, reset_requests, run_now


@pytest.fixture
def api(sandbox):
    with sandbox.client() as client:
        yield client


@pytest.fixture
def flow(sandbox, api):
    return build_flow(sandbox, api)


async def test_latest_run_is_the_highest_run_id_and_every_page_is_read(sandbox, api, flow, monkeypatch):
    third = run_now(sandbox, flow.source_id)["run_id"]
    everything = api.get(f"data_flows/data_sources/{flow.source_id}/logs",
                         params={"run_id": third, "from": 0, "per_page": 500}).json()["logs"]["data"]
    monkeypatch.setattr(logs, "LOG_PAGE_SIZE", 1)
    reset_requests(sandbox)
    async with client_for(sandbox) as client:
        result = await get_logs(client, LogQuery(kind="source", id=flow.source_id))
    assert result.run_id == third == max(flow.run_ids + [third])
    assert result.lines_read == len(everything) >= 2
    assert result.pages_read == len(everything)
    assert [e.message for e in result.entries] == [line["log"] for line in everything]
    log_calls = sum(n for route, n in request_counts(sandbox)["by_route"].items() if route.endswith("/logs"))
    assert log_calls == result.pages_read
    assert result.window_from is not None and result.window_from.timestamp() > 0


async def test_level_tail_and_cursor(sandbox, flow):
    query = {"kind": "data_sources", "id": flow.source_id, "run_id": flow.run_ids[0]}  # the run with warnings
    async with client_for(sandbox) as client:
        full = await get_logs(client, LogQuery(**query))
        warnings = await get_logs(client, LogQuery(**query, level="warning"))
        tail = await get_logs(client, LogQuery(**query, tail=2))
        first = await get_logs(client, LogQuery(**query, limit=2))
        rest = await get_logs(client, LogQuery(kind="data_sources", id=flow.source_id, limit=100, cursor=first.next_cursor))
    assert warnings.level == "WARN" and warnings.entries
    assert all(e.level in ("WARN", "ERROR") for e in warnings.entries)
    assert len(warnings.entries) == sum(1 for e in full.entries if e.level in ("WARN", "ERROR"))
    assert tail.entries == full.entries[-2:] and not tail.has_more
    assert first.has_more and first.next_cursor and len(first.entries) == 2
    assert first.entries + rest.entries == full.entries and not rest.has_more


async def test_run_id_flow_kind_and_time_window(sandbox, flow):
    async with client_for(sandbox) as client:
        older = await get_logs(client, LogQuery(kind="flows", id=flow.flow_id, run_id=flow.run_ids[0]))
        future = await get_logs(client, LogQuery(kind="flows", id=flow.flow_id, since=logs.parse_time("2999-01-01T00:00:00Z")))
    assert older.target.kind is ResourceKind.SOURCES and older.target.id == flow.source_id
    assert older.target.flow_id == flow.flow_id
    assert older.run_id == flow.run_ids[0] and older.entries
    assert all(e.run_id == flow.run_ids[0] for e in older.entries)
    assert future.entries == [] and future.matching == 0


async def test_a_resource_that_never_ran_gives_a_note(sandbox, api):
    credential = create_credential(api)
    source = api.post("data_sources", json={"name": "idle", "source_type": "s3", "data_credentials_id": credential,
                                            "source_config": {"path": "ingest/orders/"}}).json()
    async with client_for(sandbox) as client:
        result = await get_logs(client, LogQuery(kind="data_sources", id=source["id"]))
        report = await triage(client, TriageRequest(kind="data_sources", id=source["id"]))
    assert result.run_id is None and result.entries == [] and "not run yet" in result.note
    assert report.verdict == "no_runs" and report.run is None


async def test_bad_input_and_missing_resources_fail_clearly(sandbox, flow):
    with pytest.raises(ValueError, match="unknown resource type"):
        LogQuery(kind="widgets", id=1)
    with pytest.raises(pydantic.ValidationError, match="level"):
        LogQuery(kind="data_sources", id=1, level="LOUD")
    with pytest.raises(pydantic.ValidationError, match="until is before since"):
        LogQuery(kind="data_sources", id=1, since=logs.parse_time("2h"), until=logs.parse_time("3h"))
    with pytest.raises(ValueError, match="--since"):
        logs.parse_time("yesterday-ish", "--since")
    async with client_for(sandbox) as client:
        with pytest.raises(NotFoundError):
            await get_logs(client, LogQuery(kind="data_sinks", id=987654))
        with pytest.raises(ValueError, match="cursor"):
            await get_logs(client, LogQuery(kind="data_sources", id=flow.source_id, cursor="not-a-cursor"))
        with pytest.raises(ValueError, match="run_id"):
            await triage(client, TriageRequest(kind="data_sources", id=flow.source_id, run_id=424242))
        with pytest.raises(ValueError, match="no runs"):
            await get_logs(client, LogQuery(kind="projects", id=1))


async def test_triage_names_the_failing_transform_operation_and_compares_with_the_last_success(sandbox, api):
    flow = build_flow(sandbox, api, transform=FAILING_TRANSFORM)
    async with client_for(sandbox) as client:
        report = await triage(client, TriageRequest(kind="flows", id=flow.flow_id))
    assert report.run is not None and report.run.run_id == flow.run_ids[-1]
    assert report.verdict == "errors" and report.total_errors > 0
    top = report.groups[0]
    assert top.operation_indexes == [1] and top.cause_known
    assert f"data_sets/{flow.nexset_id}" in top.resources
    assert "operation 1" in report.likely_cause and f"nexset {flow.nexset_id}" in report.likely_cause
    assert f"--nexset-id {flow.nexset_id}" in report.next_step
    assert top.first_at is not None and top.last_at is not None and top.first_at <= top.last_at
    assert "'" not in top.message  # record values are stripped, so repeats group together
    assert any(a.kind == "data_sets" and a.id == flow.nexset_id for a in report.affected_resources)
    assert report.last_success is not None and report.last_success.run_id == flow.run_ids[0]


async def test_triage_of_a_source_that_cannot_read_its_input(sandbox, api):
    broken = pathlib.Path(sandbox.data_dir) / "s3" / "ingest" / "broken"
    broken.mkdir(parents=True)
    (broken / "orders.json").write_bytes(b"\x00\xff{{{ this is not json")
    flow = build_flow(sandbox, api, source_path="ingest/broken/", transform=None, sink_path=None, demo_data=False)
    async with client_for(sandbox) as client:
        report = await triage(client, TriageRequest(kind="data_sources", id=flow.source_id))
    assert report.verdict == "failed"
    assert "cannot read its input" in report.likely_cause
    assert f"list_resources.py sources --id {flow.source_id}" in report.next_step
    assert report.last_success is None


async def test_triage_of_a_destination_that_cannot_write(sandbox, api):
    blocked = pathlib.Path(sandbox.data_dir) / "s3" / "analytics" / "blocked"
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the sink wants a folder")
    flow = build_flow(sandbox, api, sink_path="analytics/blocked/")
    async with client_for(sandbox) as client:
        report = await triage(client, TriageRequest(kind="data_sources", id=flow.source_id))
    assert report.verdict == "failed"
    assert f"destination {flow.sink_id} cannot write" in report.likely_cause
    assert f"destinations --id {flow.sink_id}" in report.next_step
    assert any(a.kind == "data_sinks" and a.id == flow.sink_id and a.errors for a in report.affected_resources)


def test_cause_rules_for_rejected_credentials_and_unknown_errors():
    target = Target(kind=ResourceKind.SOURCES, id=5)
    denied = [LogEntry(level="ERROR", message="GET bucket failed: 403 Forbidden", resource_type="data_sources",
                       resource_id=5, run_id=9, details={"data_credentials_id": 77})]
    cause, step, priority = diagnose(denied, target, "data_sources:5")
    assert priority > 0 and "credential 77" in cause and "/data_credentials/77/probe" in step
    assert "--credential-id 77" in step
    odd = [LogEntry(level="ERROR", message="the moon is in the wrong phase", resource_type="data_sources", resource_id=5, run_id=9)]
    cause, step, priority = diagnose(odd, target, "data_sources:5")
    assert priority == 0 and "--run-id 9" in step


def test_messages_are_normalised_without_ids_and_numbers():
    a = normalise_message("run 123 failed for file orders-001.json id 3f2a9c1e-1b2c-4d5e-8f90-a1b2c3d4e5f6")
    b = normalise_message("run 7 failed for file orders-002.json id 00000000-1111-2222-3333-444444444444")
    assert a == b and "<n>" in a and "<id>" in a
    assert normalise_message("bad field 'amount'") != normalise_message("bad field 'qty'")

