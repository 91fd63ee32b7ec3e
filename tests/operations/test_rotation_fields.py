"""Rotation keeps the old credential's non-secret fields: rotating a secret needs only the new secret.

Against the sandbox, whose ``credentials_non_secure_data`` shows the non-secret fields.
"""

from __future__ import annotations

import pytest

from nexla_ops.operations.credentials import RotationRequest, rotate_credential
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.access import client_for, control, make_credential, make_flow

OLD_SECRET = "old-secret-3c9d"
ENV = {"NEW_S3_SECRET": "rotated-secret-77e0"}
OLD_FIELDS = {"access_key_id": "AKIAOLD", "region": "eu-west-1"}


@pytest.fixture
async def used(sandbox):
    """An s3 credential with an access key id and a region, used by an active flow."""
    write_demo_data(sandbox.data_dir, orders=10, files=1)
    async with client_for(sandbox) as admin:
        credential = await make_credential(admin, secret=OLD_SECRET, **OLD_FIELDS)
        flow = await make_flow(admin, credential["id"], "orders")
        yield admin, credential["id"], flow


def _only_the_secret(credential_id: int, **extra) -> RotationRequest:
    return RotationRequest(credential_id=credential_id, fields_from_env={"secret_access_key": "NEW_S3_SECRET"},
                           **extra)


async def test_rotating_only_the_secret_keeps_the_other_fields_and_the_flow_runs(sandbox, used) -> None:
    admin, credential_id, flow = used
    result = await rotate_credential(admin, _only_the_secret(credential_id), environ=ENV)
    assert result.outcome == "rotated", [(s.step, s.detail, s.error) for s in result.steps if s.status == "failed"]
    new = await admin.get(f"/data_credentials/{result.new_credential_id}")
    assert new["credentials_non_secure_data"] == OLD_FIELDS
    created = next(s for s in result.steps if s.step == "create new credential")
    assert "access_key_id" in created.detail and "region" in created.detail
    source = await admin.get(f"/data_sources/{flow.source_id}")
    assert source["data_credentials_id"] == result.new_credential_id and source["status"] == "ACTIVE"
    run = control(sandbox, "POST", f"sources/{flow.source_id}/run")
    assert run["status"] == "SUCCESS" and run["records_out"] > 0, run
    assert ENV["NEW_S3_SECRET"] not in result.model_dump_json()


async def test_a_field_given_anew_overrides_the_carried_one(sandbox, used) -> None:
    admin, credential_id, _ = used
    result = await rotate_credential(admin, _only_the_secret(credential_id, fields={"region": "us-east-2"}), environ=ENV)
    assert result.outcome == "rotated"
    new = await admin.get(f"/data_credentials/{result.new_credential_id}")
    assert new["credentials_non_secure_data"] == {"access_key_id": "AKIAOLD", "region": "us-east-2"}


async def test_dry_run_lists_fields_and_non_secret_values_old_vs_new(sandbox, used) -> None:
    admin, credential_id, _ = used
    planned = await rotate_credential(
        admin, _only_the_secret(credential_id, fields={"region": "us-east-2"}, dry_run=True), environ=ENV)
    assert planned.outcome == "planned" and planned.diff is not None
    assert planned.diff.fields_old == ["access_key_id", "region"]
    assert planned.diff.fields_new == ["access_key_id", "region", "secret_access_key"]
    assert planned.diff.values == {"access_key_id": ["AKIAOLD", "AKIAOLD"], "region": ["eu-west-1", "us-east-2"]}
    text = planned.model_dump_json()
    assert OLD_SECRET not in text and ENV["NEW_S3_SECRET"] not in text
    assert [c["id"] async for c in admin.paginate("/data_credentials")] == [credential_id]
