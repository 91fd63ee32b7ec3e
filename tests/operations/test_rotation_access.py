"""Rotation keeps access: the new credential gets the old one's accessors; the dry run lists fields
and accessors old vs new. Against the sandbox, with a team that uses the credential."""

from __future__ import annotations

import pytest

from nexla_ops.operations.access import AccessChange, AccessorRef, grant_access, list_access
from nexla_ops.operations.credentials import RotationRequest, rotate_credential
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.access import client_for, inject_fault, make_credential, make_flow

ENV = {"NEW_S3_SECRET": "rotated-secret-5e1b"}


@pytest.fixture
async def shared(sandbox):
    """A credential used by a flow and shared with team data-eng (collaborator) and the operator (operator)."""
    write_demo_data(sandbox.data_dir, orders=10, files=1)
    async with client_for(sandbox) as admin:
        credential = await make_credential(admin)
        await make_flow(admin, credential["id"], "orders")
        await grant_access(admin, AccessChange(resource_type="data_credentials", resource_ids=[credential["id"]], roles=["collaborator"],
                                               accessors=[AccessorRef(type="TEAM", name="data-eng")]))
        await grant_access(admin, AccessChange(resource_type="data_credentials", resource_ids=[credential["id"]], roles=["operator"],
                                               accessors=[AccessorRef(type="USER", id=sandbox.users["operator"])]))
        yield admin, credential["id"]


def _request(credential_id: int, **extra) -> RotationRequest:
    return RotationRequest(credential_id=credential_id, fields_from_env={"secret_access_key": "NEW_S3_SECRET"},
                           fields={"access_key_id": "AKIANEW"}, **extra)


def _shape(accessors) -> set[tuple[str, tuple[str, ...]]]:
    return {(a.type, tuple(sorted(a.access_roles))) for a in accessors if "owner" not in a.access_roles}


async def test_dry_run_lists_fields_and_accessors_old_vs_new(sandbox, shared) -> None:
    admin, credential_id = shared
    planned = await rotate_credential(admin, _request(credential_id, dry_run=True), environ=ENV)
    assert planned.outcome == "planned" and planned.diff is not None
    assert planned.diff.fields_new == ["access_key_id", "secret_access_key"]
    assert any(label.startswith("TEAM ") and label.endswith(": collaborator") for label in planned.diff.accessors_old)
    assert planned.diff.accessors_new == planned.diff.accessors_old
    assert "copy accessors" in [step.step for step in planned.steps]
    assert "rotated-secret" not in planned.model_dump_json()


async def test_the_team_keeps_access_after_rotation(sandbox, shared) -> None:
    admin, credential_id = shared
    before = _shape((await list_access(admin, "data_credentials", credential_id)).accessors)
    result = await rotate_credential(admin, _request(credential_id), environ=ENV)
    assert result.outcome == "rotated", [(s.step, s.status, s.detail, s.error) for s in result.steps if s.status == "failed"] or result.error
    after = (await list_access(admin, "data_credentials", result.new_credential_id)).accessors
    assert before <= _shape(after) and ("TEAM", ("collaborator",)) in before
    # The operator (shared through the team and directly) can read the new credential.
    async with client_for(sandbox, "operator") as operator:
        assert (await operator.get(f"/data_credentials/{result.new_credential_id}"))["id"] == result.new_credential_id


async def test_a_failed_accessor_copy_rolls_back(sandbox, shared) -> None:
    admin, credential_id = shared
    inject_fault(sandbox, "PUT", r"^/data_credentials/\d+/accessors$", status=400, count=1)
    result = await rotate_credential(admin, _request(credential_id), environ=ENV)
    assert result.outcome == "rolled_back"
    assert any(s.step == "rollback: delete new credential" and s.status == "done" for s in result.steps)
