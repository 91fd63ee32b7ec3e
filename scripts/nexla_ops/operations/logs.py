"""Run logs of a resource or flow (triage of a failed run lives in :mod:`nexla_ops.operations.triage`).

Logs are read from ``GET /data_flows/{kind}/{id}/logs``, which needs a run id and a time window
in epoch milliseconds (``from``/``to``). Both reply shapes are parsed by
:class:`nexla_ops.domain.LogsPage`. When the caller gives no run id, the latest run (highest run id) is used and the
window is taken from that run's start and end with a margin. Every page is read; nothing is
dropped silently: a result carries ``has_more`` and a ``next_cursor`` when it holds only part.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from nexla_ops.domain import LogEntry, LogsPage, RunSummary, epoch_ms, normalise_level, to_datetime
from nexla_ops.domain.metrics import LEVEL_RANK as _LEVEL_RANK
from nexla_ops.domain.metrics import LEVELS
from nexla_ops.operations.cursor import cursor_error, decode_cursor, encode_cursor
from nexla_ops.operations.metrics import MAX_PAGES, Target, fetch_runs, resolve_target
from nexla_ops.redaction import redact
from nexla_ops.resources import parse_kind

# A run's log lines can be stamped a little before its recorded start or after its end.
WINDOW_MARGIN = timedelta(minutes=5)
# Without start/end times, a run is assumed to have finished within a day of its last write.
FALLBACK_LOOKBACK = timedelta(days=1)
LOG_PAGE_SIZE = 200


class LogQuery(BaseModel):
    """Which logs to read. ``level`` is a minimum: WARN returns WARN and ERROR lines."""

    kind: str = Field(description="data_sources, data_sets, data_sinks (or singular forms), or flows")
    id: int
    run_id: int | None = Field(default=None, description="default: the latest run (highest run id)")
    level: str | None = Field(default=None, description="minimum level: DEBUG, INFO, WARN or ERROR")
    since: datetime | None = Field(default=None, description="only lines at or after this time")
    until: datetime | None = Field(default=None, description="only lines at or before this time")
    limit: int = Field(default=200, ge=1, le=10_000, description="most lines returned in one result")
    cursor: str | None = Field(default=None, description="next_cursor of a previous result")
    tail: int | None = Field(default=None, ge=1, le=10_000, description="return only the last N matching lines")

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return parse_kind(value).value

    @field_validator("level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        level = normalise_level(value)
        if level is not None and level not in _LEVEL_RANK:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {value!r}")
        return level

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @model_validator(mode="after")
    def _window(self) -> LogQuery:
        if self.since and self.until and self.until < self.since:
            raise ValueError("until is before since; give a window that ends after it starts")
        if self.tail is not None and self.cursor:
            raise ValueError("tail and cursor cannot be combined; tail always returns the last lines")
        return self


class LogsResult(BaseModel):
    """Matching log lines of one run, oldest first."""

    target: Target
    run_id: int | None = Field(description="the run read; null: not run yet")
    window_from: datetime | None = None
    window_to: datetime | None = None
    level: str | None = None
    entries: list[LogEntry]
    lines_read: int = Field(description="lines read, before level filtering")
    matching: int = Field(description="lines passing the filters")
    pages_read: int
    has_more: bool = False
    next_cursor: str | None = None
    note: str | None = None


def run_window(run: RunSummary | None) -> tuple[datetime, datetime]:
    """The time window that holds a run's log lines: its start/end with a margin on both sides."""
    now = datetime.now(UTC)
    if run is None:
        return datetime.fromtimestamp(0, tz=UTC), now
    end = run.ended_at or run.last_written_at
    start = run.started_at or (end - FALLBACK_LOOKBACK if end else None)
    if start is None:
        # Nexla run ids are the run's start time in epoch milliseconds; use that when it looks like one.
        start = to_datetime(run.run_id) if run.run_id > 10**12 else None
    start = start or datetime.fromtimestamp(0, tz=UTC)
    if end is None or run.running:
        end = now
    return start - WINDOW_MARGIN, end + WINDOW_MARGIN


