"""Credential probe and rotation against the sandbox, including a failure at every step.

Each failing rotation must leave every dependent on the old credential and running, delete the
new credential, and say what it rolled back.
"""

from __future__ import annotations

import json

import pytest

from nexla_ops.errors import NotFoundError, ValidationError
from nexla_ops.operations.credentials import RotationRequest, probe_credential, rotate_credential
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.access import (
    client_for,
    control,
    inject_fault,
    make_credential,
    make_flow,
    mutating_requests,
    reset_requests,
)

NEW_SECRET = "brand-new-secret-7f3a9"
ENV = {"NEW_S3_SECRET": NEW_SECRET}


@pytest.fixture
async def admin(sandbox):
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    async with client_for(sandbox) as client:
        yield client


@pytest.fixture
async def setup(admin):
    """An old credential used by an active flow (source + sink) and by a paused source."""
    credential = await make_credential(admin)
    flow = await make_flow(admin, credential["id"], "orders")
    idle = await make_flow(admin, credential["id"], "idle", activate=False, sink=False)
    return credential["id"], flow, idle


def request(credential_id: int, **extra) -> RotationRequest:
    return RotationRequest(
        credential_id=credential_id, fields_from_env={"secret_access_key": "NEW_S3_SECRET"}, **extra
    )


async def state(admin, flow, idle) -> dict:
    source = await admin.get(f"/data_sources/{flow.source_id}")
    sink = await admin.get(f"/data_sinks/{flow.sink_id}")
    other = await admin.get(f"/data_sources/{idle.source_id}")
    return {
        "source": (source["data_credentials_id"], source["status"]),
        "sink": (sink["data_credentials_id"], sink["status"]),
        "idle": (other["data_credentials_id"], other["status"]),
    }


async def credential_names(admin) -> list[str]:
    return [c["name"] async for c in admin.paginate("/data_credentials")]


async def test_probe_verified_and_failed(admin):
    good = await make_credential(admin)
    result = await probe_credential(admin, good["id"])
    assert result.verified and result.status == "success" and result.exit_code == 0
    bad = await make_credential(admin, name="bad bucket", bucket="no-such-bucket")
    failed = await probe_credential(admin, bad["id"])
    assert not failed.verified and failed.exit_code == 5
    # Real Nexla answers a failing probe with an error status; the bucket, a credential field, stays redacted.
    assert failed.verdict == "failed" and "does not exist" in failed.message and "no-such-bucket" not in failed.message
    with pytest.raises(NotFoundError):
        await probe_credential(admin, 99999)


async def test_rotation_switches_every_dependent_and_retires_the_old(sandbox, admin, setup):
    old_id, flow, idle = setup
    before = await state(admin, flow, idle)
    assert before["source"][1] == "ACTIVE" and before["idle"][1] != "ACTIVE"
    result = await rotate_credential(admin, request(old_id), environ=ENV)
    assert result.outcome == "rotated", result.steps
    assert result.exit_code == 0
    new_id = result.new_credential_id
    assert {(d.resource_type.value, d.id) for d in result.dependents} == {
        ("data_sources", flow.source_id),
        ("data_sinks", flow.sink_id),
        ("data_sources", idle.source_id),
    }
    after = await state(admin, flow, idle)
    assert after == {
        "source": (new_id, "ACTIVE"),
        "sink": (new_id, "ACTIVE"),
        "idle": (new_id, before["idle"][1]),
    }
    with pytest.raises(NotFoundError):
        await admin.get(f"/data_credentials/{old_id}")
    # The new credential took over the old one's name, so whatever names it keeps working.
    assert result.new_credential_name == "orders s3"
    assert (await admin.get(f"/data_credentials/{new_id}"))["name"] == "orders s3"
    # The idle source was never paused or reactivated.
    touched = mutating_requests(sandbox, f"/data_sources/{idle.source_id}/")
    assert touched == {}
    # The flow really runs on the new credential.
    run = control(sandbox, "POST", f"sources/{flow.source_id}/run")
    assert run["status"] not in ("FAILED", "ERROR"), run
    # No secret in the result.
    assert NEW_SECRET not in json.dumps(result.model_dump(mode="json"))


async def test_keep_old_and_custom_name(admin, setup):
    old_id, flow, idle = setup
    result = await rotate_credential(admin, request(old_id, keep_old=True, name="orders s3 v2"), environ=ENV)
    assert result.outcome == "rotated_old_kept"
    assert (await admin.get(f"/data_credentials/{old_id}"))["id"] == old_id
    assert "orders s3 v2" in await credential_names(admin)


async def test_keep_old_retires_the_old_name_and_tags(admin, setup):
    old_id, _, _ = setup
    await admin.put(f"/data_credentials/{old_id}", json={"tags": ["nexla-ops:orders"]})
    result = await rotate_credential(admin, request(old_id, keep_old=True), environ=ENV)
    assert result.outcome == "rotated_old_kept"
    old = await admin.get(f"/data_credentials/{old_id}")
    new = await admin.get(f"/data_credentials/{result.new_credential_id}")
    assert old["name"].startswith("orders s3 (retired ") and not old.get("tags")
    assert new["name"] == "orders s3" and new["tags"] == ["nexla-ops:orders"]


