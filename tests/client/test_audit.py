"""The audit log file format and context tagging."""

import json
import os

from nexla_ops.audit import AuditLog, audit_context


def test_lines_are_json_with_required_fields_and_redacted(tmp_path):
    path = tmp_path / "nested" / "audit.jsonl"
    log = AuditLog(path, actor="ops@example.com")
    log.record(operation="deploy_flow", outcome="ok", resource_type="data_sources", resource_id=5, password="pw-123456")
    with audit_context(tool="nexla_deploy_flow", actor="agent@example.com"):
        log.record(operation="POST /data_sources", method="POST", outcome="failed", status=409, request_id="r1")
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    for key in ("time", "actor", "method", "resource_type", "resource_id", "operation", "outcome", "request_id", "status"):
        assert key in first
    assert first["actor"] == "ops@example.com" and first["resource_id"] == "5"
    assert first["password"] == "***REDACTED***"
    assert "tool" not in first
    assert second["tool"] == "nexla_deploy_flow" and second["actor"] == "ops@example.com", "NEXLA_ACTOR wins"
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert AuditLog.read(path) == [first, second]


def test_actor_precedence_context_then_api_user():
    log = AuditLog(None)
    log.fallback_actor = "api-user@example.com"
    assert log.record(operation="x", outcome="ok")["actor"] == "api-user@example.com"
    with audit_context(actor="agent@example.com"):
        assert log.record(operation="x", outcome="ok")["actor"] == "agent@example.com"


def test_disabled_log_writes_nothing(tmp_path):
    entry = AuditLog(None).record(operation="x", outcome="ok")
    assert entry["outcome"] == "ok"
    assert list(tmp_path.iterdir()) == []


def test_unwritable_path_warns_instead_of_failing(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    log = AuditLog(blocker / "audit.jsonl")
    log.record(operation="x", outcome="ok")
    assert "cannot write the audit log" in caplog.text


def test_audit_lines_name_the_api_user_without_nexla_actor(sandbox, tmp_path):
    """A client that only mutates (as scripts do) still records who acted: it asks the API once."""
    from nexla_ops.audit import AuditLog
    from nexla_ops.client import NexlaClient
    from nexla_ops.config import Settings

    audit = tmp_path / "audit.jsonl"
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.service_key, "NEXLA_AUDIT_LOG": str(audit)}
    with NexlaClient(Settings.from_env(env=env)) as client:
        first = client.post("/teams", json={"name": "audited-team"})
        client.put(f"/teams/{first['id']}", json={"description": "named"})
    lines = AuditLog.read(audit)
    assert len(lines) == 2 and {line["actor"] for line in lines} == {"admin@sandbox.local"}
