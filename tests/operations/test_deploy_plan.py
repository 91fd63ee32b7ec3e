"""The plan announces every change apply makes: inserting or appending a nexset re-parents what
follows it, and the plan says so before apply does it."""

from __future__ import annotations

import copy

import pytest

from nexla_ops.operations.deploy import apply_deployment, parse_spec, plan_deployment
from tests.helpers.deploy import TRANSFORM, announced, applied_changes, client_for, spec_data


pytestmark = pytest.mark.usefixtures("deploy_secret")


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


async def test_a_removed_nexset_is_deleted_unless_someone_elses_resource_reads_it(sandbox, demo):
    data = spec_data()
    data["nexsets"].append(second_nexset("orders-to-parquet-clean"))
    async with client_for(sandbox) as client:
        first = await apply_deployment(client, parse_spec(data))
        assert first.status == "applied", first.error
        ids = {r.name: r.id for r in first.resources}
        # A teammate's destination (not tagged by this deployment) reads the first nexset.
        credential = next(r.id for r in first.created if r.kind == "data_credentials")
        theirs = await client.post("/data_sinks", json={
            "name": "teammate-sink", "sink_type": "s3", "data_set_id": ids["orders-to-parquet-items"],
            "data_credentials_id": credential, "sink_config": {"path": "analytics/teammate/"}})
        kept = spec_data()
        kept["nexsets"] = [second_nexset("orders-to-parquet-clean")]
        plan = await plan_deployment(client, parse_spec(kept))
        assert not [c for c in plan.changes if c.action == "delete"]
        assert {c.path: c.action for c in plan.changes}["nexsets[0]"] == "update"  # re-parented
        result = await apply_deployment(client, parse_spec(kept))
        assert result.status == "applied", result.error
        assert (await client.get(f"/data_sinks/{theirs['id']}"))["data_set_id"] == ids["orders-to-parquet-items"]

        await client.put(f"/data_sinks/{theirs['id']}/pause")
        await client.delete(f"/data_sinks/{theirs['id']}")
        plan = await plan_deployment(client, parse_spec(kept))
        assert [(c.kind, c.id) for c in plan.changes if c.action == "delete"] == [
            ("data_sets", ids["orders-to-parquet-items"])]
        result = await apply_deployment(client, parse_spec(kept))
        assert result.status == "applied", result.error
        assert [r.id for r in result.deleted] == [ids["orders-to-parquet-items"]]
        assert (await plan_deployment(client, parse_spec(kept))).unchanged
