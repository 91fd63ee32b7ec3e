"""Copy (promote) a Nexla flow into a project, swapping credentials and changing destinations.

--credential OLD=NEW swaps a credential everywhere the flow uses it; --destination-path ID=PATH
and --destination-credential ID=CRED change one destination of the copy (ID is the original's).
--activate refuses when a destination of the copy still writes where its original writes, unless
--allow-same-destination. A failure after the copy deletes the copy again.
"""

from __future__ import annotations

import argparse
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.progress import ProgressCallback
from nexla_ops.operations.promotion import (
    DestinationOverride,
    PromotionRequest,
    PromotionResult,
    copy_flow_to_project,
)

EXAMPLES = (
    "python scripts/copy_flow_to_project.py --flow-id 7 --project-id 3 --destination-path 31=staging/orders/ --activate",
    "python scripts/copy_flow_to_project.py --flow-id 7 --project-id 4 --credential 12=19 --activate --json",
)


def _pair(text: str) -> tuple[int, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip().isdigit() or not value:
        raise argparse.ArgumentTypeError(f"expected ID=VALUE, got {text!r}")
    return int(key), value


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("copy_flow_to_project.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("--flow-id", type=int, required=True, help="any node id of the flow to copy")
    parser.add_argument("--project-id", type=int, help="project the copy goes into")
    parser.add_argument("--credential", type=_pair, action="append", default=[], metavar="OLD=NEW",
                        help="use credential NEW wherever the flow uses OLD (repeatable)")
    parser.add_argument("--destination-path", type=_pair, action="append", default=[], metavar="ID=PATH",
                        help="the copy of destination ID writes to PATH (repeatable)")
    parser.add_argument("--destination-credential", type=_pair, action="append", default=[], metavar="ID=CRED",
                        help="the copy of destination ID uses credential CRED (repeatable)")
    parser.add_argument("--activate", action="store_true", help="activate the copy")
    parser.add_argument("--allow-same-destination", action="store_true",
                        help="activate even if the copy writes where the original writes")
    return parser


def _request(args: argparse.Namespace) -> PromotionRequest:
    overrides: dict[int, DestinationOverride] = {}
    for sink_id, path in args.destination_path:
        overrides.setdefault(sink_id, DestinationOverride()).config["path"] = path
    for sink_id, credential in args.destination_credential:
        overrides.setdefault(sink_id, DestinationOverride()).credential_id = int(credential)
    return PromotionRequest(
        flow_id=args.flow_id, project_id=args.project_id,
        credential_map={old: int(new) for old, new in args.credential}, destination_overrides=overrides,
        activate=args.activate, allow_same_destination=args.allow_same_destination,
    )


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> PromotionResult:
    return await copy_flow_to_project(client, _request(args), progress)


def render(result: PromotionResult) -> str:
    where = f" in project {result.project_id}" if result.project_id else ""
    head = f"flow {result.original_flow_id} copied to flow {result.new_flow_id}{where}; "
    head += "activated" if result.activated else "paused"
    if result.same_destination:
        head += f"\nwarning: destination(s) {', '.join(map(str, result.same_destination))} write where the original writes"
    rows = [r.model_dump(mode="json") for r in result.resources]
    return head + "\n" + render_table(rows, ("kind", "original_id", "id", "credential_id", "location"))


def main(argv: list[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
