"""scripts/manage_access.py as a subprocess against the sandbox."""

from __future__ import annotations

import json

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


def test_help_shows_examples():
    done = run_script("manage_access", ["--help"], {})
    assert done.returncode == 0
    assert "examples:" in done.stdout and "--team-name" in done.stdout


def test_list_json(sandbox, sandbox_env, credential_id):
    done = run_script(
        "manage_access",
        ["list", "--resource-type", "credential", "--resource-id", str(credential_id), "--json"],
        sandbox_env,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["ok"] is True
    owners = [a for a in document["result"]["accessors"] if "owner" in a["access_roles"]]
    assert [a["id"] for a in owners] == [sandbox.users["admin"]]


def test_grant_by_email_and_team_then_readable_output(sandbox, sandbox_env, credential_id):
    done = run_script(
        "manage_access",
        [
            "grant",
            "--resource-type",
            "data_credentials",
            "--resource-id",
            str(credential_id),
            "--email",
            "operator@sandbox.local",
            "--team-name",
            "analytics",
            "--role",
            "collaborator",
        ],
        sandbox_env,
    )
    assert done.returncode == 0, done.stderr
    assert "changed" in done.stdout and "before:" in done.stdout and "after:" in done.stdout
    assert "operator@sandbox.local" in done.stdout and "analytics" in done.stdout
    again = run_script(
        "manage_access",
        [
            "grant",
            "--resource-type",
            "data_credentials",
            "--resource-id",
            str(credential_id),
            "--email",
            "operator@sandbox.local",
            "--role",
            "collaborator",
            "--json",
        ],
        sandbox_env,
    )
    assert json.loads(again.stdout)["result"]["results"][0]["outcome"] == "unchanged"


def test_dry_run_changes_nothing(sandbox, sandbox_env, credential_id):
    reset_requests(sandbox)
    done = run_script(
        "manage_access",
        [
            "grant",
            "--resource-type",
            "credential",
            "--resource-id",
            str(credential_id),
            "--user-id",
            str(sandbox.users["member"]),
            "--role",
            "operator",
            "--dry-run",
            "--json",
        ],
        sandbox_env,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["dry_run"] is True and result["results"][0]["outcome"] == "would_change"
    assert mutating_requests(sandbox) == {}


def test_revoking_the_last_owner_exits_2(sandbox, sandbox_env, credential_id):
    done = run_script(
        "manage_access",
        [
            "revoke",
            "--resource-type",
            "credential",
            "--resource-id",
            str(credential_id),
            "--user-id",
            str(sandbox.users["admin"]),
            "--json",
        ],
        sandbox_env,
    )
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
    done = run_script(
        "manage_access",
        [
            "grant",
            "--resource-type",
            "credential",
            "--resource-id",
            str(credential_id),
            "--team-id",
            "1",
            "--role",
            "admin",
        ],
        sandbox_env,
        NEXLA_SERVICE_KEY=sandbox.keys["operator"],
    )
    assert done.returncode == 3
    assert "403" in done.stdout or "403" in done.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            [
                "grant",
                "--resource-type",
                "credential",
                "--resource-id",
                "{id}",
                "--user-id",
                "2",
                "--role",
                "boss",
            ],
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
