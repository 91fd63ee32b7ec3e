"""scripts/rotate_credential.py as a subprocess against the sandbox."""

from __future__ import annotations

import json

import pytest
from nexla_sandbox.runtime.demo import write_demo_data

from tests.helpers.access import run_script, sync_client_for

NEW_SECRET = "rotated-secret-5c1e"


@pytest.fixture
def flow(sandbox) -> tuple[int, int]:
    """(credential id, active source id using it)."""
    write_demo_data(sandbox.data_dir, orders=10, files=1)
    with sync_client_for(sandbox) as client:
        credential = client.post(
            "/data_credentials",
            json={
                "name": "orders s3",
                "credentials_type": "s3",
                "credentials": {"secret_access_key": "old-secret-9"},
            },
        )
        source = client.post(
            "/data_sources",
            json={
                "name": "orders",
                "source_type": "s3",
                "data_credentials_id": credential["id"],
                "source_config": {"path": "ingest/orders/"},
            },
        )
        client.put(f"/data_sources/{source['id']}/activate")
    return credential["id"], source["id"]


def test_help_shows_examples():
    done = run_script("rotate_credential", ["--help"], {})
    assert done.returncode == 0
    assert "examples:" in done.stdout and "--fields-from-env" in done.stdout


def test_rotation_json(sandbox, sandbox_env, flow):
    credential_id, source_id = flow
    done = run_script(
        "rotate_credential",
        [
            "--credential-id",
            str(credential_id),
            "--fields-from-env",
            "secret_access_key=NEW_SECRET",
            "--json",
        ],
        sandbox_env,
        NEW_SECRET=NEW_SECRET,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["outcome"] == "rotated"
    assert NEW_SECRET not in done.stdout + done.stderr
    assert "switch" in done.stderr  # progress goes to stderr
    with sync_client_for(sandbox) as client:
        source = client.get(f"/data_sources/{source_id}")
    assert source["data_credentials_id"] == result["new_credential_id"] and source["status"] == "ACTIVE"


def test_failed_probe_rolls_back_and_exits_1(sandbox, sandbox_env, flow):
    credential_id, source_id = flow
    done = run_script(
        "rotate_credential",
        [
            "--credential-id",
            str(credential_id),
            "--fields-from-env",
            "secret_access_key=NEW_SECRET",
            "--field",
            "bucket=nope",
        ],
        sandbox_env,
        NEW_SECRET=NEW_SECRET,
    )
    assert done.returncode == 1
    assert "rolled back" in done.stdout and "rollback: delete new credential" in done.stdout
    with sync_client_for(sandbox) as client:
        source = client.get(f"/data_sources/{source_id}")
    assert source["data_credentials_id"] == credential_id and source["status"] == "ACTIVE"


def test_dry_run_readable(sandbox_env, flow):
    credential_id, _ = flow
    done = run_script(
        "rotate_credential",
        [
            "--credential-id",
            str(credential_id),
            "--fields-from-env",
            "secret_access_key=NEW_SECRET",
            "--dry-run",
        ],
        sandbox_env,
        NEW_SECRET=NEW_SECRET,
    )
    assert done.returncode == 0, done.stderr
    assert "dry run" in done.stdout and "planned" in done.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--fields-from-env", "secret_access_key=UNSET_VAR_FOR_TEST"], 2, "unset_var_for_test"),
        (["--fields-from-env", "secret_access_key"], 2, "field=value"),
        ([], 2, "--fields-from-env: give the new credential's fields"),
        (["--field", "secret_access_key=typed-on-the-command-line"], 2, "--fields-from-env secret_access_key=env_var"),
        (["--credential-id", "987654", "--fields-from-env", "secret_access_key=NEW_SECRET"], 4, "not found"),
    ],
)
def test_failures_exit_codes(sandbox_env, flow, args, code, message):
    credential_id, _ = flow
    argv = args if "--credential-id" in args else ["--credential-id", str(credential_id), *args]
    done = run_script("rotate_credential", argv, sandbox_env, NEW_SECRET=NEW_SECRET)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert message in done.stderr.lower()


def test_a_secret_given_with_field_is_refused_and_not_echoed(sandbox_env, flow):
    credential_id, _ = flow
    argv = ["--credential-id", str(credential_id), "--field", "secret_access_key=typed-on-the-command-line", "--json"]
    done = run_script("rotate_credential", argv, sandbox_env)
    assert done.returncode == 2
    assert "typed-on-the-command-line" not in done.stdout + done.stderr
    message = json.loads(done.stdout)["error"]["message"]
    assert message.startswith("fields: secret_access_key looks secret") and "--fields-from-env" in message


def test_dry_run_text_shows_fields_old_vs_new_never_the_secret(sandbox, sandbox_env):
    write_demo_data(sandbox.data_dir, orders=10, files=1)
    with sync_client_for(sandbox) as client:
        credential = client.post("/data_credentials", json={
            "name": "keyed s3", "credentials_type": "s3",
            "credentials": {"access_key_id": "AKIAKEPT", "region": "eu-west-1", "secret_access_key": "old-secret-9"}})
    done = run_script(
        "rotate_credential",
        ["--credential-id", str(credential["id"]), "--fields-from-env", "secret_access_key=NEW_SECRET",
         "--field", "region=us-east-2", "--dry-run"],
        sandbox_env,
        NEW_SECRET=NEW_SECRET,
    )
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("fields (old -> new):")[1].split("steps:")[0]
    rows = {line.split()[0]: line.split()[1:] for line in table.strip().splitlines()[1:]}
    assert rows["access_key_id"] == ["AKIAKEPT", "AKIAKEPT"]
    assert rows["region"] == ["eu-west-1", "us-east-2"]
    assert rows["secret_access_key"] == ["-", "(from", "env)"]
    assert NEW_SECRET not in done.stdout + done.stderr and "old-secret-9" not in done.stdout + done.stderr
