"""Show, activate, pause, copy or delete a Nexla flow (or one resource of it).

A target is a resource (--kind sources|nexsets|destinations --id N) or a flow node id
(--kind flows). Activate/pause act on the whole flow unless --only-this. Delete needs --yes and
--confirm-name equal to the name, and refuses while the flow is active unless --pause-first.
"""

from __future__ import annotations

import argparse
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.flows import (
    CopyOptions,
    CopyResult,
    DeleteRequest,
    DeleteResult,
    FlowControlResult,
    FlowSummary,
    FlowTarget,
    activate,
    copy_flow,
    delete,
    get_flow,
    pause,
)
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/flow_control.py show --kind sources --id 12",
    "python scripts/flow_control.py activate --kind flows --id 7",
    "python scripts/flow_control.py pause --kind sinks --id 31 --only-this",
    "python scripts/flow_control.py copy --kind flows --id 7 --reuse-credentials --json",
    "python scripts/flow_control.py delete --kind flows --id 7 --yes --confirm-name 'orders' --pause-first",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("flow_control.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("command", choices=("show", "activate", "pause", "copy", "delete"))
    parser.add_argument(
        "--kind", "--resource-type", dest="kind", required=True,
        help="sources, nexsets, destinations (aliases ok) or flows (a node id)",
    )
    parser.add_argument(
        "--id", "--resource-id", dest="id", type=int, required=True, help="resource id (or flow node id with --kind flows)"
    )
    parser.add_argument("--only-this", action="store_true", help="activate/pause/delete this resource only, not the whole flow")
    parser.add_argument("--reuse-credentials", action="store_true", help="copy: the copy uses the same credentials")
    parser.add_argument("--copy-access", action="store_true", help="copy: copy the sharing too")
    parser.add_argument("--copy-dependent-flows", action="store_true", help="copy: also copy dependent flows")
    parser.add_argument("--owner-id", type=int, help="copy: owner of the copy")
    parser.add_argument("--org-id", type=int, help="copy: org of the copy")
    parser.add_argument("--yes", action="store_true", help="delete: confirm")
    parser.add_argument("--confirm-name", help="delete: the exact name of the flow (root source) or resource")
    parser.add_argument("--pause-first", action="store_true", help="delete: pause an active flow first instead of refusing")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> Any:
    if args.command == "show":
        return await get_flow(client, args.kind, args.id)
    if args.command in ("activate", "pause"):
        target = FlowTarget(kind=args.kind, id=args.id, whole_tree=not args.only_this)
        return await (activate if args.command == "activate" else pause)(client, target)
    if args.command == "copy":
        flow = await get_flow(client, args.kind, args.id)
        options = CopyOptions(
            reuse_data_credentials=args.reuse_credentials, copy_access_controls=args.copy_access,
            copy_dependent_data_flows=args.copy_dependent_flows, owner_id=args.owner_id, org_id=args.org_id,
        )
        return await copy_flow(client, flow.flow_id, options)
    request = DeleteRequest(kind=args.kind, id=args.id, whole_flow=not args.only_this, confirm=args.yes,
                            confirm_name=args.confirm_name, pause_first=args.pause_first)
    return await delete(client, request)


def _flow_text(flow: FlowSummary) -> str:
    head = " ".join(
        part for part in (
            f"flow {flow.flow_id}", repr(flow.name) if flow.name else "", f"status={flow.status}",
            f"project={flow.project_id}" if flow.project_id is not None else "",
        ) if part
    )
    rows = [n.model_dump(mode="json") for n in flow.nodes]
    return head + "\n" + render_table(rows, ("node_id", "kind", "id", "name", "status", "parent_node_id"))


def render(result: Any) -> str:
    if isinstance(result, FlowSummary):
        return _flow_text(result)
    if isinstance(result, FlowControlResult):
        return f"{result.action}d:\n" + _flow_text(result.flow)
    if isinstance(result, CopyResult):
        return f"copied flow {result.original_flow_id} to:\n" + _flow_text(result.new_flow)
    assert isinstance(result, DeleteResult)
    lines = ["paused first" if result.paused else ""]
    lines += [f"deleted {d['kind']} {d['id']} {d.get('name') or ''}".rstrip() for d in result.deleted]
    return "\n".join(line for line in lines if line)


def main(argv: list[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
