"""Run an active Nexla flow now and wait for the run's result, with progress on stderr.

Ctrl-C (or --timeout) stops waiting, never the run: the run id is printed first, and
--run-id waits for that run again. Exit codes: 0 the run succeeded, 1 it failed, 6 still running.
"""

from __future__ import annotations

import argparse
from typing import Any

from nexla_ops.cli import Script, script_parser
from nexla_ops.operations.progress import ProgressCallback
from nexla_ops.operations.run_now import RunRequest, RunResult, run_flow

EXAMPLES = (
    "python scripts/run_flow.py --kind flows --id 7",
    "python scripts/run_flow.py --kind sources --id 12 --timeout 600 --json",
    "python scripts/run_flow.py --kind flows --id 7 --run-id 1695442864636",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("run_flow.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("--kind", default="flows", help="flows (a node id; default) or sources, nexsets, destinations")
    parser.add_argument("--id", type=int, required=True, help="flow node id or resource id")
    parser.add_argument("--run-id", type=int, help="wait for this run instead of starting one")
    parser.add_argument("--no-wait", action="store_true", help="return once the run has started")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait at most (default 300)")
    parser.add_argument("--poll", type=float, default=5, help="seconds between status reads (default 5)")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> RunResult:
    request = RunRequest(kind=args.kind, id=args.id, run_id=args.run_id, wait=not args.no_wait,
                         timeout_s=args.timeout, poll_s=args.poll)
    return await run_flow(client, request, progress)


def render(result: RunResult) -> str:
    state = result.status if result.finished else f"{result.status} (still running; wait again with --run-id {result.run_id})"
    counts = f" records in={result.records_in} out={result.records_out} errors={result.errors}" if result.finished else ""
    return f"flow {result.flow_id} run {result.run_id}: {state}{counts}" + (
        f"\n{result.error_message}" if result.error_message else ""
    )


def main(argv: list[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
