"""Read the run logs of a source, nexset, destination or flow, or triage a failed run.

Without --run-id the latest run (highest run id) is read, over a time window taken from the run's
own start and end. Every page of logs is read. --triage groups the run's errors by message and
names the likely cause and the next step, comparing with the last successful run.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.logs import LogQuery, LogsResult, get_logs, parse_time
from nexla_ops.operations.triage import TriageReport, TriageRequest, triage
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/get_resource_logs.py data_sources 12                  # latest run, every line",
    "python scripts/get_resource_logs.py source 12 --level WARN --tail 20 # last 20 warnings/errors",
    "python scripts/get_resource_logs.py flows 3051 --run-id 17 --since 2025-01-31T10:00:00Z --json",
    "python scripts/get_resource_logs.py data_sets 40 --since 6h          # lines from the last 6 hours",
    "python scripts/get_resource_logs.py data_sources 12 --triage         # why did the last failed run fail?",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("get_resource_logs.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("kind", help="data_sources, data_sets, data_sinks (singular forms work) or flows")
    parser.add_argument("id", type=int, help="resource id, or the flow id for flows")
    parser.add_argument("--run-id", type=int, help="run to read (default: the latest run; with --triage, the latest failed run)")
    parser.add_argument("--level", help="minimum level: DEBUG, INFO, WARN or ERROR")
    parser.add_argument("--since", help="only lines from this time: ISO-8601, unix seconds, or an age like 6h")
    parser.add_argument("--until", help="only lines up to this time (same formats as --since)")
    parser.add_argument("--tail", type=int, metavar="N", help="only the last N matching lines")
    parser.add_argument("--limit", type=int, default=200, help="most lines per result (default 200)")
    parser.add_argument("--cursor", help="next_cursor from a previous result, for the following lines")
    parser.add_argument("--triage", action="store_true", help="summarise the run's errors, likely cause and next step")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> LogsResult | TriageReport:
    if args.triage:
        return await triage(client, TriageRequest(kind=args.kind, id=args.id, run_id=args.run_id))
    query = LogQuery(
        kind=args.kind,
        id=args.id,
        run_id=args.run_id,
        level=args.level,
        since=parse_time(args.since, "--since") if args.since else None,
        until=parse_time(args.until, "--until") if args.until else None,
        limit=args.limit,
        cursor=args.cursor,
        tail=args.tail,
    )
    return await get_logs(client, query)


def _render_logs(result: LogsResult) -> str:
    target = f"{result.target.kind.label} {result.target.id}"
    if result.run_id is None:
        return f"{target}: {result.note}"
    head = (
        f"{target}, run {result.run_id}: {len(result.entries)} of {result.matching} matching lines "
        f"({result.lines_read} read from {result.pages_read} page(s))"
    )
    rows = [
        {
            "time": entry.timestamp.isoformat(timespec="seconds") if entry.timestamp else "",
            "level": entry.level,
            "resource": f"{entry.resource_type}/{entry.resource_id}" if entry.resource_type else "",
            "message": entry.message,
        }
        for entry in result.entries
    ]
    lines = [head, render_table(rows, ("time", "level", "resource", "message"), max_width=120) if rows else "(no lines)"]
    if result.has_more:
        lines.append(f"more lines: rerun with --cursor {result.next_cursor}")
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)


def _render_triage(report: TriageReport) -> str:
    target = f"{report.target.kind.label} {report.target.id}"
    if report.run is None:
        return f"{target}: no runs yet. {report.next_step}"
    run = report.run
    lines = [
        f"{target}, run {run.run_id}: {report.verdict.upper()} ({run.records} records, "
        f"{report.total_errors} errors, {report.total_warnings} warnings)",
        f"likely cause: {report.likely_cause}",
        f"next step:    {report.next_step}",
    ]
    if report.last_success is not None:
        ok = report.last_success
        lines.append(
            f"vs last successful run {ok.run_id}: records {ok.records} -> {run.records} ({ok.records_delta:+d}), "
            f"errors {ok.errors} -> {run.errors} ({ok.errors_delta:+d})"
        )
    if report.groups:
        rows = [
            {"count": g.count, "level": g.level, "resources": ", ".join(g.resources), "message": g.message}
            for g in report.groups
        ]
        lines += ["", render_table(rows, ("count", "level", "resources", "message"), max_width=100)]
    if report.groups_truncated:
        lines.append("(more groups: use --json for all)")
    return "\n".join(lines)


def render(result: LogsResult | TriageReport) -> str:
    return _render_triage(result) if isinstance(result, TriageReport) else _render_logs(result)


def main(argv: Sequence[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
