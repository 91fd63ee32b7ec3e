"""Read-only mode, the audit log and redaction, against the sandbox."""

import pytest

from nexla_ops.audit import AuditLog, audit_context
from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.domain import Credential, Team, User
from nexla_ops.errors import ReadOnlyError, ValidationError
from nexla_ops.redaction import REDACTED, redact


def test_read_only_refuses_changes_before_sending(sandbox, controls, make_settings, audit_path):
    with NexlaClient(make_settings(read_only=True)) as client:
        assert isinstance(client.get("/teams"), list), "reads (and the token exchange) still work"
        attempts = [
            lambda: client.post("/teams", json={"name": "nope"}),
            lambda: client.post("/data_credentials/1/probe/tree", json={"depth": 1}, replay_safe=True),
            lambda: client.put("/teams/1", json={"name": "nope"}),
            lambda: client.delete("/teams/1"),
        ]
        for attempt in attempts:
            with pytest.raises(ReadOnlyError) as info:
                attempt()
            assert info.value.exit_code == 3 and "NEXLA_READ_ONLY" in str(info.value)
    routes = controls.requests()["by_route"]
    assert set(routes) == {"POST /token", "GET /teams"}, routes
    lines = AuditLog.read(audit_path)
    assert [line["outcome"] for line in lines] == ["refused"] * 4
    assert [line["method"] for line in lines] == ["POST", "POST", "PUT", "DELETE"]


async def test_async_read_only(sandbox, controls, make_settings):
    async with AsyncNexlaClient(make_settings(read_only=True)) as client:
        with pytest.raises(ReadOnlyError):
            await client.put("/teams/1/accessors", json={"accessors": []})
    assert controls.requests()["total"] == 0


def test_every_mutation_is_audited(sandbox, make_settings, audit_path):
    with NexlaClient(make_settings()) as client:
        me = client.whoami()
        client.get("/teams")
        with audit_context(tool="test_tool"):
            team = client.post("/teams", json={"name": "audited"})
        client.put(f"/teams/{team['id']}", json={"description": "d"})
        with pytest.raises(ValidationError):
            client.post("/teams", json={"description": "no name"})
        client.delete(f"/teams/{team['id']}")
        client.audit("cleanup_teams", "teams", team["id"], "ok", removed=1)
    lines = AuditLog.read(audit_path)
    summary = [(line["method"], line["operation"], line["outcome"], line["status"]) for line in lines]
    assert summary == [
        ("POST", "POST /teams", "ok", 200),
        ("PUT", "PUT /teams/{id}", "ok", 200),
        ("POST", "POST /teams", "failed", 400),
        ("DELETE", "DELETE /teams/{id}", "ok", 200),
        (None, "cleanup_teams", "ok", None),
    ]
    assert all(line["actor"] == me["email"] for line in lines)
    assert lines[0]["resource_type"] == "teams" and lines[0]["resource_id"] == str(team["id"])
    assert lines[0]["tool"] == "test_tool" and "tool" not in lines[1]
    assert lines[2]["error"] == "validation"
    assert lines[4]["removed"] == 1
    for line in lines:
        assert set(line) >= {"time", "actor", "method", "resource_type", "resource_id", "operation", "outcome", "request_id"}


def test_audit_file_can_be_switched_off(sandbox, make_settings, audit_path):
    with NexlaClient(make_settings(audit_log_path=None)) as client:
        client.post("/teams", json={"name": "unaudited"})
    assert not audit_path.exists()


def test_credential_secrets_are_redacted_for_display(sandbox, make_settings):
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    with NexlaClient(make_settings()) as client:
        created = client.post(
            "/data_credentials",
            json={"name": "s3-prod", "credentials_type": "s3",
                  "credentials": {"access_key_id": "AKIAEXAMPLE1", "secret_access_key": secret}},
        )
        fetched = client.get(f"/data_credentials/{created['id']}", params={"expand": 1})
    shown = redact({"created": created, "fetched": fetched, "request": {"credentials": {"secret_access_key": secret}}})
    assert secret not in repr(shown)
    assert shown["request"]["credentials"] == REDACTED
    assert Credential.model_validate(fetched).credentials_type == "s3"


def test_sandbox_replies_fit_the_models(sandbox, make_settings):
    with NexlaClient(make_settings()) as client:
        assert User.model_validate(client.whoami()).email == "admin@sandbox.local"
        teams = [Team.model_validate(t) for t in client.paginate("/teams")]
        assert teams and all(t.owner is not None for t in teams)
