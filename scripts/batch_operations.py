"""Activate, pause, delete or update many Nexla resources at once: preview first, resumable.

Without ``--yes`` nothing changes: the script prints a preview (each selected item and the action
it would get). ``--yes`` applies the batch; for delete it is also the confirmation, and active
resources are paused before they are deleted. ``--checkpoint FILE`` records every finished item
(JSON lines, fsync'd); rerunning the same command with the same file resumes an interrupted batch
without repeating finished items (failed items are retried). Select with ``--ids`` and/or the
filters ``--name-contains``, ``--status``, ``--tag`` (or ``--all``). Exit code 1 when any item failed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.batch import BatchRequest, BatchResult, run_batch
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/batch_operations.py --operation pause --resource-type source --name-contains nightly",
    "python scripts/batch_operations.py --operation pause --resource-type source --name-contains nightly "
    "--yes --checkpoint pause.jsonl",
    "python scripts/batch_operations.py --operation activate --resource-type sink --ids 301,302,303 --yes",
    "python scripts/batch_operations.py --operation update --resource-type source --tag team-a "
    "--set source_config.path=s3://bucket/new/ --set description='moved' --yes",
    "python scripts/batch_operations.py --operation delete --resource-type data_sets --status PAUSED "
    "--name-contains tmp- --yes --json",
)


def _ids(values: list[str] | None) -> list[int]:
    out: list[int] = []
    for value in values or []:
        for part in value.split(","):
            part = part.strip()
            if part and (not part.isdigit() or int(part) <= 0):
                raise ValueError(f"--ids: {part!r} is not a positive integer id")
            if part:
                out.append(int(part))
    return out


def _settings(values: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values are parsed as JSON when they are valid JSON, else kept as text."""
    out: dict[str, Any] = {}
    for value in values or []:
        key, sep, raw = value.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set: expected FIELD=VALUE, got {value!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("batch_operations.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("--operation", required=True, choices=("activate", "pause", "delete", "update"))
    parser.add_argument(
        "--resource-type",
        "--kind",
        dest="resource_type",
        required=True,
        help="source, nexset, sink (activate/pause); also credentials, projects, teams, transforms",
    )
    select = parser.add_argument_group("selection (combine to narrow)")
    select.add_argument("--ids", action="append", metavar="ID[,ID...]", help="exact ids; repeatable")
    select.add_argument("--name-contains", help="case-insensitive name substring")
    select.add_argument("--status", help="ACTIVE, PAUSED, ERROR, ...")
    select.add_argument("--tag")
    select.add_argument("--all", action="store_true", help="select every resource of the type")
    parser.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="update only; FIELD may be dotted (source_config.path); VALUE is JSON or text",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--preview", action="store_true", help="only show what would happen (the default)")
    mode.add_argument("--yes", action="store_true", help="apply the batch (and confirm deletes)")
    parser.add_argument(
        "--checkpoint", metavar="FILE", help="JSON-lines record of finished items, for resume"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="items in flight at once (1-32, default 4)"
    )
    parser.add_argument(
        "--max-items", type=int, default=1000, help="refuse a larger selection (default 1000)"
    )
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> BatchResult:
    if not (args.ids or args.name_contains or args.status or args.tag or args.all):
        raise ValueError("select what to act on: --ids, --name-contains, --status or --tag (or --all for every one)")
    request = BatchRequest(
        operation=args.operation,
        resource_type=args.resource_type,
        ids=_ids(args.ids),
        name_contains=args.name_contains,
        status=args.status,
        tag=args.tag,
        select_all=args.all,
        set=_settings(args.set),
        preview=not args.yes,
        confirm=args.yes,
        checkpoint=args.checkpoint,
        concurrency=args.concurrency,
        max_items=args.max_items,
    )
    return await run_batch(client, request, progress)


def render(result: BatchResult) -> str:
    rows = [
        {
            "id": i.id,
            "name": i.name,
            "status": i.status,
            "outcome": i.outcome,
            "detail": ": ".join(part for part in (i.detail, _error_text(i.error)) if part),
        }
        for i in result.items
    ]
    kind = result.resource_type.value
    if result.preview:
        head = (
            f"preview: {result.operation} {result.selected} {kind} "
            "(nothing changed; rerun with --yes to apply)"
        )
    else:
        head = (
            f"{result.operation} {kind}: {result.succeeded} succeeded, {result.skipped} skipped, "
            f"{result.failed} failed"
        )
    if result.done_before:
        head += f"; {result.done_before} already done per checkpoint {result.checkpoint}"
    table = (
        render_table(rows, ("id", "name", "status", "outcome", "detail")) if rows else "(nothing selected)"
    )
    # Table cells are cut to stay readable; a failure's whole message and hint follow in full.
    failures = [
        f"{i.id}: {_error_text(i.error)}" + (f"\n  hint: {i.error.hint}" if i.error.hint else "")
        for i in result.items if i.error
    ]
    return "\n".join([head, table] + (["", "failures:"] + failures if failures else []))


def _error_text(error: Any) -> str:
    if error is None:
        return ""
    return f"{error.error}{f' {error.status}' if error.status else ''}: {error.message}"


def main(argv: Sequence[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
