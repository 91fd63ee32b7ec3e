"""scripts/manage_access.py as a subprocess against the sandbox."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers.access import mutating_requests, reset_requests, run_script, sync_client_for


@pytest.fixture
def credential_id(sandbox) -> int:
    with sync_client_for(sandbox) as client:
        return client.post(
            "/data_credentials",
            json={
                "name": "access s3",
                "credentials_type": "s3",
                "credentials": {"secret_access_key": "abc-secret-1"},
            },
        )["id"]


def manage_access(
    env: dict[str, str],
    action: str,
    credential_id: int,
    *more: str,
    resource_type: str = "credential",
    **extra_env: str,
) -> subprocess.CompletedProcess:
    """``manage_access <action>`` on the credential ``credential_id``, ``more`` arguments after it."""
    argv = [action, "--resource-type", resource_type, "--resource-id", str(credential_id), *more]
    return run_script("manage_access", argv, env, **extra_env)


def test_help_shows_examples():
    done = run_script("manage_access", ["--help"], {})
    assert done.returncode == 0
    assert "examples:" in done.stdout and "--team-name" in done.stdout


def test_list_json(sandbox, sandbox_env, credential_id):
    done = manage_access(sandbox_env, "list", credential_id, "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True
    owners = [a for a in document["result"]["accessors"] if "owner" in a["access_roles"]]
    assert [a["id"] for a in owners] == [sandbox.users["admin"]]


def test_grant_by_email_and_team_then_readable_output(sandbox, sandbox_env, credential_id):
    done = manage_access(
        sandbox_env, "grant", credential_id, "--email", "operator@sandbox.local", "--team-name", "analytics",
        "--role", "collaborator", resource_type="data_credentials",
    )
    assert done.returncode == 0, done.stderr
    assert "changed" in done.stdout and "before:" in done.stdout and "after:" in done.stdout
    assert "operator@sandbox.local" in done.stdout and "analytics" in done.stdout
    again = manage_access(
        sandbox_env, "grant", credential_id, "--email", "operator@sandbox.local", "--role", "collaborator", "--json",
        resource_type="data_credentials",
    )
    assert json.loads(again.stdout)["result"]["results"][0]["outcome"] == "unchanged"


def test_dry_run_changes_nothing(sandbox, sandbox_env, credential_id):
    reset_requests(sandbox)
    member = str(sandbox.users["member"])
    done = manage_access(
        sandbox_env, "grant", credential_id, "--user-id", member, "--role", "operator", "--dry-run", "--json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["dry_run"] is True and result["results"][0]["outcome"] == "would_change"
    assert mutating_requests(sandbox) == {}


def test_revoking_the_last_owner_exits_2(sandbox, sandbox_env, credential_id):
    done = manage_access(sandbox_env, "revoke", credential_id, "--user-id", str(sandbox.users["admin"]), "--json")
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document["ok"] is False
    assert document["result"]["results"][0]["outcome"] == "refused"


def test_operator_key_gets_exit_3(sandbox, sandbox_env, credential_id):
    with sync_client_for(sandbox) as client:
        client.put(
            f"/data_credentials/{credential_id}/accessors",
            json={
                "accessors": [{"type": "USER", "id": sandbox.users["operator"], "access_roles": ["operator"]}]
            },
        )
    done = manage_access(
        sandbox_env, "grant", credential_id, "--team-id", "1", "--role", "admin",
        NEXLA_SERVICE_KEY=sandbox.keys["operator"],
    )
    assert done.returncode == 3
    assert "403" in done.stdout or "403" in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["grant", "--resource-type", "credential", "--resource-id", "{id}", "--user-id", "2", "--role", "boss"],
            2,
            "role",
        ),
        (
            ["grant", "--resource-type", "credential", "--resource-id", "{id}", "--role", "admin"],
            2,
            "accessor",
        ),
        (["list", "--resource-type", "credential", "--resource-id", "{id},{id2}"], 2, "exactly one"),
        (["grant", "--resource-type", "credential", "--resource-id", "{id}", "--user-id", "2"], 2, "--role: grant needs"),
        (["list", "--resource-type", "credential", "--resource-id", "987654"], 4, "not found"),
        (["list", "--resource-type", "widgets", "--resource-id", "1"], 2, "unknown resource type"),
    ],
)
def test_bad_input_and_missing_resource(sandbox_env, credential_id, args, code, message):
    argv = [a.format(id=credential_id, id2=credential_id + 1) for a in args]
    done = run_script("manage_access", argv, sandbox_env)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert message in done.stderr.lower()
