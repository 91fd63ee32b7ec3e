"""Projects and safe copies against the sandbox: create, list/add/remove flows; copy into a project
with destination overrides and a credential map; no activation of a copy writing where its original writes."""

from __future__ import annotations

import pytest

from nexla_ops.errors import NexlaError
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.operations.projects import ProjectRequest, manage_project
from nexla_ops.operations.promotion import DestinationOverride, PromotionRequest, copy_flow_to_project
from tests.helpers.deploy import client_for, inject_fault, inventory, mutating_requests, reset_requests


def _sink(deployed) -> int:
    return next(r.id for r in deployed.created if r.kind == "data_sinks")


async def test_create_add_list_remove(sandbox, deployed) -> None:
    async with client_for(sandbox) as client:
        created = await manage_project(client, ProjectRequest(action="create", name="staging"))
        assert created.flows == [] and created.changed == []
        pid = created.project_id
        added = await manage_project(client, ProjectRequest(action="add_flows", project_id=pid,
                                                            flow_ids=[deployed.flow_id]))
        assert [f.flow_id for f in added.flows] == [deployed.flow_id] and added.changed == [deployed.flow_id]
        again = await manage_project(client, ProjectRequest(action="add_flows", project_id=pid, flow_ids=[deployed.flow_id]))
        assert again.changed == []
        listed = await manage_project(client, ProjectRequest(action="list_flows", project_id=pid))
        assert listed.flows[0].source_id == deployed.source_id and listed.name == "staging"
        with pytest.raises(OperationRefused):
            await manage_project(client, ProjectRequest(action="remove_flows", project_id=pid))
        removed = await manage_project(client, ProjectRequest(action="remove_flows", project_id=pid,
                                                              flow_ids=[deployed.flow_id]))
        assert removed.flows == [] and removed.changed == [deployed.flow_id]


async def test_create_with_flows_resolves_any_node_id_to_the_root(sandbox, deployed) -> None:
    async with client_for(sandbox) as client:
        flow = await client.get(f"/data_sinks/{_sink(deployed)}/flow")
        sink_node = next(n for n in _walk(flow["flows"][0]) if n.get("data_sink_id"))["id"]
        created = await manage_project(client, ProjectRequest(action="create", name="p", flow_ids=[sink_node]))
    assert [f.flow_id for f in created.flows] == [deployed.flow_id]


def _walk(node):
    yield node
    for child in node.get("children") or []:
        yield from _walk(child)


async def test_copy_to_project_with_a_new_path_activates_and_writes_elsewhere(sandbox, deployed) -> None:
    sink_id = _sink(deployed)
    async with client_for(sandbox) as client:
        pid = (await manage_project(client, ProjectRequest(action="create", name="staging"))).project_id
        result = await copy_flow_to_project(client, PromotionRequest(
            flow_id=deployed.flow_id, project_id=pid, activate=True,
            destination_overrides={sink_id: DestinationOverride(config={"path": "staging/orders/"})},
        ))
        assert result.activated and result.same_destination == []
        copy_sink = next(r for r in result.resources if r.kind == "data_sinks")
        assert copy_sink.original_id == sink_id and copy_sink.location["path"] == "staging/orders/"
        held = await client.get(f"/data_sinks/{copy_sink.id}")
        assert held["sink_config"]["data_format"] == "parquet"  # other keys kept
        original = await client.get(f"/data_sinks/{sink_id}")
        assert original["sink_config"]["path"] == "analytics/orders/"
        project = await manage_project(client, ProjectRequest(action="list_flows", project_id=pid))
        assert [f.flow_id for f in project.flows] == [result.new_flow_id]
        status = (await client.get(f"/data_sources/{next(r.id for r in result.resources if r.kind == 'data_sources')}"))
        assert status["status"] == "ACTIVE"


async def test_activation_refused_when_the_copy_writes_where_the_original_writes(sandbox, deployed) -> None:
    async with client_for(sandbox) as client:
        before = await inventory(client)
        reset_requests(sandbox)
        with pytest.raises(OperationRefused, match="writes") as refused:
            await copy_flow_to_project(client, PromotionRequest(flow_id=deployed.flow_id, activate=True))
        assert "destination_overrides" in refused.value.hint
        assert mutating_requests(sandbox) == {} and await inventory(client) == before
        # Paused copies are allowed and say where they write; told to, it activates.
        paused = await copy_flow_to_project(client, PromotionRequest(flow_id=deployed.flow_id))
        assert not paused.activated and paused.same_destination == [r.id for r in paused.resources if r.kind == "data_sinks"]
        allowed = await copy_flow_to_project(client, PromotionRequest(flow_id=deployed.flow_id, activate=True,
                                                                      allow_same_destination=True))
        assert allowed.activated


async def test_promotion_with_a_credential_map(sandbox, deployed) -> None:
    async with client_for(sandbox) as client:
        flow = await client.get(f"/data_sources/{deployed.source_id}")
        old = flow["data_credentials_id"]
        staging = await client.post("/data_credentials", json={
            "name": "staging-s3", "credentials_type": "s3",
            "credentials": {"access_key_id": "AKIASTAGE", "secret_access_key": "staging-secret"}})
        pid = (await manage_project(client, ProjectRequest(action="create", name="stage"))).project_id
        result = await copy_flow_to_project(client, PromotionRequest(
            flow_id=deployed.flow_id, project_id=pid, credential_map={old: staging["id"]}, activate=True))
        assert result.activated and result.same_destination == []
        assert {r.credential_id for r in result.resources} == {staging["id"]}
        assert (await client.get(f"/data_sources/{deployed.source_id}"))["data_credentials_id"] == old

        gcs = await client.post("/data_credentials", json={"name": "g", "credentials_type": "gcs", "credentials": {}})
        with pytest.raises(ValueError, match="is gcs"):
            await copy_flow_to_project(client, PromotionRequest(flow_id=deployed.flow_id, credential_map={old: gcs["id"]}))
        with pytest.raises(ValueError, match="not used by flow"):
            await copy_flow_to_project(client, PromotionRequest(flow_id=deployed.flow_id, credential_map={gcs["id"]: old}))
        with pytest.raises(ValueError, match="not a destination"):
            await copy_flow_to_project(client, PromotionRequest(
                flow_id=deployed.flow_id, destination_overrides={deployed.source_id: DestinationOverride()}))


async def test_a_failure_after_the_copy_deletes_the_copy(sandbox, deployed) -> None:
    async with client_for(sandbox) as client:
        pid = (await manage_project(client, ProjectRequest(action="create", name="broken"))).project_id
        before = await inventory(client)
        inject_fault(sandbox, "PUT", rf"^/projects/{pid}/flows$", status=400, count=1)
        with pytest.raises(NexlaError) as failed:
            await copy_flow_to_project(client, PromotionRequest(flow_id=deployed.flow_id, project_id=pid))
        assert "deleted again" in failed.value.hint
        assert await inventory(client) == before
