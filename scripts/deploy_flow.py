"""Deploy a Nexla flow from a declarative YAML/JSON spec: validate, plan, apply, destroy.

apply is idempotent (resources are found by name and the tag nexla-ops:<spec name>) and rolls
back everything it did when any step fails. Credential secrets come from environment variables
named in the spec ({from_env: VAR}); the spec file holds none.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.deploy import (
    DeployPlan,
    DeployResult,
    DestroyResult,
    ValidationReport,
    apply_deployment,
    destroy_deployment,
    load_spec,
    plan_deployment,
    spec_json_schema,
    validate_deployment,
)
from nexla_ops.operations.deploy.validate import MAX_SAMPLE_SIZE, SAMPLE_SIZE, TransformCheck
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/deploy_flow.py --print-schema",
    "python scripts/deploy_flow.py validate --spec examples/orders_to_parquet.yaml",
    "python scripts/deploy_flow.py plan --spec examples/orders_to_parquet.yaml --json",
    "NEXLA_SECRET_DEMO_S3=... python scripts/deploy_flow.py apply --spec examples/orders_to_parquet.yaml",
    "python scripts/deploy_flow.py destroy --spec examples/orders_to_parquet.yaml --yes",
)


def _sample_size(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_SAMPLE_SIZE:
        raise argparse.ArgumentTypeError(f"give a whole number from 0 to {MAX_SAMPLE_SIZE}, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("deploy_flow.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("--print-schema", action="store_true", help="print the spec's JSON Schema and exit (no API call)")
    parser.add_argument("command", nargs="?", choices=("validate", "plan", "apply", "destroy"),
                        help="validate: check only; plan: show the diff; apply: make it so; destroy: delete it")
    parser.add_argument("--spec", help="deployment spec file (YAML or JSON)")
    parser.add_argument("--yes", action="store_true", help="confirm destroy")
    parser.add_argument("--samples", type=_sample_size, default=SAMPLE_SIZE, metavar="N",
                        help=f"validate: source records to run the transforms on (default {SAMPLE_SIZE}; 0: none)")
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> Any:
    # load_spec parses a string that names no file as spec text, which would report a mistyped
    # path as "the spec must be a mapping"; on the command line --spec is always a file.
    if not Path(args.spec).is_file():
        raise FileNotFoundError(2, "No such file", args.spec)
    spec = load_spec(Path(args.spec))
    if args.command == "validate":
        return await validate_deployment(client, spec, sample_size=args.samples)
    if args.command == "plan":
        return await plan_deployment(client, spec)
    if args.command == "apply":
        return await apply_deployment(client, spec, progress)
    return await destroy_deployment(client, spec, confirm=args.yes, progress=progress)


def _plan_table(plan: DeployPlan) -> str:
    rows = [
        {"action": c.action, "kind": c.kind, "name": c.name, "id": c.id, "path": c.path,
         "request": f"{c.method} {c.endpoint}" if c.method else "",
         "changes": ", ".join(f"{k}: {v.old!r} -> {v.new!r}" for k, v in c.changes.items())}
        for c in plan.changes
    ]
    table = render_table(rows, ("action", "kind", "name", "id", "path", "request", "changes"), max_width=80)
    return f"{table}\nactivation: {plan.activate}"


def _transform_lines(check: TransformCheck) -> list[str]:
    verdict = "invalid" if not check.valid else "ok" if check.samples == "not_run" else f"samples {check.samples}"
    lines = [f"  {check.path} transform: {verdict}{f' ({check.message})' if check.message else ''}"]
    lines += [f"    out: {json.dumps(record, default=str)[:160]}" for record in check.output]
    lines += [f"    error at {e.operation}: {e.message}; record {json.dumps(e.record, default=str)[:160]}"
              for e in check.errors]
    return lines


def render(result: Any) -> str:
    if isinstance(result, ValidationReport):
        lines = [f"deployment {result.name!r}: {'valid' if result.ok else 'INVALID'}"]
        lines += [f"  {i.path}: {i.message}" for i in result.issues]
        lines += [f"  warning: {w.path}: {w.message}" for w in result.warnings]
        lines += [
            f"  {c.path}{f' {c.id}' if c.id is not None else ''}: {c.status}{f' ({c.message})' if c.message else ''}"
            for c in result.credentials
        ]
        if result.samples_from:
            lines.append(f"  samples: {result.samples_from}")
        for check in result.transforms:
            lines += _transform_lines(check)
        return "\n".join(lines)
    if isinstance(result, DeployPlan):
        return f"plan for {result.name!r} (tag {result.tag}):\n" + _plan_table(result)
    if isinstance(result, DeployResult):
        lines = [f"deployment {result.name!r}: {result.status}"]
        if result.flow_id:
            lines.append(f"  flow {result.flow_id} (source {result.source_id}), active: {result.active}")
        adopted = {(r.kind, r.id) for r in result.adopted}
        for r in result.created:
            note = " (adopted: its create answer was lost)" if (r.kind, r.id) in adopted else ""
            lines.append(f"  created {r.kind} {r.id} {r.name or ''}".rstrip() + note)
        lines += [f"  updated {r.kind} {r.id} {r.name or ''}".rstrip() for r in result.updated]
        lines += [f"  deleted {r.kind} {r.id} {r.name or ''} (no longer in the spec)" for r in result.deleted]
        if result.error:
            lines.append(f"  failed at {result.failed_step or 'validation'}: {result.error.get('message')}")
        if result.rollback:
            lines += [f"  rolled back: deleted {r.kind} {r.id}" for r in result.rollback.deleted]
            lines += [f"  rolled back: restored {r.kind} {r.id}" for r in result.rollback.restored]
            lines += [f"  NOT UNDONE: {u.action} {u.kind} {u.id}: {u.error}" for u in result.rollback.not_undone]
        return "\n".join(lines)
    if isinstance(result, DestroyResult):
        if not result.found:
            return f"deployment {result.name!r}: nothing to destroy"
        lines = [f"deployment {result.name!r}: destroyed"]
        lines += [f"  deleted {r.kind} {r.id} {r.name or ''}".rstrip() for r in result.deleted]
        lines += [f"  NOT DELETED {u.kind} {u.id}: {u.error}" for u in result.not_deleted]
        return "\n".join(lines)
    return str(result)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_schema:
        print(json.dumps(spec_json_schema(), indent=2))
        return 0
    if not args.command or not args.spec:
        parser.print_usage(sys.stderr)
        print("error: give a command (validate, plan, apply, destroy) and --spec FILE, or --print-schema", file=sys.stderr)
        return 2
    return Script(parser, action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
