"""``credentials_non_secure_data`` shows a credential's non-secret fields and never a secret one.

Secret or not is the connector catalogue's call (scripts/nexla_ops/connectors.json); a field or a
connector type the sandbox does not know is treated as secret.
"""

from __future__ import annotations

import pytest

from nexla_ops.operations.connectors import catalogue
from nexla_sandbox.connectors import CREDENTIAL_TYPES, NON_SECURE_CONFIG

from .helpers import ok

S3 = {"access_key_id": "AKIAPUBLIC", "secret_access_key": "s3-secret-9f2c", "region": "eu-west-1",
      "bucket": "orders", "session_note": "unknown-field-value"}
POSTGRES = {"host": "db.internal", "port": 5432, "database": "sales", "username": "etl",
            "password": "pg-secret-71aa"}
SECRETS = ("s3-secret-9f2c", "pg-secret-71aa", "unknown-field-value", "snow-secret-44")


def test_the_sandbox_agrees_with_the_catalogue_on_what_is_secret() -> None:
    for code, entry in catalogue()["connectors"].items():
        fields = entry.get("credential_fields", [])
        shown = NON_SECURE_CONFIG.get(code, frozenset())
        assert not shown & {f["name"] for f in fields if f["secret"]}, code
        assert {f["name"] for f in fields if not f["secret"]} <= shown, code
    assert set(NON_SECURE_CONFIG) <= CREDENTIAL_TYPES


@pytest.mark.parametrize(("credentials_type", "credentials", "shown"), [
    ("s3", S3, {"access_key_id": "AKIAPUBLIC", "region": "eu-west-1", "bucket": "orders"}),
    ("postgres", POSTGRES, {"host": "db.internal", "port": 5432, "database": "sales", "username": "etl"}),
    # Nexla publishes no fields for snowflake: nothing is shown, not even a harmless-looking one.
    ("snowflake", {"account": "acme", "password": "snow-secret-44"}, {}),
])
def test_non_secret_fields_shown_in_get_list_and_audit(sandbox, credentials_type, credentials, shown) -> None:
    with sandbox.client() as client:
        created = ok(client.post("data_credentials", json={
            "name": "c", "credentials_type": credentials_type, "credentials": credentials}))
        assert created["credentials_non_secure_data"] == shown
        got = ok(client.get(f"data_credentials/{created['id']}"))
        assert got["credentials_non_secure_data"] == shown
        listed = next(c for c in ok(client.get("data_credentials")) if c["id"] == created["id"])
        assert listed["credentials_non_secure_data"] == shown
        ok(client.put(f"data_credentials/{created['id']}", json={"credentials": {**credentials, "password": "x"}}))
        text = str([created, got, listed, ok(client.get(f"data_credentials/{created['id']}/audit_log"))])
        for secret in SECRETS:
            assert secret not in text
