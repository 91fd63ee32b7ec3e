"""nexla-sdk 1.0.8 methods of the families its integration suite and Nexla's monitoring use, unchanged.

Lookups with entries, user settings and metrics, quarantine settings, notification types and
settings, org custodians and member activation, nexset docs, flow health, log search, run
status, run-now and flow update, each through the SDK's own calls against the sandbox.
"""

from __future__ import annotations

import pytest
from nexla_ops.operations.deploy import apply_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sdk import NexlaClient
from nexla_sdk.models.lookups.requests import LookupCreate, LookupUpdate
from nexla_sdk.models.notifications.requests import NotificationChannelSettingCreate, NotificationSettingCreate
from nexla_sdk.models.organizations.custodians import OrgCustodianRef, OrgCustodiansPayload
from nexla_sdk.models.organizations.requests import OrgMemberActivateDeactivateRequest
from nexla_sdk.models.runtimes.requests import RuntimeCreate, RuntimeUpdate

from tests.helpers.deploy import SECRET_ENV, client_for, make_spec


@pytest.fixture
async def flow(sandbox, monkeypatch) -> dict:
    """The guide's flow, deployed and active (not yet run)."""
    monkeypatch.setenv(SECRET_ENV, "families-secret")
    write_demo_data(sandbox.data_dir)
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, make_spec())
    assert result.status == "applied", result.error
    nexsets = [c.id for c in result.created if c.kind == "data_sets"]
    credential = next(c.id for c in result.created if c.kind == "data_credentials")
    return {"flow_id": result.flow_id, "source_id": result.source_id, "nexset_id": nexsets[-1],
            "credential_id": credential}


def test_lookup_crud_and_entries(sdk: NexlaClient) -> None:
    lookup = sdk.lookups.create(LookupCreate(name="countries", data_type="string", map_primary_key="code",
                                             data_defaults={"code": "??", "name": "Unknown"}, tags=["geo"],
                                             data_map=[{"code": "NO", "name": "Norway"}]))
    assert lookup.map_entry_count == 1 and lookup.tags == ["geo"] and lookup.description == ""
    written = sdk.lookups.upsert_entries(lookup.id, [{"code": "KE", "name": "Kenya"}, {"code": "NO", "name": "Noreg"}])
    assert [e["code"] for e in written] == ["KE", "NO"]
    assert sdk.lookups.get_entries(lookup.id, ["NO", "KE", "XX"]) == [{"code": "NO", "name": "Noreg"},
                                                                      {"code": "KE", "name": "Kenya"}]
    assert sdk.lookups.get(lookup.id).map_entry_count == 2
    sdk.lookups.delete_entries(lookup.id, "NO")
    assert sdk.lookups.get_entries(lookup.id, "NO") == []
    updated = sdk.lookups.update(lookup.id, LookupUpdate(description="ISO codes", emit_data_default=True))
    assert updated.description == "ISO codes" and updated.emit_data_default and updated.map_entry_count == 1
    assert lookup.id in [item.id for item in sdk.lookups.list()]
    sdk.lookups.delete(lookup.id)
    assert lookup.id not in [item.id for item in sdk.lookups.list()]


def test_user_settings_quarantine_and_metrics_after_a_run(sandbox, sdk: NexlaClient, flow: dict) -> None:
    user_id = sandbox.users["admin"]
    assert [s.user_settings_type for s in sdk.users.get_settings()] == ["UI"]
    created = sdk.users.create_quarantine_settings(user_id, flow["credential_id"], {"path": "quarantine/"})
    assert created["config"] == {"path": "quarantine/"} and created["data_credentials"]["id"] == flow["credential_id"]
    assert sdk.users.update_quarantine_settings(user_id, {"config": {"path": "q2/"}})["config"] == {"path": "q2/"}
    sdk.users.delete_quarantine_settings(user_id)
    with pytest.raises(Exception, match="quarantine_settings"):
        sdk.users.get_quarantine_settings(user_id)

    sandbox.control.post(f"sources/{flow['source_id']}/run").raise_for_status()
    account = sdk.users.get_account_metrics(user_id, from_date="2020-01-01")
    assert sum(day["data"]["records"] for day in account["metrics"]) > 0
    dashboard = sdk.users.get_dashboard_metrics(user_id)
    assert str(flow["source_id"]) in dashboard["metrics"]["sources"]
    daily = sdk.users.get_daily_metrics(user_id, resource_type="SOURCE", from_date="2020-01-01")
    assert daily["metrics"] and daily["metrics"][0]["records"] > 0


def test_notification_types_settings_and_channels(sdk: NexlaClient, flow: dict) -> None:
    types = sdk.notifications.get_types()
    error = sdk.notifications.get_type("ERROR", "SOURCE")
    assert error.id in [t.id for t in types] and error.event_type == "ERROR"
    channel = sdk.notifications.create_channel_setting(
        NotificationChannelSettingCreate(channel="SLACK", config={"webhook_url": "https://hooks.example/x"}))
    assert [c.id for c in sdk.notifications.list_channel_settings()] == [channel.id]
    setting = sdk.notifications.create_setting(NotificationSettingCreate(
        channel="SLACK", notification_type_id=error.id, resource_id=flow["source_id"]))
    assert setting.notification_resource_type == "SOURCE" and setting.status == "ACTIVE"
    assert [s.id for s in sdk.notifications.get_settings_by_type(error.id)] == [setting.id]
    assert [s.id for s in sdk.notifications.list_settings(event_type="ERROR")] == [setting.id]
    assert sdk.notifications.list_settings(event_type="PAUSE") == []
    sdk.notifications.delete_setting(setting.id)
    sdk.notifications.delete_channel_setting(channel.id)
    assert sdk.notifications.list_channel_settings() == []


