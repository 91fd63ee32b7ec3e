"""daily_metrics and run_summaries against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nexla_ops.errors import NotFoundError
from nexla_ops.operations import metrics
from nexla_ops.operations.metrics import daily_metrics, default_since, run_summaries
from nexla_ops.resources import ResourceKind
from tests.helpers.monitor import build_flow, client_for, run_now


@pytest.fixture
def flow(sandbox):
    with sandbox.client() as api:
        return build_flow(sandbox, api)


async def test_daily_metrics_of_a_destination_and_of_a_flow(sandbox, flow):
    today = datetime.now(UTC).date()
    async with client_for(sandbox) as client:
        sink = await daily_metrics(client, "destination", flow.sink_id, since=default_since(7))
        whole = await daily_metrics(client, "flows", flow.flow_id, since=today, until=today)
        before = await daily_metrics(client, "data_sinks", flow.sink_id, since=today - timedelta(days=9),
                                     until=today - timedelta(days=2))
    assert [day.date for day in sink.days] == [today]
    assert sink.total_records == sink.days[0].records > 0 and sink.total_errors == 0 and sink.error_rate == 0
    assert whole.target.kind is ResourceKind.SOURCES and whole.target.flow_id == flow.flow_id
    assert whole.total_records >= 200  # the demo's 200 orders (read again when a new sink backfills)
    assert whole.total_errors > 0 and 0 < whole.error_rate < 0.1  # the demo's malformed orders
    assert before.days == [] and before.total_records == 0 and before.error_rate is None


async def test_run_summaries_newest_first_with_limit_and_cursor(sandbox, flow, monkeypatch):
    third = run_now(sandbox, flow.source_id)["run_id"]
    monkeypatch.setattr(metrics, "RUN_PAGE_SIZE", 1)  # every run on its own API page: all pages are read
    async with client_for(sandbox) as client:
        first = await run_summaries(client, "data_sources", flow.source_id, limit=2)
        second = await run_summaries(client, "data_sources", flow.source_id, limit=2, cursor=first.next_cursor)
    assert first.total_runs == 3 and first.has_more and first.next_cursor
    assert [run.run_id for run in first.runs + second.runs] == [third, *reversed(flow.run_ids)]
    assert not second.has_more and second.next_cursor is None
    newest = first.runs[0]
    # Nexla's rows carry no status or times: the epoch-ms run id gives the start, lastWritten the last write.
    assert newest.status is None and newest.succeeded and newest.last_written_at is not None
    assert newest.started_at is not None and newest.started_at.timestamp() * 1000 == pytest.approx(newest.run_id, abs=1)
    assert second.runs[-1].records == 200 and second.runs[-1].errors > 0  # the first run read every order


async def test_metrics_refuse_bad_input(sandbox, flow):
    today = datetime.now(UTC).date()
    async with client_for(sandbox) as client:
        with pytest.raises(ValueError, match="until"):
            await daily_metrics(client, "data_sources", flow.source_id, since=today, until=today - timedelta(days=1))
        with pytest.raises(ValueError, match="limit"):
            await run_summaries(client, "data_sources", flow.source_id, limit=0)
        with pytest.raises(ValueError, match="cursor"):
            await run_summaries(client, "data_sources", flow.source_id, cursor="!!!")
        with pytest.raises(ValueError, match="kind"):
            await run_summaries(client, "credentials", flow.credential_id)
        with pytest.raises(NotFoundError):
            await run_summaries(client, "data_sets", 999999)
        with pytest.raises(NotFoundError):
            await daily_metrics(client, "flows", 999999, since=today)
