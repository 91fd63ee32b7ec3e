"""Triage of a failed or erroring run: error groups, affected resources, likely cause, next step.

The run's WARN and ERROR log lines (read with :func:`nexla_ops.operations.logs.read_run_logs`) are
grouped by level and normalised message; each group gets a likely cause and a next step from the
rules in :func:`diagnose`, and the run is compared with the last successful run before it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from nexla_ops.domain import LogEntry, RunSummary
from nexla_ops.operations.guidance import step
from nexla_ops.operations.logs import read_run_logs, run_window
from nexla_ops.operations.metrics import Target, fetch_runs, resolve_target
from nexla_ops.resources import ResourceKind, parse_kind


class ErrorGroup(BaseModel):
    """Log lines with the same message once numbers and ids are stripped."""

    message: str = Field(description="numbers and ids as <n>/<id>")
    example: str = Field(description="first original message")
    level: str
    count: int
    first_at: datetime | None = None
    last_at: datetime | None = None
    resources: list[str] = Field(description="kind/id")
    operation_indexes: list[int] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    likely_cause: str
    cause_known: bool = Field(description="false: no rule matched (a guess)")
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
    records_delta: int = Field(description="this run minus that one")
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
    # The newest run, when it is later and clean: the flow has recovered since this run.
    newer_success_run_id: int | None = None
    note: str | None = None
    lines_read: int = 0


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


# A run's summary line saying how it ended, e.g. "Run 1695442864636 finished: FAILED".
_FINISHED_FAILED = re.compile(r"\b(?:finished|ended|completed)\W+(?:with\W+)?(?:FAILED|FAILURE|ERROR)\b", re.IGNORECASE)
# Record errors summarised in a line: "errors=5" (Nexla's summary lines) or "472 record error(s)".
_ERROR_COUNT = re.compile(r"\berrors=(\d+)|\b(\d+) record errors?\b|\b(\d+) record error\(s\)", re.IGNORECASE)


def _error_count(line: LogEntry) -> int:
    """Record errors a line summarises (``details.errors``, or a count in its text); 0 if none."""
    value = line.details.get("errors")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = _ERROR_COUNT.search(line.message)
    return int(next(group for group in found.groups() if group)) if found else 0


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
    run_id = first.run_id
    probe = (
        step("probe_credential", {"credential_id": credential}, f"GET /data_credentials/{credential}/probe")
        if credential is not None
        else step("check_health", {"resources": [flow_hint]},
                  f"python scripts/health_check.py --resource {flow_hint} (probes the flow's credentials)")
    )
    if _AUTH.search(text):
        which = f"credential {credential}" if credential is not None else "the credential"
        rotate = step(
            "rotate_credential", {"credential_id": credential if credential is not None else "<credential id>"},
            f"python scripts/rotate_credential.py --credential-id {credential if credential is not None else '<id>'} "
            "--fields-from-env FIELD=ENVVAR",
        )
        return (
            f"{which} was rejected (401/403) by the system {kind}/{rid} connects to: expired, rotated or lacking permission",
            f"Probe it: {probe}; if the probe fails, rotate it: {rotate}",
            6,
        )
    if _TRANSFORM.search(text) and kind == ResourceKind.NEXSETS.value:
        index = next((i for i in (_operation_index(line) for line in lines) if i is not None), None)
        field = next((f for f in (_field(line) for line in lines) if f), None)
        where = f"operation {index}" if index is not None else "an operation"
        on = f" on field '{field}'" if field else ""
        reproduce = step("validate_transform", {"transform": "<the transform>", "nexset_id": rid},
                         f"python scripts/validate_transform.py --transform <file> --nexset-id {rid}")
        plan = step("plan_deployment", {"spec": "<spec>"}, "python scripts/deploy_flow.py plan --spec <spec>")
        return (
            f"the transform of nexset {rid} fails at {where}{on}: a typecast or expression cannot handle some values",
            f"Reproduce it on the nexset's samples: {reproduce}; then fix {where}{on} (guard nulls, cast explicitly) "
            f"in the spec and redeploy: {plan}",
            3,
        )
    if _QUARANTINE.search(text) and kind == ResourceKind.SOURCES.value:
        see = step(
            "get_logs", {"kind": target.kind.value, "id": target.id, "level": "WARN", "run_id": run_id or "<run id>"},
            f"python scripts/get_resource_logs.py {target.kind.value} {target.id} --level WARN "
            f"--run-id {run_id or '<run id>'} --json",
        )
        return (
            f"source {rid} read malformed input records and set them aside (quarantined); the rest of the run went on",
            f"See which records and why: {see} (details.errors); fix the producer of those files",
            1,
        )
    if _READ.search(text) and kind in (ResourceKind.SOURCES.value, ResourceKind.CREDENTIALS.value):
        check = _show_config(ResourceKind.SOURCES, rid, "source_config")
        return (
            f"source {rid} cannot read its input: the path in source_config is wrong or empty, or its credential cannot read it",
            f"Check source_config.path: {check}; then probe the credential: {probe}",
            5,
        )
    if _WRITE.search(text) and kind == ResourceKind.DESTINATIONS.value:
        check = _show_config(ResourceKind.DESTINATIONS, rid, "sink_config")
        return (
            f"destination {rid} cannot write: its path does not exist or its credential lacks write permission",
            f"Check sink_config.path: {check}; then probe its credential: {probe}",
            4,
        )
    if _TRANSFORM.search(text):
        reproduce = step("validate_transform", {"transform": "<the transform>", "nexset_id": "<nexset id>"},
                         "python scripts/validate_transform.py --transform <file> --nexset-id <nexset id>")
        return (f"a transform or type conversion fails in {kind}/{rid}", f"Reproduce it on the nexset's samples: {reproduce}", 3)
    if _READ.search(text):
        show = step("get_resource", {"kind": kind, "id": rid}, f"python scripts/list_resources.py {kind} --id {rid}")
        return (
            f"{kind}/{rid} cannot find or read what it needs (path or object missing)",
            f"Check the resource's configuration: {show}; then probe its credential: {probe}",
            2,
        )
    return (
        f"{kind}/{rid} reported errors with no recognised cause",
        "Read the full lines: " + _read_lines(target, run_id, "ERROR"),
        0,
    )


def _show_config(kind: ResourceKind, rid: int, config: str) -> str:
    """How to read one resource's connector configuration, in the caller's terms."""
    script_kind = "sources" if kind == ResourceKind.SOURCES else "destinations"
    return step("get_resource", {"kind": kind.value, "id": rid, "fields": [config]},
                f"python scripts/list_resources.py {script_kind} --id {rid}")


def _read_lines(target: Target, run_id: int | None, level: str | None) -> str:
    """How to read a run's log lines (at ``level`` or above), in the caller's terms."""
    arguments: dict[str, Any] = {"kind": target.kind.value, "id": target.id}
    command = f"python scripts/get_resource_logs.py {target.kind.value} {target.id}"
    if level:
        arguments["level"] = level
        command += f" --level {level}"
    if run_id:
        arguments["run_id"] = run_id
        command += f" --run-id {run_id}"
    return step("get_logs", arguments, command)


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
            next_step="Activate the flow and run it now: " + step(
                "run_flow", {"kind": target.kind.value, "id": target.id},
                f"python scripts/run_flow.py --kind {target.kind.value} --id {target.id}"),
        )
    lines, problems = await _run_problems(client, target, run)
    if request.run_id is None and not problems and not run.failed:
        # The latest run is clean: triage the newest run the summaries say failed or erred instead.
        earlier = next((other for other in runs[1:] if other.failed or other.errors), None)
        if earlier is not None:
            run = earlier
            lines, problems = await _run_problems(client, target, run)
    flow_hint = f"{target.kind.value}:{target.id}" if target.flow_id is None else f"flows:{target.flow_id}"
    ranked = _group(problems, target, flow_hint)
    error_lines = sum(1 for line in problems if line.level == "ERROR")
    warnings = len(problems) - error_lines
    # Record-level errors are summarised in WARN lines carrying a count (details.errors).
    counted = sum(_error_count(line) for line in problems)
    errors = max(error_lines, counted, run.errors)
    verdict: Literal["failed", "errors", "clean", "no_runs"]
    if run.failed or any(_FINISHED_FAILED.search(line.message) for line in lines if line.log_type == "SUMMARY"):
        verdict = "failed"
    elif errors or problems:
        verdict = "errors"
    else:
        verdict = "clean"
    ordered = [group for _, group in sorted(
        ranked, key=lambda item: (item[1].level != "ERROR", -item[0], -item[1].count))]
    if ordered:
        cause, next_step = ordered[0].likely_cause, ordered[0].next_step
    elif verdict == "clean":
        cause = "no errors in this run"
        next_step = "Nothing to fix; check health over time: " + step("check_health", {}, "python scripts/health_check.py")
    else:
        cause = run.error_message or "the run reports errors but logged no error lines"
        next_step = "Read every line of the run: " + _read_lines(target, run.run_id, None)
    # Recovered means the newest run is later and completed, not merely that some later run did. Record
    # errors in it (malformed input set aside) do not undo that; the note counts them.
    latest = runs[0]
    newer = latest if latest.run_id > run.run_id and latest.succeeded else None
    remaining = f" ({newer.errors} record error(s) in it)" if newer is not None and newer.errors else ""
    note = (
        f"run {newer.run_id} succeeded after run {run.run_id}{remaining}: the flow has recovered; fix the cause "
        "only if it can recur"
        if newer is not None and verdict != "clean" else None
    )
    return TriageReport(
        target=target,
        run=run,
        verdict=verdict,
        newer_success_run_id=newer.run_id if newer is not None and verdict != "clean" else None,
        note=note,
        total_errors=errors,
        total_warnings=warnings,
        groups=ordered[: request.max_groups],
        groups_truncated=len(ordered) > request.max_groups,
        affected_resources=_affected(problems, target),
        likely_cause=cause,
        next_step=next_step,
        last_success=_compare(run, runs),
        lines_read=len(lines),
    )


async def _run_problems(client: Any, target: Target, run: RunSummary) -> tuple[list[LogEntry], list[LogEntry]]:
    """(every line of the run, its WARN and ERROR lines)."""
    window_from, window_to = run_window(run)
    lines, _ = await read_run_logs(client, target, run.run_id, window_from, window_to)
    lines = [line for line in lines if line.run_id in (None, run.run_id)]
    return lines, [line for line in lines if line.level in ("WARN", "ERROR")]


def _group(lines: list[LogEntry], target: Target, flow_hint: str) -> list[tuple[int, ErrorGroup]]:
    """Each group with its cause's priority (see :func:`diagnose`)."""
    buckets: dict[tuple[str, str], list[LogEntry]] = {}
    for line in lines:
        buckets.setdefault((line.level or "ERROR", normalise_message(line.message)), []).append(line)
    groups: list[tuple[int, ErrorGroup]] = []
    for (level, message), members in buckets.items():
        stamps = [line.timestamp for line in members if line.timestamp is not None]
        resources = sorted({f"{line.resource_type or target.kind.value}/{line.resource_id or target.id}" for line in members})
        cause, next_step, priority = diagnose(members, target, flow_hint)
        groups.append((
            priority,
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
                next_step=next_step,
            ),
        ))
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
