"""Find the runnable blocks of the skill's documents and run them against a sandbox.

A fenced block runs when its info string starts with ``bash``, ``python`` or ``mcp`` and does not
say ``norun``. ``expect-exit=N`` (bash/python) or ``expect-error`` (mcp) marks a block that
demonstrates a failure. ``mcp`` blocks hold ``{"tool": NAME, "arguments": {...}}``; a ``$VAR``
inside them is replaced from the recipe environment.
"""

from __future__ import annotations

import json
import os
import re
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNNABLE = ("bash", "python", "mcp")
_FENCE = re.compile(r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    document: str
    line: int
    language: str
    options: tuple[str, ...]
    code: str

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"

    @property
    def expected_exit(self) -> int:
        for option in self.options:
            if option.startswith("expect-exit="):
                return int(option.split("=", 1)[1])
        return 0

    @property
    def expects_error(self) -> bool:
        return "expect-error" in self.options


def extract_blocks(document: str) -> list[Block]:
    """Every runnable block of a document (path relative to the repo), in order."""
    text = (REPO / document).read_text()
    blocks = []
    for match in _FENCE.finditer(text):
        words = match.group("info").split()
        if not words or words[0] not in RUNNABLE or "norun" in words:
            continue
        line = text.count("\n", 0, match.start()) + 1
        body = "\n".join(row[len(match.group("indent")) :] for row in match.group("body").splitlines())
        blocks.append(Block(document, line, words[0], tuple(words[1:]), body))
    return blocks


def run_shell_block(block: Block, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run a bash or python block from the repo root with ``env``."""
    if block.language == "bash":
        command = ["bash", "-euo", "pipefail", "-c", block.code]
    else:
        command = [sys.executable, "-c", block.code]
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        command, cwd=REPO, env={**env, "PATH": path}, capture_output=True, text=True, timeout=timeout
    )


def mcp_call(block: Block, env: dict[str, str]) -> tuple[str, dict]:
    """The tool name and arguments of an ``mcp`` block, with ``$VARS`` substituted."""
    call = json.loads(string.Template(block.code).substitute(env))
    return call["tool"], call.get("arguments", {})
