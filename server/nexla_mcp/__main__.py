"""``nexla-mcp``: run the Nexla MCP server over stdio (default) or streamable HTTP.

Configuration errors (unknown toolset or tool, missing credentials, an unsafe HTTP bind) stop
start-up with one clear line on stderr and exit code 2 (usage) or 3 (configuration). stdout is
reserved for the protocol: logs always go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXAMPLES = """\
examples:
  nexla-mcp                                  stdio, every tool (NEXLA_SERVICE_KEY, NEXLA_API_URL from the env)
  nexla-mcp skill install                    copy the skill into ~/.claude/skills/ (--agent codex, --target DIR)
  nexla-mcp --sandbox                        try it without an account: local sandbox with demo data
  nexla-mcp --read-only                      only reading tools; the client refuses any change
  nexla-mcp --toolsets discover,monitor,logs --exclude-tools get_resource
  NEXLA_MCP_HTTP_TOKEN=... nexla-mcp --transport http --port 8765

toolsets: discover, flows, deploy, monitor, logs, access, credentials, batch, transforms (or all)
environment: NEXLA_SERVICE_KEY or NEXLA_ACCESS_TOKEN, NEXLA_API_URL, NEXLA_READ_ONLY, NEXLA_MCP_TOOLSETS,
  NEXLA_MCP_TOOLS, NEXLA_MCP_EXCLUDE_TOOLS, NEXLA_MCP_SPEC_DIR, NEXLA_MCP_TRANSPORT, NEXLA_MCP_HOST, NEXLA_MCP_PORT,
  NEXLA_MCP_HTTP_TOKEN, NEXLA_MCP_ALLOWED_HOSTS, NEXLA_MCP_ALLOWED_ORIGINS, NEXLA_MCP_LOG_LEVEL
"""

_TRUE = {"1", "true", "yes", "on"}


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="nexla-mcp",
        description="MCP server for building, deploying, monitoring and troubleshooting Nexla data flows.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default=env.get("NEXLA_MCP_TRANSPORT", "stdio"))
    parser.add_argument("--host", default=env.get("NEXLA_MCP_HOST", "127.0.0.1"), help="HTTP bind address")
    parser.add_argument("--port", type=int, default=int(env.get("NEXLA_MCP_PORT", "8765")), help="HTTP port")
    parser.add_argument("--toolsets", default=env.get("NEXLA_MCP_TOOLSETS"), help="comma-separated toolsets")
    parser.add_argument("--tools", default=env.get("NEXLA_MCP_TOOLS"), help="comma-separated tools to allow")
    parser.add_argument(
        "--exclude-tools", default=env.get("NEXLA_MCP_EXCLUDE_TOOLS"), help="comma-separated tools to hide"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=env.get("NEXLA_READ_ONLY", "").strip().lower() in _TRUE,
        help="expose only reading tools and refuse every change (wins over every other option)",
    )
    parser.add_argument(
        "--spec-dir", type=Path, default=env.get("NEXLA_MCP_SPEC_DIR"),
        help="the only folder deployment specs given as a path are read from (default: the working folder)",
    )
    parser.add_argument("--sandbox", action="store_true", help="start a local sandbox with demo data and use it")
    parser.add_argument("--log-level", default=env.get("NEXLA_MCP_LOG_LEVEL", "WARNING"), help="stderr log level")
    return parser


def build_skill_parser() -> argparse.ArgumentParser:
    from .skill_bundle import AGENT_SKILL_DIRS, SKILL_NAME

    folders = ", ".join(f"{agent} {folder}" for agent, folder in AGENT_SKILL_DIRS.items())
    parser = argparse.ArgumentParser(
        prog="nexla-mcp skill",
        description=f"Install the {SKILL_NAME} Agent Skill (SKILL.md, reference documents, scripts, examples).",
        epilog=f"skills folders: {folders}",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="copy the skill into an agent's skills folder")
    install.add_argument("--agent", choices=tuple(AGENT_SKILL_DIRS), default="claude", help="whose skills folder")
    install.add_argument("--target", type=Path, help="skills folder to install into (wins over --agent)")
    return parser


def skill_main(argv: Sequence[str]) -> int:
    """``nexla-mcp skill install``: prints the installed folder on stdout, the next step on stderr."""
    from .skill_bundle import SkillInstallError, install_skill

    args = build_skill_parser().parse_args(argv)
    try:
        folder = install_skill(agent=args.agent, target=args.target)
    except (SkillInstallError, OSError) as exc:
        print(f"nexla-mcp skill: {exc}", file=sys.stderr)
        return 1
    print(folder)
    print("nexla-mcp skill: installed; start a new agent session to load it", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["skill"]:
        return skill_main(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(), format="nexla-mcp %(levelname)s %(message)s")

    from nexla_ops.errors import NexlaError

    from .app import ServerOptions, build_server
    from .http import HttpConfigError, http_app, resolve_token
    from .selection import SelectionError, split_names

    options = ServerOptions(
        toolsets=tuple(split_names(args.toolsets)),
        tools=tuple(split_names(args.tools)),
        exclude_tools=tuple(split_names(args.exclude_tools)),
        read_only=args.read_only,
        spec_dir=args.spec_dir,
    )
    try:
        token, generated = ("", False)
        if args.transport == "http":
            token, generated = resolve_token(args.host, os.environ.get("NEXLA_MCP_HTTP_TOKEN"))
        with contextlib.ExitStack() as stack:
            settings = None
            if args.sandbox:
                from .sandbox_mode import embedded_sandbox

                settings = stack.enter_context(embedded_sandbox())
            server = build_server(options, settings)
            if args.transport == "stdio":
                server.run("stdio")
                return 0
            import uvicorn

            app = http_app(
                server,
                host=args.host,
                token=token,
                extra_hosts=split_names(os.environ.get("NEXLA_MCP_ALLOWED_HOSTS")),
                extra_origins=split_names(os.environ.get("NEXLA_MCP_ALLOWED_ORIGINS")),
            )
            if generated:
                print(f"nexla-mcp: bearer token for this run: {token}", file=sys.stderr)
            print(f"nexla-mcp: serving MCP at http://{args.host}:{args.port}/mcp", file=sys.stderr)
            uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower())
            return 0
    except (SelectionError, HttpConfigError) as exc:
        print(f"nexla-mcp: {exc}", file=sys.stderr)
        return 2
    except NexlaError as exc:
        print(f"nexla-mcp: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
