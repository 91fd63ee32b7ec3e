"""List, grant, revoke or replace who can access Nexla resources (users, teams, orgs; four roles).

Every change shows the accessors before and after (read back from the API); ``--dry-run`` shows
the predicted result and changes nothing. Grant is idempotent. Revoke without ``--role`` removes
the accessor entirely; with ``--role`` it removes only those roles. Revoke and replace refuse to
leave a resource without an owner. Several ``--resource-id`` values are handled one by one, each
with its own outcome.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from nexla_ops.cli import Script, render_table, script_parser
from nexla_ops.operations.access import (
    AccessChange,
    AccessChangeResult,
    AccessList,
    AccessorRef,
    AnyAccessor,
    grant_access,
    list_access,
    replace_access,
    revoke_access,
)
from nexla_ops.operations.progress import ProgressCallback

EXAMPLES = (
    "python scripts/manage_access.py list --resource-type source --resource-id 101",
    "python scripts/manage_access.py grant --resource-type data_sets --resource-id 201,202 "
    "--team-name data-eng --role operator",
    "python scripts/manage_access.py grant --resource-type source --resource-id 101 "
    "--email alice@example.com --role admin --dry-run",
    "python scripts/manage_access.py revoke --resource-type source --resource-id 101 --user-id 7",
    "python scripts/manage_access.py revoke --resource-type source --resource-id 101 --email bob@example.com "
    "--role admin   # take away admin only",
    "python scripts/manage_access.py replace --resource-type sink --resource-id 301 --user-id 3 "
    "--role owner --json",
)


def _ints(values: list[str] | None, flag: str) -> list[int]:
    out: list[int] = []
    for value in values or []:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or int(part) <= 0:
                raise ValueError(f"{flag}: {part!r} is not a positive integer id")
            out.append(int(part))
    return out


def _strings(values: list[str] | None) -> list[str]:
    return [p.strip() for v in values or [] for p in v.split(",") if p.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = script_parser("manage_access.py", __doc__.splitlines()[0], EXAMPLES)
    parser.add_argument("action", choices=("list", "grant", "revoke", "replace"))
    parser.add_argument(
        "--resource-type",
        "--kind",
        dest="resource_type",
        required=True,
        help="data_sources/source, data_sets/nexset, data_sinks/sink, data_credentials, flows, ...",
    )
    parser.add_argument(
        "--resource-id",
        "--id",
        dest="resource_id",
        action="append",
        required=True,
        metavar="ID[,ID...]",
        help="resource id; repeat or comma-separate for several (list takes one)",
    )
    who = parser.add_argument_group("accessors (repeatable, comma lists allowed)")
    who.add_argument("--user-id", action="append", metavar="ID")
    who.add_argument("--email", action="append", help="user by email")
    who.add_argument("--team-id", action="append", metavar="ID")
    who.add_argument("--team-name", action="append")
    who.add_argument("--org-id", action="append", metavar="ID")
    who.add_argument("--email-domain", action="append", help="org by email domain")
    who.add_argument("--client-identifier", action="append", help="org by client identifier")
    parser.add_argument(
        "--role",
        action="append",
        metavar="ROLE[,ROLE...]",
        help="owner, admin, operator or collaborator (grant/replace: required; revoke: only these)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show before and predicted after; change nothing"
    )
    return parser


def _accessors(args: argparse.Namespace) -> list[AccessorRef]:
    refs: list[dict[str, Any]] = []
    refs += [{"type": "USER", "id": i} for i in _ints(args.user_id, "--user-id")]
    refs += [{"type": "USER", "email": e} for e in _strings(args.email)]
    refs += [{"type": "TEAM", "id": i} for i in _ints(args.team_id, "--team-id")]
    refs += [{"type": "TEAM", "name": n} for n in _strings(args.team_name)]
    refs += [{"type": "ORG", "id": i} for i in _ints(args.org_id, "--org-id")]
    refs += [{"type": "ORG", "email_domain": d} for d in _strings(args.email_domain)]
    refs += [{"type": "ORG", "client_identifier": c} for c in _strings(args.client_identifier)]
    return [AccessorRef.model_validate(r) for r in refs]


async def action(
    args: argparse.Namespace, client: Any, progress: ProgressCallback
) -> AccessList | AccessChangeResult:
    ids = _ints(args.resource_id, "--resource-id")
    if args.action == "list":
        if len(ids) != 1:
            raise ValueError("--resource-id: list takes exactly one resource id")
        return await list_access(client, args.resource_type, ids[0])
    refs = _accessors(args)
    if not refs:
        raise ValueError(
            "name at least one accessor: --user-id, --email, --team-id, --team-name, --org-id, "
            "--email-domain or --client-identifier"
        )
    roles = [r.lower() for r in _strings(args.role)]
    if args.action in ("grant", "replace") and not roles:
        raise ValueError(f"--role: {args.action} needs at least one role (owner, admin, operator or collaborator)")
    change = AccessChange(
        resource_type=args.resource_type,
        resource_ids=ids,
        accessors=refs,
        roles=roles,
        dry_run=args.dry_run,
    )
    operation = {"grant": grant_access, "revoke": revoke_access, "replace": replace_access}[args.action]
    return await operation(client, change)


def _who(accessor: AnyAccessor) -> str:
    for field in ("email", "name", "email_domain", "client_identifier"):
        value = getattr(accessor, field, None)
        if value:
            return str(value)
    return ""


def _table(accessors: list[AnyAccessor]) -> str:
    if not accessors:
        return "  (no accessors)"
    rows = [
        {"type": a.type, "id": a.id, "who": _who(a), "roles": ", ".join(a.access_roles)} for a in accessors
    ]
    return "\n".join("  " + line for line in render_table(rows, ("type", "id", "who", "roles")).splitlines())


def render(result: AccessList | AccessChangeResult) -> str:
    if isinstance(result, AccessList):
        return f"{result.resource_type.label} {result.resource_id}:\n{_table(result.accessors)}"
    lines = [f"{result.action}{' (dry run: nothing changed)' if result.dry_run else ''}"]
    for item in result.results:
        lines.append(f"\n{item.resource_type.label} {item.resource_id}: {item.outcome}")
        lines += [f"  - {change}" for change in item.changes]
        if item.error:
            status = f"HTTP {item.error.status} " if item.error.status else ""
            lines.append(f"  error ({status}{item.error.error}): {item.error.message}")
            if item.error.hint:
                lines.append(f"  hint: {item.error.hint}")
        if item.before is not None:
            lines += [" before:", _table(item.before)]
        if item.after is not None and item.outcome != "unchanged":
            lines += [" after (predicted):" if result.dry_run else " after:", _table(item.after)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    return Script(build_parser(), action, render).main(argv)


if __name__ == "__main__":
    raise SystemExit(main())
