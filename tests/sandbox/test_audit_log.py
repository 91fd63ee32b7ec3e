"""Audit logs: references stay readable, secrets never appear at any depth, per-type org views."""

from __future__ import annotations

from .helpers import ok


def test_nested_secrets_are_redacted_and_references_kept(sandbox) -> None:
    with sandbox.client() as client:
        credential = ok(client.post("data_credentials", json={
            "name": "api", "credentials_type": "rest", "credentials": {"password": "pw-credential-123"}}))
        source = ok(client.post("data_sources", json={
            "name": "s", "source_type": "rest", "data_credentials_id": credential["id"],
            "source_config": {"url": "https://example.test", "headers": {"X-Api-Key": "hdr-key-456"}}}))
        ok(client.put(f"data_sources/{source['id']}", params={"api_key": "query-key-789"}, json={
            "source_config": {"url": "https://example.test", "headers": {"X-Api-Key": "hdr-key-000"}}}))
        entries = ok(client.get(f"data_sources/{source['id']}/audit_log"))
        entries += ok(client.get(f"data_credentials/{credential['id']}/audit_log"))
        created = next(e for e in entries if e["item_type"] == "DataSource" and e["event"] == "create")
        assert created["object_changes"]["data_credentials_id"] == [None, credential["id"]]
        credential_entry = next(e for e in entries if e["item_type"] == "DataCredentials")
        assert credential_entry["object_changes"]["credentials_type"] == [None, "rest"]
        updated = next(e for e in entries if e["event"] == "update")
        assert updated["object_changes"]["source_config"][1]["url"] == "https://example.test"
        assert "api_key=[REDACTED]" in updated["request_url"]
        text = str(entries)
        for secret in ("pw-credential-123", "hdr-key-456", "hdr-key-000", "query-key-789"):
            assert secret not in text


def test_org_audit_log_by_resource_type(sandbox) -> None:
    with sandbox.client() as client:
        source = ok(client.post("data_sources", json={"name": "s", "source_type": "s3"}))
        org_id = ok(client.get("users/current"))["org"]["id"]
        entries = ok(client.get(f"orgs/{org_id}/data_sources/audit_log"))
        assert [e["item_id"] for e in entries] == [source["id"]]
        assert ok(client.get(f"orgs/{org_id}/data_source/audit_log")) == entries
        assert ok(client.get(f"orgs/{org_id}/data_sinks/audit_log")) == []
        unknown = client.get(f"orgs/{org_id}/widgets/audit_log")
        assert unknown.status_code == 400 and unknown.json()["field"] == "resource_type"
    with sandbox.client("operator") as operator:
        assert operator.get(f"orgs/{org_id}/data_sources/audit_log").status_code == 403
