"""``make chaos`` at a small scale, as a subprocess: the invariants that hold whatever the faults did.

The drill (tools/chaos.py) starts its own sandbox with the seeded fault mix (5xx, 429 with
Retry-After, dropped connections, latency, after-commit losses on creates), deploys, re-applies
with the faults off, runs health checks against fault-free verdicts and a batch update. How many
deploys apply on the first try depends on the faults; these figures may never move: nothing
duplicated or orphaned, everything converges, no batch item done twice or silently lost, no
health verdict other than the truth or an honest "unknown, retry".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("chaos") / "figures.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXLA_")}
    done = subprocess.run(
        [sys.executable, "tools/chaos.py", "--deploys", "3", "--batch", "10", "--health", "2", "--quiet",
         "--json", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "false health verdicts" in done.stdout  # the table a person reads
    return json.loads(out.read_text())


@pytest.mark.timeout(300)
def test_the_faults_fired_and_after_commit_losses_were_injected(figures):
    statuses = figures["sandbox_statuses"]
    assert any(status in statuses for status in ("429", "502", "503", "504")), statuses
    assert figures["faults_refused_by_sandbox"] == []


@pytest.mark.timeout(300)
def test_deploys_leave_no_duplicate_or_orphan_and_converge(figures):
    deploys = figures["deploys"]
    assert deploys["duplicates"] == 0 and deploys["orphans"] == 0, deploys
    assert deploys["converged_on_reapply"] == deploys["total"] == 3, deploys
    assert deploys["rolled_back_with_leftovers"] == 0, deploys


@pytest.mark.timeout(300)
def test_no_batch_item_is_done_twice_or_silently_lost(figures):
    batch = figures["batch"]
    assert batch["done_twice"] == 0, batch
    assert batch["audited"] >= batch["done"] > 0, batch  # the audit count can see the updates it judges
    surfaced = batch["failures_surfaced"]
    assert isinstance(surfaced, int), surfaced
    assert batch["done"] + surfaced == batch["items"] == 10, batch


@pytest.mark.timeout(300)
def test_no_health_verdict_is_false(figures):
    health = figures["health"]
    assert health["false_verdicts"] == 0 and health["false_checks"] == 0, health
    assert health["right"] + health["unknown"] == health["checks"] == 2, health
    # Every deployed flow was judged (each deploy is one flow), against a truth that held still.
    assert health["flows_per_check"] == 3 and health["truth_drifted"] == 0, health
    # The checks are held to every verdict: one flow ran clean, one failed its run, one is paused.
    assert health["truth"] == {"healthy": 1, "critical": 1, "warning": 1}, health
