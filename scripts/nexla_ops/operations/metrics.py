"""Daily metrics and per-run summaries of a source, nexset, destination or whole flow.

A flow is addressed by its flow (root node) id; its metrics are those of the source at its root.
The run helpers here (:func:`resolve_target`, :func:`fetch_runs`) are shared with the logs and
triage operations so that "the latest run" means the same thing everywhere: the highest run id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from nexla_ops.operations.cursor import decode_cursor, encode_cursor
from nexla_ops.resources import FLOW_RESOURCE_KINDS, ResourceKind, parse_kind

# The run-summary endpoint names its page size ``size``; 100 keeps pages few without huge bodies.
RUN_PAGE_SIZE = 100
# Safety stop for a server that never returns a short page; 10k pages of runs is far past real use.
MAX_PAGES = 10_000

_SUCCESS = {"SUCCESS", "SUCCEEDED", "COMPLETED", "OK", "DONE"}
_FAILED = {"FAILED", "FAILURE", "ERROR", "ERRORED", "ABORTED"}


class Target(BaseModel):
    """The resource whose metrics or logs are read; a flow resolves to the source at its root."""

    kind: ResourceKind
    id: int
    flow_id: int | None = Field(default=None, description="flow (root node) id when the caller named a flow")


class RunSummary(BaseModel):
    """One run of a resource: counts, timing and outcome (unknown fields are ``None``)."""

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

    @property
    def failed(self) -> bool:
        """True when the run failed outright (by status; without one: errors and no records)."""
        status = (self.status or "").upper()
        return status in _FAILED or (not status and self.errors > 0 and self.records == 0)

    @property
    def succeeded(self) -> bool:
        """True when the run completed (by status; without one: no errors). Record errors may remain."""
        status = (self.status or "").upper()
        return status in _SUCCESS or (not status and self.errors == 0)


class DailyMetric(BaseModel):
    """Totals for one day."""

    date: date
    records: int = 0
    size: int = 0
    errors: int = 0


class DailyMetricsResult(BaseModel):
    """Daily metrics of a resource over ``since``..``until`` (inclusive), oldest day first."""

    target: Target
    since: date
    until: date | None
    days: list[DailyMetric]
    total_records: int
    total_size: int
    total_errors: int
    error_rate: float | None = Field(description="errors / (records + errors); None when nothing ran")


class RunSummariesResult(BaseModel):
    """Per-run summaries, newest run first, one page of ``limit`` rows."""

    target: Target
    runs: list[RunSummary]
    total_runs: int
    has_more: bool
    next_cursor: str | None = Field(default=None, description="pass back as cursor for the next (older) page")


def to_datetime(value: Any) -> datetime | None:
    """Parse an API timestamp: epoch seconds or milliseconds (number or digit string) or ISO-8601."""
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


async def resolve_target(client: Any, kind: str | ResourceKind, resource_id: int) -> Target:
    """Map (kind, id) to the resource whose metrics and logs answer for it.

    Sources, nexsets and destinations are used as given. A flow id (a flow's root node id, as in
    ``/flows/{id}``) resolves to the source at the root of that flow. Raises ValueError naming
    ``kind`` for any other kind, and NotFoundError when the flow does not exist.
    """
    parsed = parse_kind(kind)
    if parsed in FLOW_RESOURCE_KINDS:
        return Target(kind=parsed, id=int(resource_id))
    if parsed is not ResourceKind.FLOWS:
        raise ValueError(f"kind: {parsed.value} has no runs; use data_sources, data_sets, data_sinks or flows")
    tree = await client.get(f"/flows/{int(resource_id)}", params={"flows_only": 1})
    roots = [node for node in (tree or {}).get("flows") or [] if node.get("data_source_id")]
    holding = [node for node in roots if _contains(node, int(resource_id))]
    chosen = holding or (roots if len(roots) == 1 else [])
    if not chosen:
        raise ValueError(f"id: flow {resource_id} has no source at its root; pass the resource kind and id instead")
    return Target(kind=ResourceKind.SOURCES, id=int(chosen[0]["data_source_id"]), flow_id=int(resource_id))


def _contains(node: dict[str, Any], wanted: int) -> bool:
    """True when the flow node ``wanted`` is ``node`` or below it."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.get("id") == wanted:
            return True
        stack.extend(current.get("children") or [])
    return False


def run_from_row(row: dict[str, Any]) -> RunSummary | None:
    """Normalise one run-summary row (camelCase or snake_case keys) into a RunSummary."""
    run_id = row.get("runId", row.get("run_id"))
    if run_id is None:
        return None
    started = to_datetime(row.get("startTime", row.get("start_time", row.get("started_at"))))
    ended = to_datetime(row.get("endTime", row.get("end_time", row.get("ended_at"))))
    duration = (ended - started).total_seconds() if started and ended else None
    return RunSummary(
        run_id=int(run_id),
        status=row.get("status"),
        started_at=started,
        ended_at=ended,
        last_written_at=to_datetime(row.get("lastWritten", row.get("last_written"))),
        duration_s=duration,
        records=int(row.get("records") or 0),
        size=int(row.get("size") or 0),
        errors=int(row.get("errors") or 0),
        error_message=row.get("error_message") or row.get("errorMessage"),
    )


