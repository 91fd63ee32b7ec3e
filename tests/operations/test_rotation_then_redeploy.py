"""A rotated credential stays the deployment's credential: re-applying the spec changes nothing."""

from __future__ import annotations

import pytest

from nexla_ops.operations.credentials import RotationRequest, rotate_credential
from nexla_ops.operations.deploy import apply_deployment, plan_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, client_for, make_spec


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "first-secret")


async def test_reapply_after_rotation_keeps_the_new_credential(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    spec = make_spec()
    async with client_for(sandbox) as client:
        applied = await apply_deployment(client, spec)
        assert applied.status == "applied", applied.error
        old_id = next(ref.id for ref in applied.created if ref.kind == "data_credentials")

        rotated = await rotate_credential(
            client,
            RotationRequest(credential_id=old_id, fields_from_env={"secret_access_key": "ROTATED"}),
            environ={"ROTATED": "second-secret"},
        )
        assert rotated.outcome == "rotated", rotated.steps
        new_id = rotated.new_credential_id

        plan = await plan_deployment(client, spec)
        assert {change.action for change in plan.changes} == {"unchanged"}, plan.changes
        again = await apply_deployment(client, spec)
        assert again.status == "unchanged"
        source = await client.get(f"/data_sources/{applied.source_id}")
        assert source["data_credentials_id"] == new_id and source["status"] == "ACTIVE"
