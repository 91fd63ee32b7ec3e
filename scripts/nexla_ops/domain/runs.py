"""Runs and run summaries: one parse of ``/{type}/{id}/metrics/run_summary`` pages for every operation.

Real Nexla rows are ``{runId, lastWritten, dataSetId, records, size, errors}`` inside
``metrics: {data, meta: {currentPage, pageCount, totalCount}}``; run ids are the run's start in
epoch milliseconds (``1695442864636``) and ``lastWritten`` is epoch ms. The sandbox adds
``status``, ``startTime``, ``endTime`` and ``error_message``; snake_case keys are accepted too.
A run's counts are the resource's own: a source's rows say what the run read (records in), a
sink's what it wrote (records out); :func:`combine_flow_runs` puts both on one flow run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

SUCCESS_STATUSES = frozenset({"SUCCESS", "SUCCEEDED", "COMPLETED", "OK", "DONE"})
FAILED_STATUSES = frozenset({"FAILED", "FAILURE", "ERROR", "ERRORED", "ABORTED"})
RUNNING_STATUSES = frozenset({"RUNNING", "IN_PROGRESS", "PROCESSING"})


def to_datetime(value: Any) -> datetime | None:
    """An API timestamp: epoch seconds or milliseconds (number or digit string) or ISO-8601."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 10**11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    """``moment`` as epoch milliseconds (what the logs endpoint's ``from``/``to`` take)."""
    return int(moment.timestamp() * 1000)


def run_started_at(run_id: int) -> datetime | None:
    """The start of a run whose id is epoch milliseconds (real Nexla); None for small ids."""
    return datetime.fromtimestamp(run_id / 1000, tz=UTC) if run_id > 10**11 else None


class RunSummary(BaseModel):
    """One run of a resource (or of a flow): counts, timing and outcome (unknown fields are ``None``)."""

    run_id: int
    status: str | None = Field(default=None, description="SUCCESS / FAILED / RUNNING when the API reports it")
    started_at: datetime | None = None
    ended_at: datetime | None = None
    last_written_at: datetime | None = None
    duration_s: float | None = None
    records: int = 0
    size: int = 0
    errors: int = 0
    error_message: str | None = None
    # Flow runs only: what the source read and what the destinations wrote.
    records_in: int | None = None
    records_out: int | None = None

    @property
    def failed(self) -> bool:
        """True when the run failed outright (by status; without one: errors and no records)."""
        status = (self.status or "").upper()
        return status in FAILED_STATUSES or (not status and self.errors > 0 and self.records == 0)

    @property
    def succeeded(self) -> bool:
        """True when the run completed (by status; without one, as in real Nexla's run summaries:
        it did not fail). Record errors may remain."""
        status = (self.status or "").upper()
        return status in SUCCESS_STATUSES or (not status and not self.failed)

    @property
    def running(self) -> bool:
        return (self.status or "").upper() in RUNNING_STATUSES


def _first(row: dict[str, Any], *keys: str) -> Any:
    return next((row[key] for key in keys if row.get(key) is not None), None)


def run_from_row(row: Any) -> RunSummary | None:
    """One run-summary row (camelCase or snake_case keys) as a RunSummary; None without a run id."""
    if not isinstance(row, dict):
        return None
    run_id = _first(row, "runId", "run_id")
    if run_id is None or not str(run_id).lstrip("-").isdigit():
        return None
    started = to_datetime(_first(row, "startTime", "start_time", "started_at"))
    ended = to_datetime(_first(row, "endTime", "end_time", "ended_at"))
    return RunSummary(
        run_id=int(run_id),
        status=_first(row, "status"),
        started_at=started or run_started_at(int(run_id)),
        ended_at=ended,
        last_written_at=to_datetime(_first(row, "lastWritten", "last_written", "reporting_date")),
        duration_s=(ended - started).total_seconds() if started and ended else None,
        records=int(row.get("records") or 0),
        size=int(row.get("size") or 0),
        errors=int(row.get("errors") or 0),
        error_message=_first(row, "error_message", "errorMessage"),
    )


class RunPage(BaseModel):
    """One page of a run-summary reply: its runs (rows of one run merged) and the page count if given."""

    runs: list[RunSummary]
    rows: int
    page_count: int | None = None


def parse_run_page(body: Any) -> RunPage:
    """Parse ``{status, metrics: {data, meta}}`` (or ``metrics: [...]``, or a bare list) into runs."""
    metrics = body.get("metrics") if isinstance(body, dict) else body
    rows = metrics.get("data") if isinstance(metrics, dict) else metrics
    rows = rows if isinstance(rows, list) else []
    meta = metrics.get("meta") if isinstance(metrics, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    count = _first(meta, "pageCount", "page_count", "pages_count")
    return RunPage(runs=merge_runs(run for run in map(run_from_row, rows) if run is not None), rows=len(rows),
                   page_count=int(count) if count is not None else None)


def _merge(existing: RunSummary, other: RunSummary) -> RunSummary:
    """Two rows of the same run (one per nexset when the API groups finer than by run)."""
    started = min((t for t in (existing.started_at, other.started_at) if t), default=None)
    ended = max((t for t in (existing.ended_at, other.ended_at) if t), default=None)
    written = max((t for t in (existing.last_written_at, other.last_written_at) if t), default=None)
    statuses = [s for s in (existing.status, other.status) if s]
    status = next((s for s in statuses if s.upper() in FAILED_STATUSES), statuses[0] if statuses else None)
    return existing.model_copy(update={
        "status": status, "started_at": started, "ended_at": ended, "last_written_at": written,
        "duration_s": (ended - started).total_seconds() if started and ended else None,
        "records": existing.records + other.records, "size": existing.size + other.size,
        "errors": existing.errors + other.errors, "error_message": existing.error_message or other.error_message,
    })


def merge_runs(runs: Iterable[RunSummary]) -> list[RunSummary]:
    """Runs with rows of the same run id merged, newest (highest run id) first."""
    by_id: dict[int, RunSummary] = {}
    for run in runs:
        by_id[run.run_id] = _merge(by_id[run.run_id], run) if run.run_id in by_id else run
    return sorted(by_id.values(), key=lambda run: run.run_id, reverse=True)


def combine_flow_runs(source_runs: list[RunSummary], sink_runs: list[list[RunSummary]]) -> list[RunSummary]:
    """Flow runs: the source's runs with ``records_in`` (read) and ``records_out`` (summed over sinks).

    A run any part of which failed is failed; errors add up across source and sinks; a run only
    the sinks know (the source's row has aged out) is still listed.
    """
    by_id = {run.run_id: run.model_copy(update={"records_in": run.records, "records_out": 0 if sink_runs else None})
             for run in source_runs}
    for runs in sink_runs:
        for sink_run in runs:
            current = by_id.get(sink_run.run_id)
            if current is None:
                by_id[sink_run.run_id] = sink_run.model_copy(update={"records_in": None, "records_out": sink_run.records})
                continue
            failed = sink_run.failed and not current.failed
            by_id[sink_run.run_id] = current.model_copy(update={
                "records_out": (current.records_out or 0) + sink_run.records,
                "errors": current.errors + sink_run.errors,
                "status": (sink_run.status or "FAILED") if failed else current.status,
                "error_message": current.error_message or sink_run.error_message,
                "ended_at": max((t for t in (current.ended_at, sink_run.ended_at) if t), default=None),
                "last_written_at": max((t for t in (current.last_written_at, sink_run.last_written_at) if t),
                                       default=None),
            })
    return sorted(by_id.values(), key=lambda run: run.run_id, reverse=True)


__all__ = [
    "FAILED_STATUSES",
    "RUNNING_STATUSES",
    "SUCCESS_STATUSES",
    "RunPage",
    "RunSummary",
    "combine_flow_runs",
    "epoch_ms",
    "merge_runs",
    "parse_run_page",
    "run_from_row",
    "run_started_at",
    "to_datetime",
]
