"""Access operations against the sandbox's role matrix: grant, revoke, replace, dry run, refusals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from nexla_ops.operations.access import (
    AccessChange,
    AccessorRef,
    grant_access,
    list_access,
    replace_access,
    revoke_access,
)
from tests.helpers.access import client_for, make_credential, mutating_requests, reset_requests


def roles_of(accessors, type_: str, id_: int) -> list[str] | None:
    for accessor in accessors:
        if accessor.type == type_ and accessor.id == id_:
            return list(accessor.access_roles)
    return None


@pytest.fixture
async def admin(sandbox):
    async with client_for(sandbox) as client:
        yield client


@pytest.fixture
async def credential_id(admin) -> int:
    return (await make_credential(admin))["id"]


def change(resource_id, *refs, roles=(), dry_run=False, kind="credential") -> AccessChange:
    ids = resource_id if isinstance(resource_id, list) else [resource_id]
    return AccessChange(
        resource_type=kind, resource_ids=ids, accessors=list(refs), roles=list(roles), dry_run=dry_run
    )


async def test_list_shows_the_creator_as_owner(sandbox, admin, credential_id):
    listing = await list_access(admin, "data_credentials", credential_id)
    assert roles_of(listing.accessors, "USER", sandbox.users["admin"]) == ["owner"]
    assert [a.id for a in listing.owners] == [sandbox.users["admin"]]


async def test_grant_then_revoke_by_user_id(sandbox, admin, credential_id):
    operator = sandbox.users["operator"]
    granted = await grant_access(
        admin, change(credential_id, AccessorRef(type="USER", id=operator), roles=["operator"])
    )
    outcome = granted.results[0]
    assert outcome.outcome == "changed" and granted.exit_code == 0
    assert roles_of(outcome.before, "USER", operator) is None
    assert roles_of(outcome.after, "USER", operator) == ["operator"]

    revoked = await revoke_access(admin, change(credential_id, AccessorRef(type="USER", id=operator)))
    assert revoked.results[0].outcome == "changed"
    assert roles_of(revoked.results[0].after, "USER", operator) is None
    listing = await list_access(admin, "data_credentials", credential_id)
    assert roles_of(listing.accessors, "USER", operator) is None
    assert roles_of(listing.accessors, "USER", sandbox.users["admin"]) == ["owner"]


async def test_grant_is_idempotent_and_sends_nothing_the_second_time(sandbox, admin, credential_id):
    ref = AccessorRef(type="USER", id=sandbox.users["collaborator"])
    await grant_access(admin, change(credential_id, ref, roles=["collaborator"]))
    reset_requests(sandbox)
    again = await grant_access(admin, change(credential_id, ref, roles=["collaborator"]))
    assert again.results[0].outcome == "unchanged"
    assert again.exit_code == 0
    assert mutating_requests(sandbox, "accessors") == {}


async def test_grant_by_email_and_team_name_and_org_domain(sandbox, admin, credential_id):
    result = await grant_access(
        admin,
        change(
            credential_id,
            AccessorRef(type="USER", email="Operator@Sandbox.local"),
            AccessorRef(type="TEAM", name="data-eng"),
            AccessorRef(type="ORG", email_domain="sandbox.local"),
            roles=["collaborator"],
        ),
    )
    after = result.results[0].after
    assert result.results[0].outcome == "changed"
    assert roles_of(after, "USER", sandbox.users["operator"]) == ["collaborator"]
    team = next(a for a in after if a.type == "TEAM")
    assert team.name == "data-eng" and team.access_roles == ["collaborator"]
    assert any(a.type == "ORG" and a.access_roles == ["collaborator"] for a in after)
    # The same grant by the same names is recognised as already in place.
    again = await grant_access(
        admin, change(credential_id, AccessorRef(type="TEAM", name="DATA-ENG"), roles=["collaborator"])
    )
    assert again.results[0].outcome == "unchanged"


@pytest.mark.parametrize("label", ["operator", "collaborator"])
async def test_lower_roles_get_403_on_grant(sandbox, admin, credential_id, label):
    user = sandbox.users[label]
    await grant_access(admin, change(credential_id, AccessorRef(type="USER", id=user), roles=[label]))
    async with client_for(sandbox, label) as weak:
        result = await grant_access(
            weak,
            change(
                credential_id, AccessorRef(type="USER", id=sandbox.users["member"]), roles=["collaborator"]
            ),
        )
    outcome = result.results[0]
    assert outcome.outcome == "failed"
    assert outcome.error.status == 403 and outcome.error.error == "authorization"
    assert result.exit_code == 3
    assert roles_of(outcome.before, "USER", user) == [label]
    listing = await list_access(admin, "data_credentials", credential_id)
    assert roles_of(listing.accessors, "USER", sandbox.users["member"]) is None


async def test_revoke_refuses_the_last_owner_and_sends_nothing(sandbox, admin, credential_id):
    reset_requests(sandbox)
    result = await revoke_access(
        admin, change(credential_id, AccessorRef(type="USER", id=sandbox.users["admin"]))
    )
    outcome = result.results[0]
    assert outcome.outcome == "refused"
    assert "without an owner" in outcome.error.message
    assert result.exit_code == 2
    assert mutating_requests(sandbox, "accessors") == {}
    listing = await list_access(admin, "data_credentials", credential_id)
    assert roles_of(listing.accessors, "USER", sandbox.users["admin"]) == ["owner"]


async def test_revoke_owner_role_allowed_when_another_owner_remains(sandbox, admin, credential_id):
    second = AccessorRef(type="TEAM", name="data-eng")
    await grant_access(admin, change(credential_id, second, roles=["owner"]))
    result = await revoke_access(
        admin, change(credential_id, AccessorRef(type="USER", id=sandbox.users["admin"]))
    )
    assert result.results[0].outcome == "changed"
    assert roles_of(result.results[0].after, "USER", sandbox.users["admin"]) is None


async def test_revoke_only_some_roles_keeps_the_rest(sandbox, admin, credential_id):
    user = sandbox.users["operator"]
    ref = AccessorRef(type="USER", id=user)
    await grant_access(admin, change(credential_id, ref, roles=["admin", "operator"]))
    result = await revoke_access(admin, change(credential_id, ref, roles=["admin"]))
    assert result.results[0].outcome == "changed"
    assert roles_of(result.results[0].after, "USER", user) == ["operator"]
    assert roles_of(result.results[0].after, "USER", sandbox.users["admin"]) == ["owner"]


async def test_revoke_of_an_absent_accessor_is_unchanged(sandbox, admin, credential_id):
    reset_requests(sandbox)
    result = await revoke_access(
        admin, change(credential_id, AccessorRef(type="USER", id=sandbox.users["member"]))
    )
    assert result.results[0].outcome == "unchanged"
    assert mutating_requests(sandbox, "accessors") == {}


async def test_replace_sets_the_whole_list(sandbox, admin, credential_id):
    await grant_access(
        admin, change(credential_id, AccessorRef(type="USER", id=sandbox.users["member"]), roles=["operator"])
    )
    result = await replace_access(
        admin,
        change(
            credential_id,
            AccessorRef(type="USER", id=sandbox.users["admin"], roles=["owner"]),
            AccessorRef(type="TEAM", name="analytics", roles=["collaborator"]),
        ),
    )
    after = result.results[0].after
    assert result.results[0].outcome == "changed"
    assert sorted((a.type, tuple(a.access_roles)) for a in after) == [
        ("TEAM", ("collaborator",)),
        ("USER", ("owner",)),
    ]
    assert any(line.startswith("remove USER") for line in result.results[0].changes)


async def test_replace_without_an_owner_is_refused(sandbox, admin, credential_id):
    reset_requests(sandbox)
    result = await replace_access(
        admin, change(credential_id, AccessorRef(type="TEAM", name="data-eng"), roles=["admin"])
    )
    assert result.results[0].outcome == "refused"
    assert mutating_requests(sandbox, "accessors") == {}


async def test_dry_run_predicts_and_sends_no_mutation(sandbox, admin, credential_id):
    reset_requests(sandbox)
    ref = AccessorRef(type="USER", id=sandbox.users["operator"])
    result = await grant_access(admin, change(credential_id, ref, roles=["operator"], dry_run=True))
    outcome = result.results[0]
    assert outcome.outcome == "would_change" and result.dry_run
    assert roles_of(outcome.after, "USER", sandbox.users["operator"]) == ["operator"]
    revoke = await revoke_access(
        admin, change(credential_id, AccessorRef(type="USER", id=sandbox.users["admin"]), dry_run=True)
    )
    assert revoke.results[0].outcome == "refused"
    assert mutating_requests(sandbox) == {}
    listing = await list_access(admin, "data_credentials", credential_id)
    assert roles_of(listing.accessors, "USER", sandbox.users["operator"]) is None


async def test_several_resources_each_get_an_outcome(sandbox, admin, credential_id):
    other = (await make_credential(admin, name="second"))["id"]
    result = await grant_access(
        admin,
        change([credential_id, 987654, other], AccessorRef(type="TEAM", name="data-eng"), roles=["operator"]),
    )
    assert [r.outcome for r in result.results] == ["changed", "failed", "changed"]
    assert result.results[1].error.status == 404
    assert result.exit_code == 4


async def test_unknown_email_fails_with_the_servers_reason(sandbox, admin, credential_id):
    result = await grant_access(
        admin,
        change(credential_id, AccessorRef(type="USER", email="nobody@nowhere.test"), roles=["operator"]),
    )
    assert result.results[0].outcome == "failed"
    assert result.results[0].error.status == 400
    assert "nobody@nowhere.test" in result.results[0].error.message


def test_bad_accessor_input_names_the_field():
    with pytest.raises(ValidationError, match="TEAM accessors are identified by id or name"):
        AccessorRef(type="TEAM", email="a@b.c")
    with pytest.raises(ValidationError, match="needs id or email"):
        AccessorRef(type="USER")
    with pytest.raises(ValidationError, match="resource_ids"):
        AccessChange(resource_type="source", resource_ids=[], accessors=[AccessorRef(type="USER", id=1)])


async def test_grant_without_roles_is_rejected(sandbox, admin, credential_id):
    with pytest.raises(ValueError, match="grant needs roles"):
        await grant_access(admin, change(credential_id, AccessorRef(type="USER", id=sandbox.users["member"])))
