"""Property: for random edits of a deployed spec (nexsets inserted, removed, reordered; transforms
and destinations changed), what apply creates, updates and deletes is exactly what the plan
announced, and planning again afterwards finds nothing to do.

One sandbox for every example; each example applies two specs in turn, so every apply starts
from whatever the previous one left (the edit is the difference between them).
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from nexla_ops.operations.deploy import apply_deployment, parse_spec, plan_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, announced, applied_changes, client_for, spec_data

NEXSETS = ("orders-a", "orders-b", "orders-c", "orders-d")
DESTINATIONS = ("sink-x", "sink-y")
CONDITIONS = ("status != 'CANCELLED'", "status != 'PENDING'", "status = 'SHIPPED'")


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    chain = draw(st.lists(st.sampled_from(NEXSETS), unique=True, max_size=3))
    nexsets = [{"name": name, "transform": {"version": 1, "operations": [
        {"operation": "filter", "condition": draw(st.sampled_from(CONDITIONS))}]}} for name in chain]
    destinations = []
    for name in draw(st.lists(st.sampled_from(DESTINATIONS), unique=True, min_size=1)):
        sink: dict[str, Any] = {"name": name, "type": "s3", "config": {
            "path": f"analytics/{name}/", "data_format": "json",
            "file_compression": draw(st.sampled_from(["none", "gzip"]))}}
        feeding = draw(st.none() | st.sampled_from(chain)) if chain else None
        if feeding is not None:
            sink["from"] = feeding
        destinations.append(sink)
    return spec_data("prop", nexsets=nexsets, destinations=destinations)


async def apply_and_check(sandbox: Any, data: dict[str, Any]) -> None:
    spec = parse_spec(data)
    async with client_for(sandbox) as client:
        plan = await plan_deployment(client, spec)
        result = await apply_deployment(client, spec)
        assert result.status in ("applied", "unchanged"), (result.failed_step, result.error)
        assert result.plan is not None
        assert announced(result.plan) == announced(plan)
        assert applied_changes(result) == announced(result.plan)
        for path, action in announced(plan):
            event(f"{action} {path.split('[')[0].split('.')[0]}")
        again = await plan_deployment(client, spec)
        assert again.unchanged, [(c.path, c.action, c.changes) for c in again.changes if c.action != "unchanged"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(specs(), min_size=2, max_size=2))
def test_apply_does_what_the_plan_announced(sandbox, monkeypatch, edits):
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    if not (sandbox.data_dir / "s3" / "ingest").exists():
        write_demo_data(sandbox.data_dir)
    for data in edits:
        asyncio.run(apply_and_check(sandbox, data))
