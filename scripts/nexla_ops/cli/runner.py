"""The one way a script runs: parse, configure, call the operation, print, exit with a shared code.

A script's ``main`` builds a parser with :func:`script_parser`, then hands an async ``action``
to :class:`Script`. The action receives the parsed arguments, an ``AsyncNexlaClient`` and a
progress callback, calls exactly one operation and returns its pydantic result. Everything else
(stdout/stderr discipline, ``--json``, redaction, exit codes) lives here so scripts stay thin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel

from nexla_ops.domain.errors import error_document
from nexla_ops.errors import ExitCode, NexlaError
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent
from nexla_ops.redaction import redact, scrub_text

Action = Callable[[argparse.Namespace, Any, ProgressCallback], Awaitable[BaseModel]]
Renderer = Callable[[Any], str]


def script_parser(prog: str, description: str, examples: Sequence[str]) -> argparse.ArgumentParser:
    """A parser with the flags every script shares and an examples section in ``--help``."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    epilog += (
        "\n\nenvironment: NEXLA_SERVICE_KEY or NEXLA_ACCESS_TOKEN, NEXLA_API_URL (see REFERENCE.md)."
        "\nexit codes: 0 ok, 1 failed, 2 usage, 3 config/auth, 4 not found, 5 check failed, 6 temporary."
    )
    parser = argparse.ArgumentParser(
        prog=prog, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


class _StderrProgress:
    """Prints progress events to stderr: a redrawn line on a terminal, one line per event otherwise."""

    def __init__(self, quiet: bool) -> None:
        self._quiet = quiet
        self._tty = sys.stderr.isatty()

    async def __call__(self, event: ProgressEvent) -> None:
        if self._quiet:
            return
        count = f" [{event.current}/{event.total}]" if event.current is not None and event.total else ""
        line = f"{event.step}{count}: {event.message}"
        if self._tty:
            sys.stderr.write("\r\033[K" + line)
            if event.total is None or event.current == event.total:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


class Script:
    """Runs one script invocation; ``Script(parser, action, render).main(argv)`` returns the exit code.

    ``compact_json`` prints ``--json`` output without indentation. ``needs_client(args)`` says whether this invocation talks to the API; when it returns False the
    action gets ``client=None`` and no configuration is required (e.g. validating a transform locally).
    """

    def __init__(
        self,
        parser: argparse.ArgumentParser,
        action: Action,
        render: Renderer,
        *,
        needs_client: Callable[[argparse.Namespace], bool] = lambda args: True,
        compact_json: bool = False,
    ) -> None:
        self._parser = parser
        self._action = action
        self._render = render
        self._needs_client = needs_client
        # Large listings are read by programs: no indentation, which is most of their bytes.
        self._indent = None if compact_json else 2
        self._separators = (",", ":") if compact_json else None

    def main(self, argv: Sequence[str] | None = None) -> int:
        args = self._parser.parse_args(argv)
        try:
            result = asyncio.run(self._run(args))
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BaseException as error:  # noqa: BLE001 - every failure becomes a documented exit code
            return self._fail(args, error)
        return self._succeed(args, result)

    async def _run(self, args: argparse.Namespace) -> BaseModel:
        from nexla_ops.client import AsyncNexlaClient
        from nexla_ops.config import Settings

        progress = _StderrProgress(args.quiet)
        if not self._needs_client(args):
            return await self._action(args, None, progress)
        settings = Settings.from_env()
        async with AsyncNexlaClient(settings) as client:
            return await self._action(args, client, progress)

    def _succeed(self, args: argparse.Namespace, result: BaseModel) -> int:
        code = ExitCode(getattr(result, "exit_code", ExitCode.OK))
        payload = redact(result.model_dump(mode="json"))
        if args.json:
            print(json.dumps({"ok": code == ExitCode.OK, "result": payload}, indent=self._indent,
                             separators=self._separators, default=str))
        else:
            print(self._render(result))
        return int(code)

    def _fail(self, args: argparse.Namespace, error: BaseException) -> int:
        detail = error_document(error).as_json()
        code = ExitCode(detail["exit_code"])
        if args.json:
            print(json.dumps({"ok": False, "error": detail}, indent=self._indent, separators=self._separators, default=str))
        hint = detail.get("hint")
        print(f"error: {detail['message']}", file=sys.stderr)
        if hint:
            print(f"hint: {hint}", file=sys.stderr)
        if code == ExitCode.FAILED and not isinstance(error, NexlaError):
            print(f"({type(error).__name__}: {scrub_text(str(error))})", file=sys.stderr)
        return int(code)
