"""`make demo` runs the whole story on the sandbox and exits 0, printing the transcript."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(300)
def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "demo/run_demo.py"],
        cwd=REPO, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DEMO_DIR": str(tmp_path / "demo")},
        capture_output=True, text=True, timeout=280,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    transcript = done.stdout
    for tool in ("quickstart", "plan_deployment", "apply_deployment", "check_health", "get_daily_metrics",
                 "get_run_summaries", "get_logs", "list_access"):
        assert f"(tool: {tool})" in transcript
    assert "Output files" in transcript
    assert list((tmp_path / "demo" / "sandbox-data" / "s3" / "analytics" / "orders").glob("run-*.parquet"))
    assert "demo-secret-not-real" not in transcript + done.stderr