async def read_run_logs(
    client: Any, target: Target, run_id: int, window_from: datetime, window_to: datetime
) -> tuple[list[LogEntry], int]:
    """All log lines of one run in a window (every page), oldest first; returns (lines, pages read)."""
    entries: list[LogEntry] = []
    page = 1
    params = {
        "run_id": run_id,
        "from": epoch_ms(window_from),
        "to": epoch_ms(window_to) + 1,
        "per_page": LOG_PAGE_SIZE,
    }
    while page <= MAX_PAGES:
        body = await client.get(f"/data_flows/{target.kind.value}/{target.id}/logs", params={**params, "page": page})
        parsed = LogsPage.parse(body)
        rows = parsed.logs
        # Documented entries carry no run id: the page is the run's (the request named it).
        entries.extend(row.model_copy(update={"details": redact(row.details), "run_id": row.run_id or run_id})
                       for row in rows)
        page_count = parsed.meta.page_count if parsed.meta is not None else None
        if not rows or (page_count is not None and page >= page_count) or (page_count is None and len(rows) < LOG_PAGE_SIZE):
            break
        page += 1
    epoch = datetime.fromtimestamp(0, tz=UTC)
    entries.sort(key=lambda entry: entry.timestamp or epoch)
    return entries, page


def _pick_run(runs: list[RunSummary], run_id: int | None) -> RunSummary | None:
    if run_id is None:
        return runs[0] if runs else None
    return next((run for run in runs if run.run_id == run_id), None)


async def get_logs(client: Any, query: LogQuery) -> LogsResult:
    """Log lines of one run of a resource or flow, filtered by level and time, oldest first.

    Without ``run_id`` the latest run is read. Every API page is read; the result holds at most
    ``limit`` lines and says ``has_more`` with a ``next_cursor`` when more match; ``tail`` returns
    the last N matching lines instead. A resource that never ran gives an empty result with a note.
    """
    state = decode_cursor(query.cursor, fields={"run_id": int, "offset": int})
    offset = int(state.get("offset", 0))
    cursor_run = int(state["run_id"]) if "run_id" in state else None
    if cursor_run is not None and query.run_id is not None and cursor_run != query.run_id:
        raise cursor_error(f"it belongs to run {cursor_run}, not run_id {query.run_id}")
    target = await resolve_target(client, query.kind, query.id)
    run_id = query.run_id if query.run_id is not None else cursor_run
    runs = await fetch_runs(client, target)
    run = _pick_run(runs, run_id)
    if run is None and run_id is None:
        return LogsResult(
            target=target, run_id=None, level=query.level, entries=[], lines_read=0, matching=0, pages_read=0,
            note=f"{target.kind.label} {target.id} has not run yet; activate its flow (or run it), then read its logs",
        )
    window_from, window_to = run_window(run)
    if run is None:
        # A run id the summary does not list (yet): read it over the caller's window or everything so far.
        window_from = datetime.fromtimestamp(0, tz=UTC)
    window_from = query.since or window_from
    window_to = query.until or window_to
    chosen = run.run_id if run is not None else int(run_id)  # type: ignore[arg-type]
    lines, pages = await read_run_logs(client, target, chosen, window_from, window_to)
    matching = [line for line in lines if _matches(line, query, chosen)]
    if query.tail is not None:
        shown = matching[-query.tail :]
        has_more = False
    else:
        shown = matching[offset : offset + query.limit]
        has_more = offset + query.limit < len(matching)
    return LogsResult(
        target=target,
        run_id=chosen,
        window_from=window_from,
        window_to=window_to,
        level=query.level,
        entries=shown,
        lines_read=len(lines),
        matching=len(matching),
        pages_read=pages,
        has_more=has_more,
        next_cursor=encode_cursor({"run_id": chosen, "offset": offset + query.limit}) if has_more else None,
        note=None if lines else "no log lines in this run's window",
    )


def _matches(line: LogEntry, query: LogQuery, run_id: int) -> bool:
    if line.run_id is not None and line.run_id != run_id:
        return False
    if query.level is not None and _LEVEL_RANK.get(line.level or "", 1) < _LEVEL_RANK[query.level]:
        return False
    if line.timestamp is not None:
        if query.since is not None and line.timestamp < query.since:
            return False
        if query.until is not None and line.timestamp > query.until:
            return False
    return True


def parse_time(text: str, field: str = "time") -> datetime:
    """A moment from ISO-8601 (``2025-01-31T10:00:00Z``), unix seconds/milliseconds, or an age like
    ``30m``/``6h``/``2d`` meaning that long ago. ValueError naming ``field`` otherwise."""
    value = text.strip()
    age = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhdw])", value, re.IGNORECASE)
    if age:
        unit = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[age.group(2).lower()]
        return datetime.now(UTC) - timedelta(seconds=float(age.group(1)) * unit)
    moment = to_datetime(value)
    if moment is None:
        raise ValueError(f"{field}: expected ISO-8601 (2025-01-31T10:00:00Z), unix seconds or an age like 6h; got {text!r}")
    return moment
