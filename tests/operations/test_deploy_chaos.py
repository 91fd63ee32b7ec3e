"""Deploys under a seeded mix of faults on every API route (5xx, 429 with Retry-After, dropped
connections, and lost answers after commit when the sandbox has them): every apply ends applied
or cleanly rolled back, a re-apply without faults converges, and nothing is duplicated or left
behind."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from nexla_ops.errors import NexlaError
from nexla_ops.operations.deploy import apply_deployment, destroy_deployment, parse_spec, plan_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, client_for, control, inject_fault, inventory, sandbox_has_after_commit_faults, spec_data

ROUNDS = 4


def variant(round_number: int) -> dict[str, Any]:
    """The deployed spec edited a little more each round (a nexset added, a destination re-pointed)."""
    data = spec_data("chaos")
    extra = [{"name": f"chaos-step-{i}", "transform": {"version": 1, "operations": [
        {"operation": "filter", "condition": f"status != 'X{i}'"}]}} for i in range(round_number % 3)]
    data["nexsets"] = extra + data["nexsets"]
    if round_number % 2:
        data["destinations"].append({"name": "chaos-json", "type": "s3", "from": data["nexsets"][0]["name"],
                                     "config": {"path": "analytics/chaos-json/", "data_format": "json"}})
    return data


def fault_mix(sandbox: Any, seed: int) -> None:
    control(sandbox, "DELETE", "faults")
    mix = [(503, 0.08, {}), (500, 0.03, {}), (429, 0.06, {"retry_after": "0"}), (0, 0.03, {})]
    if sandbox_has_after_commit_faults(sandbox):
        mix.append((504, 0.05, {"after_commit": True}))
    for index, (status, probability, options) in enumerate(mix):
        inject_fault(sandbox, "*", r"^/(?!token)", status=status, count=None, probability=probability,
                     seed=seed if index == 0 else None, **options)


async def test_deploys_under_faults_end_applied_or_rolled_back_and_converge(sandbox, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    write_demo_data(sandbox.data_dir)
    outcomes: Counter[str] = Counter()
    fired = 0
    async with client_for(sandbox, breaker_cooldown_s=0.5) as client:
        before = await inventory(client)
        for round_number in range(ROUNDS):
            spec = parse_spec(variant(round_number))
            fault_mix(sandbox, seed=round_number)
            try:
                result = await apply_deployment(client, spec)
            except NexlaError as error:
                # Validation or planning could not read the server: nothing was sent but GETs.
                assert error.retryable, error
                outcomes["not started"] += 1
            else:
                assert result.status in ("applied", "unchanged", "rolled_back"), result.error
                if result.status == "rolled_back":
                    assert result.rollback is not None and result.rollback.clean, result.rollback
                outcomes[result.status] += 1
            fired += sum(fault["matched"] for fault in control(sandbox, "GET", "faults"))
            control(sandbox, "DELETE", "faults")
            async with client_for(sandbox) as rerun:  # a later run: its own circuit breaker
                again = await apply_deployment(rerun, spec)
                assert again.status in ("applied", "unchanged"), (again.failed_step, again.error)
                assert (await plan_deployment(rerun, spec)).unchanged
                found = await inventory(rerun)
            for kind in ("data_credentials", "data_sources", "data_sets", "data_sinks"):
                names = Counter(name for _, name in found[kind] if name and name.startswith("chaos"))
                assert not [n for n, c in names.items() if c > 1], (kind, names)
        assert sum(outcomes.values()) == ROUNDS
        assert fired >= ROUNDS, "the fault mix never fired"
    async with client_for(sandbox) as client:
        result = await destroy_deployment(client, parse_spec(variant(ROUNDS - 1)), confirm=True)
        assert not result.not_deleted
        assert await inventory(client) == before


CREATES = r"^/(data_credentials|data_sources|data_sets|data_sinks|projects)$"


def transient_mix(sandbox: Any, seed: int) -> None:
    """Only faults a retry cures: on reads, updates and deletes 5xx gateways, dropped connections and
    429s (28% in all); on creates 429s and answers lost after commit."""
    control(sandbox, "DELETE", "faults")
    mix: list[tuple[str, str, int, float, dict[str, Any]]] = [
        ("POST", CREATES, 504, 0.2, {"after_commit": True}), ("POST", CREATES, 429, 0.3, {"retry_after": "0"})]
    for method in ("GET", "PUT", "DELETE"):
        mix += [(method, r"^/(?!token)", 502, 0.08, {}), (method, r"^/(?!token)", 503, 0.08, {}),
                (method, r"^/(?!token)", 0, 0.06, {}), (method, r"^/(?!token)", 429, 0.1, {"retry_after": "0"})]
    for index, (method, path, status, probability, options) in enumerate(mix):
        inject_fault(sandbox, method, path, status=status, count=None, probability=probability,
                     seed=seed if index == 0 else None, **options)


async def test_transient_faults_alone_never_make_a_deploy_roll_back(sandbox, monkeypatch):
    if not sandbox_has_after_commit_faults(sandbox):
        pytest.skip("this sandbox has no after_commit faults (process the request, then lose the answer)")
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    write_demo_data(sandbox.data_dir)
    # Three attempts per request: at these rates one request in 45 spends them all, so a deploy of
    # dozens of requests gets through only if its steps send a transient failure again.
    async with client_for(sandbox, max_attempts=3, breaker_cooldown_s=0.5) as client:
        for round_number in range(3):
            spec = parse_spec(variant(round_number + 1))
            transient_mix(sandbox, seed=100 + round_number)
            result = await apply_deployment(client, spec)
            fired = sum(fault["matched"] for fault in control(sandbox, "GET", "faults"))
            control(sandbox, "DELETE", "faults")
            assert result.status == "applied", (round_number, result.failed_step, result.error)
            assert fired > 0, "the fault mix never fired"
            async with client_for(sandbox) as rerun:
                assert (await plan_deployment(rerun, spec)).unchanged
                found = await inventory(rerun)
            for kind in ("data_credentials", "data_sources", "data_sets", "data_sinks"):
                names = Counter(name for _, name in found[kind] if name and name.startswith("chaos"))
                assert not [n for n, c in names.items() if c > 1], (kind, names)