def test_org_custodians_and_member_deactivation(sandbox, sdk: NexlaClient) -> None:
    org_id = sdk.organizations.list()[0].id
    operator = sandbox.users["operator"]
    named = OrgCustodiansPayload(custodians=[OrgCustodianRef(id=operator)])
    added = sdk.organizations.add_custodians(org_id, named)
    assert [c.id for c in added] == [operator]
    assert [c.id for c in sdk.organizations.get_custodians(org_id)] == [operator]
    sdk.organizations.remove_custodians(org_id, named)
    assert sdk.organizations.get_custodians(org_id) == []

    who = OrgMemberActivateDeactivateRequest(members=[{"id": operator}])
    members = sdk.organizations.deactivate_members(org_id, who)
    assert {m.id: m.org_membership_status for m in members}[operator] == "DEACTIVATED"
    operator_sdk = NexlaClient(service_key=sandbox.keys["operator"], base_url=sandbox.base_url)
    assert org_id not in [o.id for o in operator_sdk.organizations.list()]
    members = sdk.organizations.activate_members(org_id, who)
    assert {m.id: m.org_membership_status for m in members}[operator] == "ACTIVE"


def test_nexset_docs_replace_all(sdk: NexlaClient, flow: dict) -> None:
    assert sdk.nexsets.list_docs(flow["nexset_id"]) == []
    docs = sdk.nexsets.update_docs(flow["nexset_id"], [{"name": "README", "text": "# Orders", "doc_type": "markdown"}])
    assert [(d.name, d.text) for d in docs] == [("README", "# Orders")]
    sdk.nexsets.update_docs(flow["nexset_id"], [{"name": "Schema", "text": "order_id: string"}])
    assert [d.name for d in sdk.nexsets.list_docs(flow["nexset_id"])] == ["Schema"]


def test_flow_health_logs_run_status_run_now_and_update(sandbox, sdk: NexlaClient, flow: dict) -> None:
    flow_id = flow["flow_id"]
    before = sdk.flows.get_flow_health(flow_id)["runs_count"]
    # Activation already read the input files once; this run finds nothing new, and still runs.
    run = sdk.request("POST", f"/flows/{flow_id}/run_now")
    assert run["status"] == "SUCCESS" and run["flow_id"] == flow_id
    health = sdk.flows.get_flow_health(flow_id)
    # The activation's own run may finish in the background meanwhile, so count at least this one.
    assert health["last_run_id"] == run["run_id"] and health["runs_count"] >= before + 1
    assert health["health_status"] == "HEALTHY"
    summary = sdk.flows.get_org_health_summary()
    assert summary["total_flows"] == 1 and summary["active_flows"] == 1
    listed = sdk.flows.get_org_health_flows(health_status=health["health_status"])
    assert [f["flow_id"] for f in listed["data"]] == [flow_id]
    status = sdk.flows.get_run_status(flow_id, run["run_id"])
    assert status["status"] == "SUCCESS" and status["records_out"] == run["records_out"]
    logs = sdk.flows.search_flow_logs(flow_id, run_ids=[run["run_id"]])
    entries = logs["logs"]["data"]
    assert entries and {e["run_id"] for e in entries} == {run["run_id"]}
    assert all(isinstance(e["timestamp"], int) and e["severity"] in {"INFO", "WARNING", "ERROR"} for e in entries)
    assert sdk.flows.search_flow_logs(flow_id, search_string="no such text anywhere")["logs"]["data"] == []
    active = sdk.flows.get_active_flows_metrics()
    assert [m["flow_id"] for m in active["metrics"]["data"]] == [flow_id]
    renamed = sdk.request("PUT", f"/flows/{flow_id}", json={"name": "orders, renamed"})
    assert renamed["data_sources"][0]["name"] == "orders, renamed"


def test_run_now_refuses_a_paused_flow_and_put_flow_refuses_unknown_fields(sdk: NexlaClient, flow: dict) -> None:
    sdk.flows.pause(flow["flow_id"])
    with pytest.raises(Exception, match="not active"):
        sdk.request("POST", f"/data_sources/{flow['source_id']}/run_now")
    with pytest.raises(Exception, match="Unknown flow fields"):
        sdk.request("PUT", f"/flows/{flow['flow_id']}", json={"status": "ACTIVE"})


def test_runtime_crud_activate_pause(sdk: NexlaClient) -> None:
    runtime = sdk.runtimes.create(RuntimeCreate(name="py311", dockerpath="nexla/python:3.11", config={"memory_mb": 512}))
    assert runtime.active is False and runtime.config == {"memory_mb": 512}
    assert sdk.runtimes.activate(runtime.id).active is True
    assert sdk.runtimes.pause(runtime.id).active is False
    assert sdk.runtimes.update(runtime.id, RuntimeUpdate(description="Python 3.11")).description == "Python 3.11"
    assert [r.id for r in sdk.runtimes.list()] == [runtime.id]
    sdk.runtimes.delete(runtime.id)
    assert sdk.runtimes.list() == []
