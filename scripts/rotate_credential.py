"""Rotate a Nexla credential under every source and destination that uses it, with rollback.

Steps: create the new credential (secret fields read from environment variables, so no secret is
on the command line; the old credential's non-secret fields are kept unless given again), probe it,
pause the active dependents, switch them to the new credential, reactivate them, verify, then
delete the old credential (or keep it with ``--keep-old``). Any failure before the old credential
is retired puts everything back on the old credential, resumes what was running and deletes the
new credential; the output lists every step.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.credentials import RotationRequest, RotationResult, rotate_credential
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "export NEW_SECRET=...   # from your secret manager",
    "python scripts/rotate_credential.py --credential-id 42 --fields-from-env secret_access_key=NEW_SECRET "
    "--dry-run   # access_key_id, region and other non-secret fields are kept",
    "python scripts/rotate_credential.py --credential-id 42 --fields-from-env password=PG_PASSWORD "
    "--field host=db.internal --field username=etl --name 'warehouse (2025-q3)' --json",
    "python scripts/rotate_credential.py --credential-id 42 --fields-from-env api_key=NEW_API_KEY --keep-old",
)


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise ValueError(f"{flag}: expected FIELD=VALUE, got {value.split('=')[0]!r}=...")
        out[key.strip()] = rest.strip()
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("rotate_credential.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("--credential-id", type=int, required=True, help="id of the credential to replace")
    parser.add_argument(
        "--fields-from-env",
        nargs="+",
        action="extend",
        default=[],
        metavar="FIELD=ENVVAR",
        help="credential field taken from an environment variable (use for every secret)",
    )
    parser.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="non-secret credential field given plainly, e.g. region=us-east-1",
    )
    parser.add_argument("--name", help="name of the new credential (default: '<old name> (rotated <date>)')")
    parser.add_argument(
        "--keep-old", action="store_true", help="keep the old credential instead of deleting it"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show dependents and planned steps; change nothing"
    )
    return parser


async def action(args: argparse.Namespace, client: Any, progress: ProgressCallback) -> RotationResult:
    from_env = _pairs(args.fields_from_env, "--fields-from-env")
    plain = _pairs(args.field, "--field")
    if not from_env and not plain:
        raise ValueError("--fields-from-env: give the new credential's fields, e.g. --fields-from-env secret_access_key=NEW_SECRET")
    request = RotationRequest(
        credential_id=args.credential_id,
        fields_from_env=from_env,
        fields=plain,
        name=args.name,
        keep_old=args.keep_old,
        dry_run=args.dry_run,
    )
    return await rotate_credential(client, request, progress)


def render(result: RotationResult) -> str:
    head = {
        "rotated": f"rotated: credential {result.old_credential_id} -> {result.new_credential_id}",
        "rotated_old_kept": f"rotated: credential {result.old_credential_id} -> {result.new_credential_id}"
        f" (old credential kept)",
        "retire_failed": f"rotated to credential {result.new_credential_id}, but the old credential "
        f"{result.old_credential_id} could not be deleted",
        "rolled_back": "rotation failed and was rolled back: everything is on credential "
        f"{result.old_credential_id}",
        "rollback_incomplete": "rotation failed and the rollback was INCOMPLETE: "
        "see the failed rollback steps",
        "planned": f"dry run: would rotate credential {result.old_credential_id} to a new credential "
        f"named {result.new_credential_name!r}",
    }[result.outcome]
    lines = [head]
    if result.error:
        lines.append(f"cause: {result.error.message}")
    deps = [
        {"type": d.resource_type.label, "id": d.id, "name": d.name, "status": d.status}
        for d in result.dependents
    ]
    lines += ["", "dependents:", render_table(deps, ("type", "id", "name", "status")) if deps else "(none)"]
    if result.diff:
        diff = result.diff
        rows = []
        for name in sorted(set(diff.fields_old) | set(diff.fields_new)):
            old, new = diff.values.get(name, [None, None])
            rows.append({"field": name, "old": "-" if name not in diff.fields_old else old,
                         # A new field without a shown value came from the environment.
                         "new": "-" if name not in diff.fields_new else "(from env)" if new is None else new})
        lines += ["", "fields (old -> new):", render_table(rows, ("field", "old", "new"))]
    steps = [
        {
            "step": s.step,
            "status": s.status,
            "resource": f"{s.resource_type.label} {s.resource_id}" if s.resource_type else "",
            "detail": s.detail or (s.error.message if s.error else ""),
        }
        for s in result.steps
    ]
    lines += ["", "steps:", render_table(steps, ("step", "status", "resource", "detail"))]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
