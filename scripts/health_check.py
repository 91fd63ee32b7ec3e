"""Check the health of every flow (or a selection) against SLA thresholds, optionally alerting a webhook.

Per flow: status, last run and its age against the source's cron schedule (or --max-age), records
and error rate in the window, paused or errored resources, and a probe of every credential used
(each probed once). Verdicts: healthy / warning / critical, with reasons. Exit code 5 when any flow
is critical (also on warnings with --fail-on warning); 1 when the flows pass but the alert could not
be delivered. The webhook URL (--alert-webhook or NEXLA_ALERT_WEBHOOK) is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.health import (
    HealthCheckRequest,
    HealthConfig,
    HealthReport,
    ResourceRef,
    check_health,
    load_health_config,
    parse_duration,
)
from nexla_ops.operations.progress import ProgressCallback

WEBHOOK_ENV = "NEXLA_ALERT_WEBHOOK"
EXAMPLES = (
    "python scripts/health_check.py                                   # every flow, default thresholds",
    "python scripts/health_check.py --flow-id 3051 --flow-id 3060 --max-age 2h --json",
    "python scripts/health_check.py --resource data_sinks:7 --critical-error-rate 0.05",
    "python scripts/health_check.py --config health.yaml --fail-on warning",
    "NEXLA_ALERT_WEBHOOK=https://hooks.slack.com/... python scripts/health_check.py --alert-on critical",
    "",
    "config file (YAML or JSON):",
    "  thresholds: {window: 24h, max_age: 6h, warn_error_rate: 0.01, critical_error_rate: 0.1, paused: warning}",
    "  flows: [3051, {id: 3060, max_age: 30m}]",
    "  resources: [data_sinks:7]",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("health_check.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("--config", metavar="FILE", help="YAML/JSON file with thresholds and the flows to check")
    parser.add_argument("--flow-id", type=int, action="append", default=[], help="check this flow (repeatable)")
    parser.add_argument("--resource", action="append", default=[], metavar="KIND:ID",
                        help="check the flow holding this resource, e.g. data_sinks:7 (repeatable)")
    parser.add_argument("--window", help="window for records and error rate, e.g. 24h (default 24h)")
    parser.add_argument("--max-age", help="last run older than this warns, twice this is critical (e.g. 6h); "
                                          "default: judge by the source's cron schedule")
    parser.add_argument("--warn-intervals", type=float, help="schedule intervals without a run before warning (default 2)")
    parser.add_argument("--critical-intervals", type=float, help="schedule intervals without a run before critical (default 4)")
    parser.add_argument("--warn-error-rate", type=float, help="error rate above this warns (default 0.01)")
    parser.add_argument("--critical-error-rate", type=float, help="error rate above this is critical (default 0.1)")
    parser.add_argument("--min-records", type=int, help="fewer records in the window is a warning")
    parser.add_argument("--paused", choices=("healthy", "warning", "critical"), help="verdict for a paused flow (default warning)")
    parser.add_argument("--no-probe", action="store_true", help="do not probe credentials")
    parser.add_argument("--fail-on", choices=("critical", "warning"), default="critical",
                        help="lowest verdict that makes the exit code 5 (default critical)")
    parser.add_argument("--alert-webhook", metavar="URL", help=f"POST a JSON summary here (or set {WEBHOOK_ENV}); never printed")
    parser.add_argument("--alert-on", choices=("warning", "critical", "always"), default="warning",
                        help="lowest overall verdict that sends the alert (default warning)")
    parser.add_argument("--per-page", type=int, default=100, help="flows per list request (default 100)")
    parser.add_argument("--concurrency", type=int, default=8, help="parallel detail requests (default 8)")
    parser.add_argument("--access-role", choices=("collaborator", "operator", "admin", "owner"), default="collaborator",
                        help="check flows shared with you at this role or higher (default collaborator: all you can reach)")
    return parser


def build_request(args: argparse.Namespace) -> HealthCheckRequest:
    """The health request from flags over an optional config file (flags win)."""
    config = load_health_config(args.config) if args.config else HealthConfig()
    overrides: dict[str, Any] = {}
    if args.window is not None:
        overrides["window_s"] = parse_duration(args.window, "--window")
    if args.max_age is not None:
        overrides["max_age_s"] = parse_duration(args.max_age, "--max-age")
    for flag in ("warn_intervals", "critical_intervals", "warn_error_rate", "critical_error_rate", "min_records", "paused"):
        if getattr(args, flag) is not None:
            overrides[flag] = getattr(args, flag)
    if args.no_probe:
        overrides["probe_credentials"] = False
    thresholds = config.thresholds.model_validate({**config.thresholds.model_dump(), **overrides})
    webhook = args.alert_webhook or os.environ.get(WEBHOOK_ENV) or None
    return HealthCheckRequest.from_config(
        config,
        flow_ids=(config.flow_ids + args.flow_id) or None,
        resources=(config.resources + [ResourceRef.parse(text) for text in args.resource]) or None,
        thresholds=thresholds,
        fail_on=args.fail_on,
        alert_webhook=webhook,
        alert_on=args.alert_on,
        per_page=args.per_page,
        concurrency=args.concurrency,
        access_role=args.access_role,
    )


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> HealthReport:
    report = await check_health(client, build_request(args), progress)
    if report.alert is not None and report.alert.attempted and not report.alert.delivered:
        # A diagnostic, not a result: stderr, whatever the output format.
        print(f"error: the alert was NOT delivered: {report.alert.error}", file=sys.stderr)
    if report.retryable:
        print("error: some flows could not be judged because the API failed; check again later (exit 6)", file=sys.stderr)
    return report


def render(report: HealthReport) -> str:
    counts = ", ".join(f"{report.counts.get(v, 0)} {v}" for v in ("critical", "unknown", "warning", "healthy"))
    checked = f"{report.flows_checked} flow{'' if report.flows_checked == 1 else 's'} checked"
    lines = [f"overall: {report.overall.upper()} ({counts}; {checked})"]
    if report.flows_checked == 0 and not report.missing:
        lines.append(
            "no flows to check: none exist or are shared with you (python scripts/list_resources.py flows); "
            "deploy one with python scripts/deploy_flow.py apply --spec FILE"
        )
    rows = [
        {
            "verdict": flow.verdict,
            "flow": flow.flow_id,
            "name": flow.name,
            "status": flow.status,
            "last_run": flow.last_run_at.isoformat(timespec="minutes") if flow.last_run_at else "never",
            "records": flow.records_in_window,
            "errors": flow.errors_in_window,
            "reasons": "; ".join(flow.reasons),
        }
        for flow in report.flows
    ]
    if rows:
        lines.append(render_table(rows, ("verdict", "flow", "name", "status", "last_run", "records", "errors", "reasons"), max_width=80))
    if report.truncated:
        lines.append(f"(only {len(report.flows)} of {report.flows_checked} flows listed; use --json for the counts)")
    if report.missing:
        lines.append(
            "not found: " + ", ".join(report.missing)
            + " (check the ids with python scripts/list_resources.py flows; a flow id is its root node id)"
        )
    bad = [c for c in report.credentials if not c.ok]
    if report.credentials:
        lines.append(f"credentials: {len(report.credentials) - len(bad)} of {len(report.credentials)} passed their probe")
    for cred in bad:
        lines.append(f"  credential {cred.id} ({cred.name or ''}) {cred.verdict.upper()}: {cred.message}")
    if report.alert is not None:
        if not report.alert.attempted:
            lines.append("alert: not sent (overall verdict below --alert-on)")
        elif report.alert.delivered:
            lines.append("alert: delivered")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    # A fleet's report under --json is read by programs (cron, CI): indentation was a third of its bytes.
    return Script(build_parser(), action, render, compact_json=True).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
