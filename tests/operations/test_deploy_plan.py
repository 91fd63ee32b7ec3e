"""The plan announces every change apply makes: inserting or appending a nexset re-parents what
follows it, and the plan says so before apply does it."""

from __future__ import annotations

import copy

import pytest

from nexla_ops.operations.deploy import apply_deployment, parse_spec, plan_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, TRANSFORM, announced, applied_changes, client_for, spec_data


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")


@pytest.fixture
def demo(sandbox):
    return write_demo_data(sandbox.data_dir)


def second_nexset(name: str) -> dict:
    transform = copy.deepcopy(TRANSFORM)
    transform["operations"] = [{"operation": "filter", "condition": "status != 'PENDING'"}]
    return {"name": name, "transform": transform}


@pytest.mark.parametrize("where", ["front", "end"])
async def test_a_new_nexset_reparents_what_follows_and_the_plan_says_so(sandbox, demo, where):
    async with client_for(sandbox) as client:
        first = await apply_deployment(client, parse_spec(spec_data()))
        assert first.status == "applied", first.error
        data = spec_data()
        if where == "front":
            data["nexsets"].insert(0, second_nexset("orders-to-parquet-clean"))
        else:
            data["nexsets"].append(second_nexset("orders-to-parquet-clean"))
        spec = parse_spec(data)
        plan = await plan_deployment(client, spec)
        actions = {c.path: c.action for c in plan.changes}
        new_index = 0 if where == "front" else 1
        assert actions[f"nexsets[{new_index}]"] == "create"
        if where == "front":
            assert actions["nexsets[1]"] == "update"  # its parent becomes the new nexset
            assert actions["destinations[0]"] == "unchanged"
        else:
            assert actions["nexsets[0]"] == "unchanged"
            assert actions["destinations[0]"] == "update"  # it now reads the new last nexset
        result = await apply_deployment(client, spec)
        assert result.status == "applied", result.error
        assert applied_changes(result) == announced(result.plan) == announced(plan)
        again = await plan_deployment(client, spec)
        assert again.unchanged, [c for c in again.changes if c.action != "unchanged"]