def _merge(existing: RunSummary, other: RunSummary) -> RunSummary:
    """Combine two rows of the same run (one per nexset when the API groups finer than by run)."""
    started = min((t for t in (existing.started_at, other.started_at) if t), default=None)
    ended = max((t for t in (existing.ended_at, other.ended_at) if t), default=None)
    written = max((t for t in (existing.last_written_at, other.last_written_at) if t), default=None)
    statuses = {(s or "").upper() for s in (existing.status, other.status) if s}
    status = next((s for s in statuses if s in _FAILED), existing.status or other.status)
    return existing.model_copy(
        update={
            "status": status,
            "started_at": started,
            "ended_at": ended,
            "last_written_at": written,
            "duration_s": (ended - started).total_seconds() if started and ended else None,
            "records": existing.records + other.records,
            "size": existing.size + other.size,
            "errors": existing.errors + other.errors,
            "error_message": existing.error_message or other.error_message,
        }
    )


async def fetch_runs(client: Any, target: Target) -> list[RunSummary]:
    """Every run of ``target``, newest (highest run id) first, reading every run-summary page."""
    by_id: dict[int, RunSummary] = {}
    page = 1
    while page <= MAX_PAGES:
        body = await client.get(
            f"/{target.kind.value}/{target.id}/metrics/run_summary",
            params={"groupby": "runId", "orderby": "runId", "page": page, "size": RUN_PAGE_SIZE},
        )
        metrics = (body or {}).get("metrics") or {}
        rows = metrics.get("data") if isinstance(metrics, dict) else metrics
        rows = rows or []
        for row in rows:
            run = run_from_row(row)
            if run is None:
                continue
            by_id[run.run_id] = _merge(by_id[run.run_id], run) if run.run_id in by_id else run
        meta = metrics.get("meta") if isinstance(metrics, dict) else None
        page_count = (meta or {}).get("pageCount", (meta or {}).get("page_count"))
        if not rows or (page_count is not None and page >= int(page_count)) or (page_count is None and len(rows) < RUN_PAGE_SIZE):
            break
        page += 1
    return sorted(by_id.values(), key=lambda run: run.run_id, reverse=True)


async def daily_metrics(
    client: Any, kind: str | ResourceKind, id: int, *, since: date, until: date | None = None
) -> DailyMetricsResult:
    """Daily records, size and errors of a resource or flow from ``since`` to ``until`` (inclusive).

    Raises ValueError naming ``until`` when it is before ``since``.
    """
    if until is not None and until < since:
        raise ValueError(f"until: {until} is before since {since}; give a window that ends after it starts")
    target = await resolve_target(client, kind, id)
    params: dict[str, Any] = {"from": since.isoformat(), "aggregate": 1}
    if until is not None:
        params["to"] = until.isoformat()
    body = await client.get(f"/{target.kind.value}/{target.id}/metrics", params=params)
    totals: dict[date, DailyMetric] = {}
    for row in (body or {}).get("metrics") or []:
        moment = to_datetime(row.get("time") or row.get("date"))
        if moment is None:
            continue
        day = moment.date()
        if day < since or (until is not None and day > until):
            continue
        current = totals.setdefault(day, DailyMetric(date=day))
        current.records += int(row.get("records") or 0)
        current.size += int(row.get("size") or 0)
        current.errors += int(row.get("errors") or 0)
    days = sorted(totals.values(), key=lambda metric: metric.date)
    records = sum(day.records for day in days)
    errors = sum(day.errors for day in days)
    return DailyMetricsResult(
        target=target,
        since=since,
        until=until,
        days=days,
        total_records=records,
        total_size=sum(day.size for day in days),
        total_errors=errors,
        error_rate=(errors / (records + errors)) if records + errors else None,
    )


async def run_summaries(
    client: Any, kind: str | ResourceKind, id: int, *, limit: int = 20, cursor: str | None = None
) -> RunSummariesResult:
    """Runs of a resource or flow, newest first, ``limit`` per page; pass ``next_cursor`` for older runs.

    Raises ValueError naming ``limit`` or ``cursor`` when they are invalid.
    """
    if limit < 1:
        raise ValueError("limit: must be at least 1")
    offset = int(decode_cursor(cursor, fields={"offset": int}).get("offset", 0))
    target = await resolve_target(client, kind, id)
    runs = await fetch_runs(client, target)
    page = runs[offset : offset + limit]
    has_more = offset + limit < len(runs)
    return RunSummariesResult(
        target=target,
        runs=page,
        total_runs=len(runs),
        has_more=has_more,
        next_cursor=encode_cursor({"offset": offset + limit}) if has_more else None,
    )


def default_since(days: int = 7) -> date:
    """The first day of a window of ``days`` days ending today (UTC)."""
    return (datetime.now(UTC) - timedelta(days=days - 1)).date()
