"""Show daily metrics or per-run summaries of a source, nexset, destination or flow.

`daily` totals records, size and errors per day over a window; `runs` lists runs newest first,
a page at a time (pass --cursor for older runs).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.metrics import (
    DailyMetricsResult,
    RunSummariesResult,
    daily_metrics,
    default_since,
    run_summaries,
)
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/get_metrics.py daily data_sources 12                      # the last 7 days",
    "python scripts/get_metrics.py daily data_sets 40 --since 2025-01-01 --until 2025-01-31 --json",
    "python scripts/get_metrics.py runs flows 3051 --limit 10",
    "python scripts/get_metrics.py runs sink 7 --cursor <next_cursor from the previous page>",
)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2025-01-31, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("get_metrics.py", __doc__.splitlines()[0], EXAMPLES)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{daily,runs}")
    for name, text in (("daily", "records, size and errors per day"), ("runs", "one row per run, newest first")):
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("kind", help="data_sources, data_sets, data_sinks (singular forms work) or flows")
        sub.add_argument("id", type=int, help="resource id, or the flow id for flows")
        if name == "daily":
            sub.add_argument("--since", type=_day, help="first day, YYYY-MM-DD (default: 6 days ago)")
            sub.add_argument("--until", type=_day, help="last day, YYYY-MM-DD (default: today)")
            sub.add_argument("--days", type=int, default=7, help="window length when --since is not given (default 7)")
        else:
            sub.add_argument("--limit", type=int, default=20, help="runs per page (default 20)")
            sub.add_argument("--cursor", help="next_cursor from a previous page")
        # Shared flags are accepted after the subcommand too (``runs data_sources 1 --json``).
        sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sub.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> DailyMetricsResult | RunSummariesResult:
    if args.command == "daily":
        if args.days < 1:
            raise ValueError("--days: must be at least 1")
        since = args.since or default_since(args.days)
        return await daily_metrics(client, args.kind, args.id, since=since, until=args.until)
    return await run_summaries(client, args.kind, args.id, limit=args.limit, cursor=args.cursor)


def render(result: DailyMetricsResult | RunSummariesResult) -> str:
    target = f"{result.target.kind.label} {result.target.id}"
    if isinstance(result, DailyMetricsResult):
        rate = f"{result.error_rate:.2%}" if result.error_rate is not None else "n/a"
        head = (
            f"{target}, {result.since} .. {result.until or 'today'}: {result.total_records} records, "
            f"{result.total_errors} errors (error rate {rate})"
        )
        rows = [day.model_dump() for day in result.days]
        return "\n".join([head, render_table(rows, ("date", "records", "size", "errors")) if rows else "(no activity)"])
    rows = [
        {
            "run_id": run.run_id,
            "status": run.status,
            "started": run.started_at.isoformat(timespec="seconds") if run.started_at else "",
            "duration_s": f"{run.duration_s:.1f}" if run.duration_s is not None else "",
            "records": run.records,
            "errors": run.errors,
        }
        for run in result.runs
    ]
    lines = [
        f"{target}: {len(result.runs)} of {result.total_runs} runs, newest first",
        render_table(rows, ("run_id", "status", "started", "duration_s", "records", "errors")) if rows else "(no runs yet)",
    ]
    if result.has_more:
        lines.append(f"older runs: rerun with --cursor {result.next_cursor}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
