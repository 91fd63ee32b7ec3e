"""Check your Nexla configuration and sign-in, count what exists, and say what to do next.

Shows which API URL and auth mode are used, who you are (GET /users/current) and in which org, the
complete count of credentials, sources, nexsets, destinations, projects and flows, and one next
step. Exits 3 with a hint when no service key or access token is configured or it is rejected.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.progress import ProgressCallback
from nexla_ops.operations.quickstart import QuickstartReport, quickstart

EXAMPLES = (
    "export NEXLA_SERVICE_KEY=...   # or NEXLA_ACCESS_TOKEN; NEXLA_API_URL for another host",
    "python scripts/nexla_quickstart.py",
    "python scripts/nexla_quickstart.py --json",
    "nexla-sandbox serve   # no Nexla account? start the local sandbox and use the URL and key it prints",
)


def build_parser() -> argparse.ArgumentParser:
    return script_parser("nexla_quickstart.py", __doc__.splitlines()[0], EXAMPLES)


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> QuickstartReport:
    return await quickstart(client, progress)


def render(report: QuickstartReport) -> str:
    who = report.identity
    lines = [
        f"API:    {report.api_url} (auth: {report.auth_mode})",
        f"user:   {who.full_name or ''} <{who.email or who.user_id}>",
        f"org:    {who.org_name or ''} ({who.org_id})",
        "",
        render_table([{"resource": kind, "count": n} for kind, n in report.counts.items()], ("resource", "count")),
        f"active flows: {report.active_flows}",
        "",
        f"next step: {report.next_step}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
