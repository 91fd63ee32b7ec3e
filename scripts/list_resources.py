"""List Nexla resources of one kind with filters, or get one resource by id.

Results are compact summaries (id, name, status, type, owner, updated_at) unless --fields is
given; flows are one row per flow with node counts. Nothing is silently cut: when more rows
match than --limit, the output says so and gives a --cursor to continue.
"""

from __future__ import annotations

import argparse
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.listing import ListQuery, ListResult, ResourceDetail, get_resource, list_resources
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/list_resources.py sources",
    "python scripts/list_resources.py nexsets --name orders --status ACTIVE --limit 20",
    "python scripts/list_resources.py flows --json",
    "python scripts/list_resources.py sinks --tag nexla-ops:orders-to-parquet --fields name,sink_config.path",
    "python scripts/list_resources.py sources --cursor eyJwYWdlIjogMiwgIm9mZnNldCI6IDB9",
    "python scripts/list_resources.py sources --id 12 --expand",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("list_resources.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("kind", help="sources, nexsets, destinations, credentials, flows, projects, teams, users, ... (aliases ok)")
    parser.add_argument("--id", type=int, help="get this one resource instead of listing")
    parser.add_argument("--expand", action="store_true", help="with --id: include referenced objects")
    parser.add_argument("--name", help="case-insensitive substring of the name")
    parser.add_argument("--status", help="exact status, e.g. ACTIVE, PAUSED")
    parser.add_argument("--owner", help="owner user id or email")
    parser.add_argument("--project-id", type=int, help="only resources in this project's flows")
    parser.add_argument("--tag", help="only resources carrying this tag")
    parser.add_argument("--fields", help="comma-separated fields (dotted paths ok) instead of the summary")
    parser.add_argument("--limit", type=int, default=50, help="rows per page of output (1-1000, default 50)")
    parser.add_argument("--cursor", help="next_cursor from a previous listing")
    parser.add_argument("--access-role", choices=("collaborator", "operator", "admin", "owner"), default="collaborator",
                        help="resources shared with you at this role or higher (default collaborator: all you can reach)")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> Any:
    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    if args.id is not None:
        return await get_resource(client, args.kind, args.id, fields=fields, expand=args.expand)
    query = ListQuery(
        kind=args.kind, name=args.name, status=args.status, owner=args.owner, project_id=args.project_id,
        tag=args.tag, fields=fields, limit=args.limit, cursor=args.cursor, access_role=args.access_role,
    )
    return await list_resources(client, query)


_NODE_LABELS = {"data_sources": "sources", "data_sets": "nexsets", "data_sinks": "destinations"}


def _readable_row(row: dict[str, Any]) -> dict[str, Any]:
    """Summary cells a person can scan: the owner's email, node counts as words, not JSON."""
    out = dict(row)
    owner = out.get("owner")
    if isinstance(owner, dict):
        out["owner"] = owner.get("email") or owner.get("full_name") or owner.get("id")
    counts = out.get("node_counts")
    if isinstance(counts, dict):
        out["node_counts"] = ", ".join(f"{n} {_NODE_LABELS.get(k, k)}" for k, n in counts.items())
    return out


def render(result: Any) -> str:
    if isinstance(result, ResourceDetail):
        import json

        return json.dumps(result.resource, indent=2, default=str)
    assert isinstance(result, ListResult)
    if result.items:
        columns = list(result.items[0].keys())
        if "node_counts" in columns:
            columns = ["id", "name", "status", "data_source_id", "project_id", "node_counts"]
        text = render_table([_readable_row(row) for row in result.items], columns)
    else:
        text = f"no {result.kind.value} matched"
    if result.has_more:
        text += f"\n{result.count} shown; more match. Continue with --cursor {result.next_cursor}"
    else:
        text += f"\n{result.count} {result.kind.value} (complete)"
    return text


def main(argv: list[str] | None = None) -> int:
    return Script(build_parser(), action, render, compact_json=True).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
