"""Preview what a credential reaches before creating a source: files at a path and sample records.

Uses the credential's probe tree and probe sample; when the path is a folder, its first file is
sampled. Exit codes: 0 ok, 5 the probe failed (missing path, no files, credential does not connect).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.preview import PreviewRequest, PreviewResult, preview_source
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/preview_source.py --credential-id 12 --path ingest/orders/",
    "python scripts/preview_source.py --credential-id 12 --path ingest/orders/ --depth 2 --sample-size 3 --json",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("preview_source.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("--credential-id", type=int, required=True, help="credential to look with")
    parser.add_argument("--path", help="folder or file under the connector root")
    parser.add_argument("--depth", type=int, default=1, help="folder levels to list (1-5, default 1)")
    parser.add_argument("--sample-size", type=int, default=5, help="records to read (0 lists only; default 5)")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> PreviewResult:
    request = PreviewRequest(credential_id=args.credential_id, path=args.path, depth=args.depth,
                             sample_size=args.sample_size)
    return await preview_source(client, request, progress)


def render(result: PreviewResult) -> str:
    lines = [render_table([e.model_dump() for e in result.entries], ("path", "type", "size"))]
    if result.sampled_file:
        lines.append(f"{len(result.records)} record(s) from {result.sampled_file}:")
        lines += [json.dumps(record, default=str) for record in result.records]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