async def test_dry_run_lists_dependents_and_changes_nothing(sandbox, admin, setup):
    old_id, flow, idle = setup
    reset_requests(sandbox)
    result = await rotate_credential(admin, request(old_id, dry_run=True), environ=ENV)
    assert result.outcome == "planned" and result.new_credential_id is None
    assert len(result.dependents) == 3
    assert all(step.status in ("planned", "done") for step in result.steps)
    assert mutating_requests(sandbox) == {}


async def test_missing_environment_variable_is_refused_before_anything(sandbox, admin, setup):
    old_id, _, _ = setup
    reset_requests(sandbox)
    with pytest.raises(ValueError, match="NEW_S3_SECRET"):
        await rotate_credential(admin, request(old_id), environ={})
    with pytest.raises(ValueError, match="empty"):
        await rotate_credential(admin, request(old_id), environ={"NEW_S3_SECRET": ""})
    assert mutating_requests(sandbox) == {}


async def assert_rolled_back(admin, flow, idle, old_id, result, names_before):
    assert result.outcome == "rolled_back", [s.model_dump() for s in result.steps]
    assert result.exit_code == 1 and result.error is not None
    after = await state(admin, flow, idle)
    assert after["source"] == (old_id, "ACTIVE")
    assert after["sink"] == (old_id, "ACTIVE")
    assert after["idle"][0] == old_id
    assert (await admin.get(f"/data_credentials/{old_id}"))["id"] == old_id
    with pytest.raises(NotFoundError):
        await admin.get(f"/data_credentials/{result.new_credential_id}")
    assert sorted(await credential_names(admin)) == sorted(names_before)
    assert any(
        s.step.startswith("rollback: delete new credential") and s.status == "done" for s in result.steps
    )


async def test_rollback_when_the_new_credential_does_not_probe(admin, setup):
    old_id, flow, idle = setup
    names = await credential_names(admin)
    result = await rotate_credential(admin, request(old_id, fields={"bucket": "missing-bucket"}), environ=ENV)
    await assert_rolled_back(admin, flow, idle, old_id, result, names)
    assert next(s for s in result.steps if s.step == "probe new credential").status == "failed"
    assert not any(s.step in ("pause", "switch") for s in result.steps)


@pytest.mark.parametrize(
    ("method", "path", "failed_step"),
    [
        ("PUT", r"^/data_sinks/{sink}/pause$", "pause"),
        ("PUT", r"^/data_sinks/{sink}$", "switch"),
        ("PUT", r"^/data_sources/{source}/activate$", "reactivate"),
        ("GET", r"^/data_credentials/{new}/probe$", "verify"),
    ],
)
async def test_rollback_when_a_step_fails(sandbox, admin, setup, method, path, failed_step):
    old_id, flow, idle = setup
    names = await credential_names(admin)
    pattern = path.format(sink=flow.sink_id, source=flow.source_id, new=r"\d+")
    if failed_step == "verify":
        # A latency-only fault (status None) uses up the first probe, so only the verification probe fails.
        inject_fault(sandbox, "GET", pattern, status=None)
    inject_fault(sandbox, method, pattern, status=400)
    result = await rotate_credential(admin, request(old_id), environ=ENV)
    await assert_rolled_back(admin, flow, idle, old_id, result, names)
    failed = [s for s in result.steps if s.status == "failed"]
    assert failed and failed[0].step == failed_step, [s.model_dump() for s in result.steps]
    if failed_step == "verify":
        # A probe answered 400 is a connection that did not verify, not an API error.
        assert "Injected fault" in failed[0].detail and result.error.error == "check_failed"
    else:
        assert failed[0].error.status == 400 and result.error.status == 400


async def test_create_failure_changes_nothing(sandbox, admin, setup):
    old_id, flow, idle = setup
    before = await state(admin, flow, idle)
    inject_fault(sandbox, "POST", r"^/data_credentials$", status=400)
    with pytest.raises(ValidationError):
        await rotate_credential(admin, request(old_id), environ=ENV)
    assert await state(admin, flow, idle) == before


async def test_rollback_that_cannot_delete_the_new_credential_says_so(sandbox, admin, setup):
    old_id, flow, idle = setup
    inject_fault(sandbox, "PUT", rf"^/data_sinks/{flow.sink_id}$", status=400)
    inject_fault(sandbox, "DELETE", r"^/data_credentials/\d+$", status=403)
    result = await rotate_credential(admin, request(old_id), environ=ENV)
    assert result.outcome == "rollback_incomplete" and result.exit_code == 1
    leftover = next(s for s in result.steps if s.step == "rollback: delete new credential")
    assert leftover.status == "failed" and str(result.new_credential_id) in leftover.detail
    after = await state(admin, flow, idle)
    assert after["source"] == (old_id, "ACTIVE") and after["sink"] == (old_id, "ACTIVE")


async def test_retire_failure_keeps_the_switch_and_reports_it(sandbox, admin, setup):
    old_id, flow, idle = setup
    inject_fault(sandbox, "DELETE", rf"^/data_credentials/{old_id}$", status=403)
    result = await rotate_credential(admin, request(old_id), environ=ENV)
    assert result.outcome == "retire_failed" and result.exit_code == 1
    after = await state(admin, flow, idle)
    assert after["source"] == (result.new_credential_id, "ACTIVE")
    assert (await admin.get(f"/data_credentials/{old_id}"))["id"] == old_id
