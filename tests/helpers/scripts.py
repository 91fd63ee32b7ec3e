"""Run a script of ``scripts/`` as a subprocess, the way a person or CI does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_script(
    name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python scripts/<name>.py ARGS`` from the repo root with ``env``, capturing text output."""
    return subprocess.run(
        [sys.executable, f"scripts/{name}.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
