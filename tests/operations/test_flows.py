"""Flow control against the sandbox: show, activate/pause, copy, guarded delete."""

from __future__ import annotations

import pytest

from nexla_ops.operations.flows import (
    CopyOptions,
    DeleteRequest,
    FlowTarget,
    activate,
    copy_flow,
    delete,
    get_flow,
    pause,
)
from nexla_ops.errors import NexlaError
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.operations.listing import ListQuery, list_resources
from tests.helpers.deploy import client_for, inventory


async def test_show_pause_activate_whole_tree_and_one_resource(sandbox, deployed):
    async with client_for(sandbox) as client:
        flow = await get_flow(client, "sources", deployed.source_id)
        assert flow.counts == {"data_sources": 1, "data_sets": 2, "data_sinks": 1}
        assert flow.active and flow.flow_id == deployed.flow_id
        paused = await pause(client, FlowTarget(kind="flows", id=flow.flow_id))
        assert {n.status for n in paused.flow.nodes} == {"PAUSED"}
        sink_id = deployed.created[-1].id
        one = await activate(client, FlowTarget(kind="sink", id=sink_id, whole_tree=False))
        statuses = {(n.kind.value, n.id): n.status for n in one.flow.nodes}
        assert statuses[("data_sinks", sink_id)] == "ACTIVE"
        assert statuses[("data_sources", deployed.source_id)] == "PAUSED"
        rows = await list_resources(client, ListQuery(kind="flows"))
        assert [r["node_counts"] for r in rows.items] == [{"data_sources": 1, "data_sets": 2, "data_sinks": 1}]


async def test_copy_makes_a_second_flow(sandbox, deployed):
    async with client_for(sandbox) as client:
        copied = await copy_flow(client, deployed.flow_id, CopyOptions(reuse_data_credentials=True))
        assert copied.original_flow_id == deployed.flow_id
        assert copied.new_flow.flow_id != deployed.flow_id
        assert copied.new_flow.source_id != deployed.source_id


async def test_delete_guards_then_deletes(sandbox, deployed):
    async with client_for(sandbox) as client:
        flow = await get_flow(client, "flows", deployed.flow_id)
        base = DeleteRequest(kind="flows", id=deployed.flow_id)
        with pytest.raises(OperationRefused, match="needs confirmation"):
            await delete(client, base)
        with pytest.raises(OperationRefused, match="does not match"):
            await delete(client, base.model_copy(update={"confirm": True, "confirm_name": "wrong"}))
        with pytest.raises(OperationRefused, match="is active") as refused:
            await delete(client, base.model_copy(update={"confirm": True, "confirm_name": flow.name}))
        assert "--pause-first" in refused.value.hint and "flow_control.py pause" in refused.value.hint
        assert (await get_flow(client, "flows", deployed.flow_id)).active
        result = await delete(client, base.model_copy(update={"confirm": True, "confirm_name": flow.name, "pause_first": True}))
        assert result.paused and len(result.deleted) == 4
        left = await inventory(client)
        assert left["data_sources"] == [] and left["data_sinks"] == [] and left["data_sets"] == []


async def test_a_failed_delete_activates_the_flow_it_paused_again(sandbox, deployed):
    async with client_for(sandbox) as client:
        flow = await get_flow(client, "flows", deployed.flow_id)
        sandbox.control.post("faults", json={"method": "DELETE", "path": rf"^/flows/{flow.flow_id}$",
                                             "status": 400, "count": 1}).raise_for_status()
        request = DeleteRequest(kind="flows", id=flow.flow_id, confirm=True, confirm_name=flow.name, pause_first=True)
        with pytest.raises(NexlaError):
            await delete(client, request)
        after = await get_flow(client, "flows", flow.flow_id)
    assert after.active and {node.status for node in after.nodes} == {"ACTIVE"}
