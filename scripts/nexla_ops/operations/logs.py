"""Run logs of a resource or flow, and a triage summary of a failed or erroring run.

Logs are read from ``GET /data_flows/{kind}/{id}/logs``, which needs a run id and a time window
in unix seconds. When the caller gives no run id, the latest run (highest run id) is used and the
window is taken from that run's start and end with a margin. Every page is read; nothing is
dropped silently: a result carries ``has_more`` and a ``next_cursor`` when it holds only part.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from nexla_ops.operations.metrics import (
    MAX_PAGES,
    RunSummary,
    Target,
    decode_cursor,
    encode_cursor,
    fetch_runs,
    resolve_target,
    to_datetime,
)
from nexla_ops.redaction import redact
from nexla_ops.resources import ResourceKind, parse_kind

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
_LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
_LEVEL_ALIASES = {"WARNING": "WARN", "FATAL": "ERROR", "CRITICAL": "ERROR", "SEVERE": "ERROR", "TRACE": "DEBUG"}
# A run's log lines can be stamped a little before its recorded start or after its end.
WINDOW_MARGIN = timedelta(minutes=5)
# Without start/end times, a run is assumed to have finished within a day of its last write.
FALLBACK_LOOKBACK = timedelta(days=1)
LOG_PAGE_SIZE = 200


def normalise_level(value: str | None) -> str | None:
    """Map a level name to DEBUG/INFO/WARN/ERROR (WARNING -> WARN, FATAL -> ERROR); None stays None."""
    if value is None:
        return None
    upper = str(value).strip().upper()
    return _LEVEL_ALIASES.get(upper, upper)


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


class LogEntry(BaseModel):
    """One log line of a run."""

    timestamp: datetime | None = None
    level: str | None = None
    message: str = ""
    resource_type: str | None = None
    resource_id: int | None = None
    run_id: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class LogsResult(BaseModel):
    """Matching log lines of one run, oldest first."""

    target: Target
    run_id: int | None = Field(description="the run read; None when the resource has not run yet")
    window_from: datetime | None = None
    window_to: datetime | None = None
    level: str | None = None
    entries: list[LogEntry]
    lines_read: int = Field(description="lines the API returned for the run and window, before level filtering")
    matching: int = Field(description="lines that passed the level and time filters")
    pages_read: int
    has_more: bool = False
    next_cursor: str | None = None
    note: str | None = None


class ErrorGroup(BaseModel):
    """Log lines with the same message once numbers and ids are stripped."""

    message: str = Field(description="normalised message (numbers and ids replaced by <n>/<id>)")
    example: str = Field(description="the first original message of the group")
    level: str
    count: int
    first_at: datetime | None = None
    last_at: datetime | None = None
    resources: list[str] = Field(description="affected resources as kind/id")
    operation_indexes: list[int] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    likely_cause: str
    cause_known: bool = Field(description="False when no rule matched and the cause is only a guess")
    cause_priority: int = Field(default=0, description="rank of the cause among the groups (higher first)")
    next_step: str


class AffectedResource(BaseModel):
    """A resource that logged errors or warnings in the run."""

    kind: str
    id: int
    errors: int
    warnings: int


class RunComparison(BaseModel):
    """The triaged run next to the last successful run before it."""

    run_id: int
    records: int
    errors: int
    duration_s: float | None
    records_delta: int = Field(description="triaged run minus successful run")
    errors_delta: int
    duration_delta_s: float | None


class TriageRequest(BaseModel):
    """Which run to triage; default: the latest run (or the newest erring one if the latest is clean)."""

    kind: str = Field(description="data_sources, data_sets, data_sinks (or singular forms), or flows")
    id: int
    run_id: int | None = None
    max_groups: int = Field(default=20, ge=1, le=500)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return parse_kind(value).value


class TriageReport(BaseModel):
    """Why a run failed and what to do next."""

    target: Target
    run: RunSummary | None
    verdict: Literal["failed", "errors", "clean", "no_runs"]
    total_errors: int
    total_warnings: int
    groups: list[ErrorGroup]
    groups_truncated: bool = False
    affected_resources: list[AffectedResource]
    likely_cause: str
    next_step: str
    last_success: RunComparison | None = None
    lines_read: int = 0


def _entry(raw: dict[str, Any]) -> LogEntry:
    resource_id = raw.get("resource_id")
    run_id = raw.get("run_id", raw.get("runId"))
    details = raw.get("details")
    return LogEntry(
        timestamp=to_datetime(raw.get("timestamp", raw.get("time"))),
        level=normalise_level(raw.get("level")),
        message=str(raw.get("message") or ""),
        resource_type=raw.get("resource_type"),
        resource_id=int(resource_id) if isinstance(resource_id, int | str) and str(resource_id).isdigit() else None,
        run_id=int(run_id) if isinstance(run_id, int | str) and str(run_id).isdigit() else None,
        details=redact(details) if isinstance(details, dict) else ({"value": redact(details)} if details else {}),
    )


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
    if end is None or (run.status or "").upper() in {"RUNNING", "IN_PROGRESS", "PROCESSING"}:
        end = now
    return start - WINDOW_MARGIN, end + WINDOW_MARGIN


async def _read_run_logs(
    client: Any, target: Target, run_id: int, window_from: datetime, window_to: datetime
) -> tuple[list[LogEntry], int]:
    """All log lines of one run in a window (every page), oldest first; returns (lines, pages read)."""
    entries: list[LogEntry] = []
    page = 1
    params = {
        "run_id": run_id,
        "from": int(window_from.timestamp()),
        "to": int(window_to.timestamp()) + 1,
        "per_page": LOG_PAGE_SIZE,
    }
    while page <= MAX_PAGES:
        body = await client.get(f"/data_flows/{target.kind.value}/{target.id}/logs", params={**params, "page": page})
        rows = (body or {}).get("logs") or []
        entries.extend(_entry(row) for row in rows if isinstance(row, dict))
        meta = (body or {}).get("meta") or {}
        page_count = meta.get("pageCount", meta.get("page_count"))
        if not rows or (page_count is not None and page >= int(page_count)) or (page_count is None and len(rows) < LOG_PAGE_SIZE):
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
    state = decode_cursor(query.cursor)
    offset = state.get("offset", 0)
    cursor_run = state.get("run_id")
    if not isinstance(offset, int) or offset < 0 or (cursor_run is not None and not isinstance(cursor_run, int)):
        raise ValueError("cursor: not a cursor returned by a previous call; omit it to start from the top")
    if cursor_run is not None and query.run_id is not None and cursor_run != query.run_id:
        raise ValueError("cursor: it belongs to another run; omit run_id or the cursor")
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
    lines, pages = await _read_run_logs(client, target, chosen, window_from, window_to)
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


_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_HEX_ID = re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?")
# Quoted literals are record values (e.g. "cannot cast qty value 'two' to int"), except after
# "field"/"column", where they name what failed and must keep groups apart.
_QUOTED = re.compile(r"(?<!field )(?<!column )(?:'[^']{0,200}'|\"[^\"]{0,200}\")", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def normalise_message(message: str) -> str:
    """A message with uuids, long hex ids and numbers replaced, so repeats of one error group together."""
    text = _QUOTED.sub("<v>", message)
    text = _UUID.sub("<id>", text)
    text = _HEX_ID.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    return _SPACES.sub(" ", text).strip()


_OP_INDEX = re.compile(r"\bop(?:eration)?s?(?:[\s_]*index)?\s*[#\[:=]?\s*(\d+)", re.IGNORECASE)
_FIELD = re.compile(
    r"\b(?:field\s*[:=]?\s*['\"`]?([A-Za-z_][\w.$\-]*)|cannot cast ([A-Za-z_][\w.$\-]*) value)", re.IGNORECASE
)
_AUTH = re.compile(
    r"\b(401|403)\b|unauthori[sz]ed|forbidden|access denied|authenticat|invalid (?:credential|token|key)",
    re.IGNORECASE,
)
_READ = re.compile(
    r"unreadable|cannot read|can't read|could not read|no such file|path not found|not found|does not exist"
    r"|missing (?:file|path|folder)|no files",
    re.IGNORECASE,
)
_TRANSFORM = re.compile(
    r"typecast|cast|expression|transform|compute|convert|parse error|invalid value|operations?\s*\[\d+\]"
    r"|as a (?:number|timestamp|date)|cannot compare",
    re.IGNORECASE,
)
_QUARANTINE = re.compile(r"quarantin|malformed|could not parse|cannot parse|bad record", re.IGNORECASE)
_WRITE = re.compile(r"write|permission|read-only|read only|disk full|no space|sink|destination", re.IGNORECASE)


def _detail_text(details: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in details.items())


def _operation_index(line: LogEntry) -> int | None:
    for key in ("operation_index", "op_index", "operation", "op"):
        value = line.details.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
    found = _OP_INDEX.search(line.message)
    return int(found.group(1)) if found else None


def _field(line: LogEntry) -> str | None:
    for key in ("field", "column", "attribute", "path_in_record"):
        value = line.details.get(key)
        if isinstance(value, str) and value:
            return value
    found = _FIELD.search(line.message)
    return (found.group(1) or found.group(2)) if found else None


def _credential_of(lines: list[LogEntry]) -> int | None:
    for line in lines:
        value = line.details.get("data_credentials_id", line.details.get("credential_id"))
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def diagnose(lines: list[LogEntry], target: Target, flow_hint: str) -> tuple[str, str, int]:
    """(likely cause, next step, priority) for one group of log lines; priority 0 = no rule matched.

    Priority ranks causes when several groups compete for "the" likely cause: a rejected credential
    (6), an unreadable source (5), a failing destination (4), a failing transform (3), a missing
    path or object (2), quarantined records (1).

    Rules, first match wins: 401/403 or auth words -> the credential; typecast / expression
    failures on a nexset -> its transform (operation index and field named); quarantined records on
    a source -> malformed input; unreadable file / path not found on a source -> the source path or
    its credential; write failures on a destination -> its path or permissions. ``flow_hint`` is
    a ``KIND:ID`` selector for the follow-up commands.
    """
    first = lines[0]
    text = " ".join(f"{line.message} {_detail_text(line.details)}" for line in lines[:20])
    kind = first.resource_type or target.kind.value
    rid = first.resource_id if first.resource_id is not None else target.id
    credential = _credential_of(lines)
    probe = (
        f"GET /data_credentials/{credential}/probe"
        if credential is not None
        else f"python scripts/health_check.py --resource {flow_hint} (probes the flow's credentials)"
    )
    if _AUTH.search(text):
        which = f"credential {credential}" if credential is not None else "the credential"
        return (
            f"{which} was rejected (401/403) by the system {kind}/{rid} connects to: expired, rotated or lacking permission",
            f"Probe it: {probe}; if the probe fails, rotate it: python scripts/rotate_credential.py "
            f"--credential-id {credential if credential is not None else '<id>'} --fields-from-env FIELD=ENVVAR",
            6,
        )
    if _TRANSFORM.search(text) and kind == ResourceKind.NEXSETS.value:
        index = next((i for i in (_operation_index(line) for line in lines) if i is not None), None)
        field = next((f for f in (_field(line) for line in lines) if f), None)
        where = f"operation {index}" if index is not None else "an operation"
        on = f" on field '{field}'" if field else ""
        return (
            f"the transform of nexset {rid} fails at {where}{on}: a typecast or expression cannot handle some values",
            f"Reproduce it on the nexset's samples: python scripts/validate_transform.py --transform <file> "
            f"--nexset-id {rid}; then fix {where}{on} (guard nulls, cast explicitly) in the spec and "
            f"redeploy: python scripts/deploy_flow.py plan --spec <spec>",
            3,
        )
    if _QUARANTINE.search(text) and kind == ResourceKind.SOURCES.value:
        return (
            f"source {rid} read malformed input records and set them aside (quarantined); the rest of the run went on",
            f"See which records and why: python scripts/get_resource_logs.py {target.kind.value} {target.id} "
            f"--level WARN --run-id {first.run_id or '<run id>'} --json (details.errors); fix the producer of those files",
            1,
        )
    if _READ.search(text) and kind in (ResourceKind.SOURCES.value, ResourceKind.CREDENTIALS.value):
        return (
            f"source {rid} cannot read its input: the path in source_config is wrong or empty, or its credential cannot read it",
            f"Check source_config.path: python scripts/list_resources.py sources --id {rid}; "
            f"then probe the credential: {probe}",
            5,
        )
    if _WRITE.search(text) and kind == ResourceKind.DESTINATIONS.value:
        return (
            f"destination {rid} cannot write: its path does not exist or its credential lacks write permission",
            f"Check sink_config.path: python scripts/list_resources.py destinations --id {rid}; "
            f"then probe its credential: {probe}",
            4,
        )
    if _TRANSFORM.search(text):
        return (
            f"a transform or type conversion fails in {kind}/{rid}",
            "Reproduce it on the nexset's samples: python scripts/validate_transform.py --transform <file> "
            "--nexset-id <nexset id>",
            3,
        )
    if _READ.search(text):
        return (
            f"{kind}/{rid} cannot find or read what it needs (path or object missing)",
            f"Check the resource's configuration: python scripts/list_resources.py {kind} --id {rid}; "
            f"then probe its credential: {probe}",
            2,
        )
    return (
        f"{kind}/{rid} reported errors with no recognised cause",
        f"Read the full lines: python scripts/get_resource_logs.py {target.kind.value} {target.id} "
        f"--level ERROR --run-id {first.run_id or ''}".rstrip(),
        0,
    )


async def triage(client: Any, request: TriageRequest) -> TriageReport:
    """Summarise what went wrong in a run: error groups, affected resources, likely cause, next step.

    Without ``run_id`` the latest run is triaged; when it logged no warnings or errors, the newest
    run whose summary shows a failure or errors is triaged instead. The report compares the run
    with the last successful run before it, when there is one.
    Raises ValueError naming ``run_id`` when that run does not exist.
    """
    target = await resolve_target(client, request.kind, request.id)
    runs = await fetch_runs(client, target)
    if request.run_id is not None:
        run = next((candidate for candidate in runs if candidate.run_id == request.run_id), None)
    else:
        run = runs[0] if runs else None
    if run is None and request.run_id is not None:
        raise ValueError(f"run_id: {target.kind.label} {target.id} has no run {request.run_id}; omit it for the latest failed run")
    if run is None:
        return TriageReport(
            target=target, run=None, verdict="no_runs", total_errors=0, total_warnings=0, groups=[],
            affected_resources=[],
            likely_cause="the resource has not run yet",
            next_step=f"Activate the flow and wait for a run: python scripts/health_check.py --resource {target.kind.value}:{target.id}",
        )
    lines, problems = await _run_problems(client, target, run)
    if request.run_id is None and not problems and not run.failed:
        # The latest run is clean: triage the newest run the summaries say failed or erred instead.
        earlier = next((other for other in runs[1:] if other.failed or other.errors), None)
        if earlier is not None:
            run = earlier
            lines, problems = await _run_problems(client, target, run)
    flow_hint = f"{target.kind.value}:{target.id}" if target.flow_id is None else f"flows:{target.flow_id}"
    groups = _group(problems, target, flow_hint)
    error_lines = sum(1 for line in problems if line.level == "ERROR")
    warnings = len(problems) - error_lines
    # Record-level errors are summarised in WARN lines carrying a count (details.errors).
    counted = sum(
        line.details["errors"] for line in problems
        if isinstance(line.details.get("errors"), int) and not isinstance(line.details.get("errors"), bool)
    )
    errors = max(error_lines, counted, run.errors)
    verdict: Literal["failed", "errors", "clean", "no_runs"]
    if (run.status or "").upper() in {"FAILED", "FAILURE", "ERROR", "ERRORED", "ABORTED"}:
        verdict = "failed"
    elif errors or problems:
        verdict = "errors"
    else:
        verdict = "clean"
    ordered = sorted(groups, key=lambda group: (group.level != "ERROR", -group.cause_priority, -group.count))
    if ordered:
        cause, step = ordered[0].likely_cause, ordered[0].next_step
    elif verdict == "clean":
        cause, step = "no errors in this run", "Nothing to fix; check health over time: python scripts/health_check.py"
    else:
        cause = run.error_message or "the run reports errors but logged no error lines"
        step = (
            f"Read every line of the run: python scripts/get_resource_logs.py {target.kind.value} {target.id} "
            f"--run-id {run.run_id}"
        )
    return TriageReport(
        target=target,
        run=run,
        verdict=verdict,
        total_errors=errors,
        total_warnings=warnings,
        groups=ordered[: request.max_groups],
        groups_truncated=len(ordered) > request.max_groups,
        affected_resources=_affected(problems, target),
        likely_cause=cause,
        next_step=step,
        last_success=_compare(run, runs),
        lines_read=len(lines),
    )


async def _run_problems(client: Any, target: Target, run: RunSummary) -> tuple[list[LogEntry], list[LogEntry]]:
    """(every line of the run, its WARN and ERROR lines)."""
    window_from, window_to = run_window(run)
    lines, _ = await _read_run_logs(client, target, run.run_id, window_from, window_to)
    lines = [line for line in lines if line.run_id in (None, run.run_id)]
    return lines, [line for line in lines if line.level in ("WARN", "ERROR")]


def _group(lines: list[LogEntry], target: Target, flow_hint: str) -> list[ErrorGroup]:
    buckets: dict[tuple[str, str], list[LogEntry]] = {}
    for line in lines:
        buckets.setdefault((line.level or "ERROR", normalise_message(line.message)), []).append(line)
    groups = []
    for (level, message), members in buckets.items():
        stamps = [line.timestamp for line in members if line.timestamp is not None]
        resources = sorted({f"{line.resource_type or target.kind.value}/{line.resource_id or target.id}" for line in members})
        cause, step, priority = diagnose(members, target, flow_hint)
        groups.append(
            ErrorGroup(
                message=message,
                example=members[0].message,
                level=level,
                count=len(members),
                first_at=min(stamps) if stamps else None,
                last_at=max(stamps) if stamps else None,
                resources=resources,
                operation_indexes=sorted({i for i in (_operation_index(line) for line in members) if i is not None}),
                fields=sorted({f for f in (_field(line) for line in members) if f}),
                likely_cause=cause,
                cause_known=priority > 0,
                cause_priority=priority,
                next_step=step,
            )
        )
    return groups


def _affected(lines: list[LogEntry], target: Target) -> list[AffectedResource]:
    counts: dict[tuple[str, int], list[int]] = {}
    for line in lines:
        key = (line.resource_type or target.kind.value, line.resource_id if line.resource_id is not None else target.id)
        tally = counts.setdefault(key, [0, 0])
        tally[0 if line.level == "ERROR" else 1] += 1
    return [
        AffectedResource(kind=kind, id=rid, errors=tally[0], warnings=tally[1])
        for (kind, rid), tally in sorted(counts.items(), key=lambda item: -item[1][0])
    ]


def _compare(run: RunSummary, runs: list[RunSummary]) -> RunComparison | None:
    previous = next((other for other in runs if other.run_id < run.run_id and other.succeeded), None)
    if previous is None:
        return None
    delta = (
        run.duration_s - previous.duration_s if run.duration_s is not None and previous.duration_s is not None else None
    )
    return RunComparison(
        run_id=previous.run_id,
        records=previous.records,
        errors=previous.errors,
        duration_s=previous.duration_s,
        records_delta=run.records - previous.records,
        errors_delta=run.errors - previous.errors,
        duration_delta_s=delta,
    )


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
