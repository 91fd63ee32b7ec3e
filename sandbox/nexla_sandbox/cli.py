"""``nexla-sandbox``: serve the local Nexla-compatible API, or print the seeded users' keys."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nexla_sandbox.state import seed
from nexla_sandbox.state.store import Store

DEFAULT_DIR = "./.nexla-sandbox"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nexla-sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    serve.add_argument("--port", type=int, default=8900)
    serve.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DIR))
    serve.add_argument("--service-key", help="the admin user's service key (default: generated once per data dir)")
    serve.add_argument("--rate-limit", type=float, metavar="RPS", help="start with a per-key rate limit")
    serve.add_argument("--demo", action="store_true", help="write demo input files into the data dir first")
    keys = commands.add_parser("keys", help="print the seeded users' labels, roles and service keys")
    keys.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DIR))
    return parser.parse_args(argv)


ROLES = {"admin": "org admin of Sandbox Org", "operator": "member; team data-eng",
         "collaborator": "member; team data-eng", "member": "plain member, no grants; team analytics",
         "outsider": "admin of Other Org only"}


def print_keys(data_dir: Path) -> int:
    store = Store.open(data_dir)
    seed.ensure_seeded(store)
    for label, key in seed.keys(store).items():
        print(f"{label:<13} {ROLES.get(label, ''):<40} {key}")
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from nexla_sandbox.app import PREFIX, create_app

    if args.demo:
        try:
            from nexla_sandbox.runtime.demo import write_demo_data
        except ImportError:
            print("--demo: this build has no demo data generator", file=sys.stderr)
            return 2
        write_demo_data(args.data_dir)
    fresh = not (args.data_dir / "sandbox.db").exists()
    app = create_app(args.data_dir, args.service_key, rate_limit=args.rate_limit)
    base = f"http://{args.host}:{args.port}{PREFIX}"
    print(f"Nexla sandbox API at {base} (data in {args.data_dir})", file=sys.stderr)
    if not args.service_key and fresh:
        print(f"Admin service key (shown once; `nexla-sandbox keys` lists all): {seed.keys(app.state.store)['admin']}",
              file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.command == "keys":
        return print_keys(args.data_dir)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
