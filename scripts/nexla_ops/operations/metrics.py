"""Daily metrics and per-run summaries of a source, nexset, destination or whole flow.

A flow is addressed by its flow (root node) id; its metrics are those of the source at its root.
The run helpers here (:func:`resolve_target`, :func:`fetch_runs`) are shared with the logs and
triage operations so that "the latest run" means the same thing everywhere: the highest run id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from nexla_ops.domain import FlowTree, RunSummary, combine_flow_runs, parse_run_page, to_datetime
from nexla_ops.domain.runs import merge_runs
from nexla_ops.operations.cursor import decode_cursor, encode_cursor
from nexla_ops.resources import FLOW_RESOURCE_KINDS, ResourceKind, parse_kind

# The run-summary endpoint names its page size ``size``; 100 keeps pages few without huge bodies.
RUN_PAGE_SIZE = 100
# Safety stop for a server that never returns a short page; 10k pages of runs is far past real use.
MAX_PAGES = 10_000


class Target(BaseModel):
    """The resource whose metrics or logs are read; a flow resolves to the source at its root."""

    kind: ResourceKind
    id: int
    flow_id: int | None = Field(default=None, description="flow (root node) id when the caller named a flow")
    # A flow's destinations, whose runs give its records out; internal, not part of results.
    _sink_ids: list[int] = PrivateAttr(default_factory=list)


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
    tree = FlowTree.parse(await client.get(f"/flows/{int(resource_id)}", params={"flows_only": 1}))
    roots = [root for root in tree.flows if root.data_source_id is not None]
    holding = [root for root in roots if root.contains(int(resource_id))]
    chosen = holding or (roots if len(roots) == 1 else [])
    if not chosen or chosen[0].data_source_id is None:
        raise ValueError(f"id: flow {resource_id} has no source at its root; pass the resource kind and id instead")
    sinks = [resource[1] for node in chosen[0].walk()
             if (resource := node.resource) is not None and resource[0] == ResourceKind.DESTINATIONS]
    target = Target(kind=ResourceKind.SOURCES, id=chosen[0].data_source_id, flow_id=int(resource_id))
    target._sink_ids = sinks
    return target


async def _resource_runs(client: Any, kind: ResourceKind, resource_id: int) -> list[RunSummary]:
    """Every run of one resource, newest first, reading every run-summary page."""
    runs: list[RunSummary] = []
    page = 1
    while page <= MAX_PAGES:
        body = await client.get(
            f"/{kind.value}/{resource_id}/metrics/run_summary",
            params={"groupby": "runId", "orderby": "runId", "page": page, "size": RUN_PAGE_SIZE},
        )
        parsed = parse_run_page(body)
        runs.extend(parsed.runs)
        done = parsed.page_count is not None and page >= parsed.page_count
        if not parsed.rows or done or (parsed.page_count is None and parsed.rows < RUN_PAGE_SIZE):
            break
        page += 1
    return merge_runs(runs)


async def fetch_runs(client: Any, target: Target) -> list[RunSummary]:
    """Every run of ``target``, newest (highest run id) first.

    For a flow, each run carries ``records_in`` (what its source read) and ``records_out`` (what
    its destinations wrote, one run-summary read per destination, concurrently).
    """
    runs = await _resource_runs(client, target.kind, target.id)
    if target.flow_id is None or not target._sink_ids:
        return runs

    async def sink_runs(sink_id: int) -> list[RunSummary]:
        return await _resource_runs(client, ResourceKind.DESTINATIONS, sink_id)

    results = await client.fan_out(sink_runs, target._sink_ids)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return combine_flow_runs(runs, [result for result in results if not isinstance(result, BaseException)])


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
