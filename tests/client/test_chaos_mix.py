"""The chaos drill's fault list gives the documented share of each fault (the sandbox rolls them in order)."""

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from chaos import FAULT_MIX, JITTER, fault_specs  # noqa: E402


def simulate(specs: list[dict], draws: int, method: str = "GET") -> dict[str, int]:
    """What the sandbox's first-match rule does with these probabilities, request by request."""
    rng = random.Random(1)
    seen: dict[str, int] = {}
    for _ in range(draws):
        for spec in specs:
            if spec.get("method", "*") not in ("*", method):
                continue
            if rng.random() < spec["probability"]:
                key = f"status {spec['status']}" if spec["status"] is not None else f"delay {spec['delay_s']}"
                seen[key] = seen.get(key, 0) + 1
                break
    return seen


def test_each_fault_gets_its_share_of_all_requests():
    draws = 60_000
    seen = simulate(fault_specs(seed=12, after_commit=0.0), draws)
    for status, share in FAULT_MIX:
        assert seen[f"status {status}"] / draws == pytest.approx(share, abs=0.006)
    for delay, share in JITTER:
        assert seen[f"delay {delay}"] / draws == pytest.approx(share, abs=0.006)
    faulted = sum(seen[f"status {s}"] for s, _ in FAULT_MIX) / draws
    assert faulted == pytest.approx(0.30, abs=0.01)


def test_after_commit_losses_leave_reads_alone_and_keep_the_seed_first():
    specs = fault_specs(seed=7, after_commit=0.03)
    assert specs[0]["seed"] == 7
    lost = [s for s in specs if s.get("after_commit")]
    assert len(lost) == 1 and lost[0]["method"] == "POST"
    reads = simulate(specs, 20_000, method="GET")
    assert "status 0" in reads and reads["status 0"] / 20_000 == pytest.approx(0.05, abs=0.006)
