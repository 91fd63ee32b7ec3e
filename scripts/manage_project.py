"""Create a Nexla project, list its flows, or add and remove flows (by any node id of each flow).

remove needs at least one --flow-id: the API reads an empty removal as "remove every flow".
"""

from __future__ import annotations

import argparse
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.progress import ProgressCallback
from nexla_ops.operations.projects import ProjectRequest, ProjectResult, manage_project

EXAMPLES = (
    "python scripts/manage_project.py create --name staging --flow-id 7",
    "python scripts/manage_project.py list --project-id 3 --json",
    "python scripts/manage_project.py add --project-id 3 --flow-id 7 --flow-id 9",
    "python scripts/manage_project.py remove --project-id 3 --flow-id 7",
)
_ACTIONS = {"create": "create", "list": "list_flows", "add": "add_flows", "remove": "remove_flows"}


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("manage_project.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("command", choices=tuple(_ACTIONS))
    parser.add_argument("--project-id", type=int, help="the project (list, add, remove)")
    parser.add_argument("--name", help="create: the project's name")
    parser.add_argument("--description", help="create: optional description")
    parser.add_argument("--flow-id", dest="flow_ids", type=int, action="append", default=[],
                        help="a flow (any node id); repeat for several")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> ProjectResult:
    request = ProjectRequest(action=_ACTIONS[args.command], project_id=args.project_id, name=args.name,
                             description=args.description, flow_ids=args.flow_ids)
    return await manage_project(client, request)


def render(result: ProjectResult) -> str:
    head = f"project {result.project_id} {result.name!r}: {len(result.flows)} flow(s)"
    if result.changed:
        head += f"; {'removed' if result.action == 'remove_flows' else 'added'} {', '.join(map(str, result.changed))}"
    return head + "\n" + render_table([f.model_dump() for f in result.flows], ("flow_id", "name", "status", "source_id"))


def main(argv: list[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
