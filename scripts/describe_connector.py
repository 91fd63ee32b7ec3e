"""Describe a Nexla connector: roles, credential fields (which are secret), config keys and formats.

Without a code, lists every connector code by category (--category narrows it). Works offline:
the facts ship with the package (generated from Nexla's OpenAPI by tools/gen_connectors.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.connectors import ConnectorDescription, describe_connector
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/describe_connector.py s3",
    "python scripts/describe_connector.py postgres --json",
    "python scripts/describe_connector.py --category file",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("describe_connector.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("connector", nargs="?", help="connector code, e.g. s3 (omit to list codes)")
    parser.add_argument("--category", help="with no code: only this category (file, database, nosql, ...)")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> ConnectorDescription:
    return describe_connector(args.connector, args.category)


def render(result: ConnectorDescription) -> str:
    if result.connector is None:
        return "\n".join(f"{category}: {', '.join(codes)}" for category, codes in result.connectors.items())
    lines = [f"{result.connector} ({result.category}): {', '.join(result.roles)}"]
    if result.credential_fields:
        lines.append(render_table([f.model_dump() for f in result.credential_fields], ("name", "secret", "required")))
    for label, keys in (("source_config", result.source_config), ("sink_config", result.sink_config)):
        if keys:
            lines.append(f"{label}: {', '.join(keys)}")
    for label, values in result.formats.items():
        lines.append(f"{label} formats: {', '.join(values)}")
    if result.note:
        lines.append(result.note)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return Script(build_parser(), action, render, needs_client=lambda args: False).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
