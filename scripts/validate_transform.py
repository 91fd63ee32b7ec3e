"""Check a nexset transform whole, run it on sample records with the local engine and show what it does.

The transform is the official {version, data_maps, transforms, custom_config}, a Jolt list, a
reusable {code, code_type}, or the authoring {version, operations}; or --transform-id reads a
reusable transform. Every static mistake is listed at once. Records come inline (--records-json),
from a file (--records: JSON array, NDJSON or CSV) or from a nexset's samples (--nexset-id). Only
--nexset-id and --transform-id talk to the API (NEXLA_API_URL, NEXLA_SERVICE_KEY). Exit codes: 0
valid and clean, 2 invalid transform (or usage), 5 valid transform but some records failed or it
could not run here (see errors, each with its operation index).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.progress import ProgressCallback
from nexla_ops.operations.transforms import TransformValidationRequest, TransformValidationResult, validate_transform

EXAMPLES = (
    "python scripts/validate_transform.py --transform examples/orders_transform.json --records examples/orders_sample.ndjson",
    "python scripts/validate_transform.py --transform-json '{\"version\":1,\"operations\":[{\"operation\":\"filter\",\"condition\":\"amount > 10\"}]}' --records-json '[{\"amount\": 5}, {\"amount\": 50}]'",
    "python scripts/validate_transform.py --transform t.json --nexset-id 42 --json",
    "python scripts/validate_transform.py --transform-json '[{\"operation\":\"shift\",\"spec\":{\"id\":\"order_id\"}}]' --records-json '[{\"id\": 1}]'",
    "python scripts/validate_transform.py --transform-id 7 --records sample.ndjson",
)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("validate_transform.py", __doc__.splitlines()[0], EXAMPLES)
    spec = parser.add_mutually_exclusive_group(required=True)
    spec.add_argument("--transform", type=Path, help="file holding the transform JSON/YAML")
    spec.add_argument("--transform-json", help="the transform as inline JSON")
    spec.add_argument("--transform-id", type=int, help="a reusable transform's id (calls the API)")
    records = parser.add_mutually_exclusive_group()
    records.add_argument("--records-json", help="sample records as an inline JSON array")
    records.add_argument("--records", type=Path, help="file of records: JSON array, NDJSON or .csv")
    records.add_argument("--nexset-id", type=int, help="use this nexset's samples (calls the API)")
    parser.add_argument("--sample-count", type=int, default=10, help="samples to fetch with --nexset-id (default 10)")
    parser.add_argument("--max-output", type=int, default=20, help="output records to show (default 20)")
    return parser


def _load_transform(args: argparse.Namespace) -> dict[str, Any] | list[Any] | None:
    import yaml

    if args.transform_id is not None:
        return None
    if args.transform is not None:
        text, where = args.transform.read_text(encoding="utf-8"), str(args.transform)
    else:
        text, where = args.transform_json, "--transform-json"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise ValueError(f"{where}: not valid JSON/YAML") from None
    if not isinstance(data, (dict, list)):
        raise ValueError(f"{where}: the transform must be an object {{version, transforms: [...]}} or a Jolt list")
    return data


def _request(args: argparse.Namespace) -> TransformValidationRequest:
    records = None
    if args.records_json is not None:
        try:
            records = json.loads(args.records_json)
        except json.JSONDecodeError as error:
            raise ValueError(f"--records-json: not JSON ({error.msg})") from None
        if not isinstance(records, list):
            raise ValueError("--records-json: must be a JSON array of objects")
    return TransformValidationRequest(
        transform=_load_transform(args), transform_id=args.transform_id, records=records, records_file=args.records, nexset_id=args.nexset_id,
        sample_count=args.sample_count, max_output_records=args.max_output,
    )


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> TransformValidationResult:
    return await validate_transform(client, _request(args))


def render(result: TransformValidationResult) -> str:
    if not result.valid:
        return f"transform INVALID ({len(result.errors)} problem(s)):\n" + "\n".join(f"  {e.message}" for e in result.errors)
    lines = [f"transform valid; {result.records_in} record(s) in ({result.records_source}), {result.records_out} out"]
    if result.operation_counts:
        lines.append(render_table([c.model_dump() for c in result.operation_counts],
                                  ("operation_index", "operation", "records_in", "records_out", "errors")))
    if result.error_count:
        lines.append(f"{result.error_count} record error(s):")
        lines += [f"  operations[{e.operation_index}]: {e.message}" for e in result.errors]
    elif result.errors:
        lines += [f"not run: {e.message}" for e in result.errors]
    lines += [f"warning: {w}" for w in result.warnings]
    if result.records:
        lines.append("output records:")
        lines += [f"  {json.dumps(r, default=str)}" for r in result.records]
        if result.truncated:
            lines.append(f"  ... {result.records_out - len(result.records)} more")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    # Only --nexset-id needs the API, so configuration is required only then.
    return Script(build_parser(), action, render, needs_client=lambda args: args.nexset_id is not None or args.transform_id is not None).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
