"""Deploy against the sandbox: validate, plan (no mutating request), apply, idempotent re-apply,
update in place, destroy."""

from __future__ import annotations

import pytest

from nexla_ops.operations.deploy import (
    apply_deployment,
    destroy_deployment,
    plan_deployment,
    validate_deployment,
)
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.redaction import REDACTED
from nexla_ops.operations.progress import ProgressEvent
from tests.helpers.deploy import (
    SECRET_ENV,
    client_for,
    inventory,
    make_spec,
    mutating_requests,
    reset_requests,
    run_source,
    spec_data,
)
from nexla_ops.operations.deploy import parse_spec


pytestmark = pytest.mark.usefixtures("deploy_secret")


async def test_validate_names_the_failing_transform_operation(sandbox, demo):
    data = spec_data()
    data["nexsets"][0]["transform"]["operations"][2]["condition"] = "status != "
    async with client_for(sandbox) as client:
        report = await validate_deployment(client, parse_spec(data))
    assert not report.ok and report.exit_code == 5
    assert [i.path for i in report.issues] == ["nexsets[0].transform.operations[2].condition"]


async def test_validate_reports_missing_secret_variable(sandbox, demo, monkeypatch):
    monkeypatch.delenv(SECRET_ENV)
    async with client_for(sandbox) as client:
        report = await validate_deployment(client, make_spec())
    assert [i.path for i in report.issues] == ["credential.fields.secret_access_key"]
    assert SECRET_ENV in report.issues[0].message


async def test_plan_on_empty_server_creates_everything_and_sends_no_mutating_request(sandbox, demo):
    async with client_for(sandbox) as client:
        await client.get("/users/current")
        reset_requests(sandbox)
        plan = await plan_deployment(client, make_spec())
    assert mutating_requests(sandbox) == {}
    assert [(c.kind, c.action) for c in plan.changes] == [
        ("data_credentials", "create"), ("data_sources", "create"), ("data_sets", "detect"), ("data_sets", "create"),
        ("data_sinks", "create"),
    ]
    assert plan.activate == "activate"
    nexset, sink = plan.changes[3], plan.changes[4]
    assert (nexset.method, nexset.endpoint, nexset.refs) == ("POST", "/data_sets", {"parent_data_set_id": "source.detected"})
    assert nexset.body["parent_data_set_id"] == "<id of source.detected>"
    assert nexset.body["has_custom_transform"] is False and nexset.body["tags"] == ["nexla-ops:orders-to-parquet"]
    assert sink.refs == {"data_set_id": "nexsets[0]", "data_credentials_id": "credential"}
    shown = plan.model_dump(mode="json")["changes"][0]["body"]["credentials"]
    assert shown["secret_access_key"] == {"from_env": SECRET_ENV}
    # Every value the client has sent inside a `credentials` body is remembered as secret for the
    # rest of the process, so the key id shows as itself or, after an earlier send, redacted.
    assert shown["access_key_id"] in ("AKIADEMO", REDACTED)


@pytest.mark.parametrize("reference", [
    {"from_keyring": "orders-s3"},
    {"from_dotenv": {"file": "/home/user/nexla.env", "key": "S3_SECRET"}},
    {"from_user": "S3 secret key of the orders bucket"},
])
async def test_the_plan_shows_where_a_secret_will_come_from(sandbox, demo, reference):
    data = spec_data()
    data["credential"]["fields"]["secret_access_key"] = reference
    async with client_for(sandbox) as client:
        plan = await plan_deployment(client, parse_spec(data))
    assert plan.model_dump(mode="json")["changes"][0]["body"]["credentials"]["secret_access_key"] == reference


async def test_apply_builds_an_active_flow_that_writes_parquet_then_reapply_changes_nothing(sandbox, demo):
    events: list[ProgressEvent] = []

    async def progress(event: ProgressEvent) -> None:
        events.append(event)

    spec = make_spec()
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, spec, progress)
        assert result.status == "applied", result.error
        assert result.active
        assert [r.kind for r in result.created] == ["data_credentials", "data_sources", "data_sets", "data_sets", "data_sinks"]
        assert {"validate", "plan", "credentials", "source", "discovery", "nexsets", "destinations", "activate", "verify"} <= {e.step for e in events}
        for ref in result.created:
            if ref.kind != "data_sets" or ref.name.endswith("items"):
                record = await client.get(f"/{ref.kind}/{ref.id}")
                assert spec.tag in record["tags"]
        sink = await client.get(f"/data_sinks/{result.created[-1].id}")
        assert sink["sink_config"]["file_compression"] == "snappy"

        run = run_source(sandbox, result.source_id)
        assert run["status"] != "FAILED"
        written = list((sandbox.data_dir / "s3" / "analytics" / "orders").rglob("*.parquet"))
        assert written

        reset_requests(sandbox)
        again = await apply_deployment(client, spec)
        assert mutating_requests(sandbox) == {}
        assert again.status == "unchanged"
        assert again.created == [] and again.updated == []
        assert {(r.kind, r.id) for r in again.resources} == {(r.kind, r.id) for r in result.resources}
        plan = await plan_deployment(client, spec)
        assert plan.unchanged and {c.action for c in plan.changes} == {"unchanged"}


async def test_changed_spec_updates_in_place(sandbox, demo):
    async with client_for(sandbox) as client:
        first = await apply_deployment(client, make_spec())
        assert first.status == "applied", first.error
        data = spec_data()
        data["nexsets"][0]["transform"]["operations"][2]["condition"] = "status = 'SHIPPED'"
        data["destinations"][0]["config"]["file_compression"] = "gzip"
        changed = parse_spec(data)
        plan = await plan_deployment(client, changed)
        actions = {c.path: c for c in plan.changes}
        assert actions["nexsets[0]"].action == "update" and "transform" in actions["nexsets[0]"].changes
        assert actions["destinations[0]"].changes["sink_config.file_compression"].new == "gzip"
        assert actions["source"].action == "unchanged"
        second = await apply_deployment(client, changed)
        assert second.status == "applied", second.error
        assert second.created == []
        assert {(r.kind, r.id) for r in second.resources} == {(r.kind, r.id) for r in first.resources}
        nexset = await client.get(f"/data_sets/{actions['nexsets[0]'].id}")
        assert nexset["transform"]["operations"][2]["condition"] == "status = 'SHIPPED'"


async def test_project_is_created_and_holds_the_flow(sandbox, demo):
    spec = make_spec(project="analytics")
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, spec)
        assert result.status == "applied", result.error
        assert result.created[0].kind == "projects"
        tree = await client.get(f"/projects/{result.created[0].id}/flows")
        assert any(n.get("data_source_id") == result.source_id for n in tree["flows"])
        again = await plan_deployment(client, spec)
        assert again.unchanged, again.changes


async def test_destroy_needs_confirmation_then_removes_everything(sandbox, demo):
    spec = make_spec()
    async with client_for(sandbox) as client:
        before = await inventory(client)
        assert (await apply_deployment(client, spec)).status == "applied"
        with pytest.raises(OperationRefused):
            await destroy_deployment(client, spec, confirm=False)
        result = await destroy_deployment(client, spec, confirm=True)
        assert result.paused_flow_id is not None
        assert len(result.deleted) == 5 and not result.not_deleted
        assert await inventory(client) == before
