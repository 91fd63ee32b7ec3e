"""Redaction of secret-looking keys and scrubbing of secret values from text."""

from nexla_ops.redaction import REDACTED, SecretScrubbingFilter, is_secret_key, redact, register_secret, scrub_text


def test_redact_secret_keys_deeply_and_keeps_the_rest():
    data = {
        "id": 5,
        "name": "warehouse",
        "credentials_type": "s3",
        "data_credentials_id": 7,
        "credentials": {"access_key_id": "AKIAXXXXXX", "secret_access_key": "s3cr3t-value", "region": "us-east-1"},
        "credentials_non_secure_data": {"region": "us-east-1"},
        "api_keys": [{"key": "k-123456"}],
        "sink_config": {"password": "hunter22", "key_columns": ["id"], "table": "t"},
        "nested": [{"access_token": "tok-abcdef", "token_type": "Bearer", "map_primary_key": "id"}],
        "webhook_key": "whk-123456",
        "Authorization": "Bearer abc.def",
    }
    out = redact(data)
    assert out["credentials"] == REDACTED
    assert out["api_keys"] == [{"key": REDACTED}]
    assert out["sink_config"] == {"password": REDACTED, "key_columns": ["id"], "table": "t"}
    assert out["nested"][0] == {"access_token": REDACTED, "token_type": "Bearer", "map_primary_key": "id"}
    assert out["webhook_key"] == REDACTED and out["Authorization"] == REDACTED
    assert out["credentials_type"] == "s3" and out["data_credentials_id"] == 7
    assert out["credentials_non_secure_data"] == {"region": "us-east-1"}
    assert data["credentials"]["secret_access_key"] == "s3cr3t-value", "redact must not mutate its input"


def test_flags_and_listings_under_secret_looking_keys_stay_readable():
    report = {
        "credentials": [{"credential_id": 3, "status": "passed", "message": "ok"}],
        "thresholds": {"probe_credentials": True},
        "api_keys": [{"id": 1, "api_key": "whk-9876543", "url": "http://h/webhook/1?api_key=whk-9876543"}],
    }
    out = redact(report)
    assert out["credentials"] == report["credentials"]
    assert out["thresholds"] == {"probe_credentials": True}
    assert out["api_keys"][0]["api_key"] == REDACTED and "whk-9876543" not in out["api_keys"][0]["url"]
    assert redact({"credentials": ["a-secret-in-a-list"]}) == {"credentials": REDACTED}


def test_is_secret_key_examples():
    for key in ("password", "client_secret", "api_key", "apiKey", "service_key", "private_key", "refresh_token", "dsn"):
        assert is_secret_key(key), key
    for key in ("id", "name", "credentials_type", "token_type", "expires_in", "primary_key", "key_columns", "owner_id"):
        assert not is_secret_key(key), key


def test_scrub_text_removes_registered_and_extra_secrets_and_auth_values():
    register_secret("registered-secret-123")
    text = (
        "failed with registered-secret-123 and extra-secret-456; header Authorization: Bearer eyJ.abc.def "
        "Basic c2VydmljZQ== url https://x/hook?api_key=k123456&x=1 body {\"password\": \"pw-1\"}"
    )
    out = scrub_text(text, extra_secrets=["extra-secret-456", None, "ab"])
    for secret in ("registered-secret-123", "extra-secret-456", "eyJ.abc.def", "c2VydmljZQ==", "k123456", "pw-1"):
        assert secret not in out
    assert "x=1" in out


def test_short_values_are_not_registered():
    register_secret("abc")
    assert scrub_text("abc def") == "abc def"


def test_redact_scrubs_registered_values_inside_strings():
    register_secret("leaky-token-9876")
    assert redact({"message": "token leaky-token-9876 expired"}) == {"message": f"token {REDACTED} expired"}


def test_logging_filter_scrubs(caplog):
    import logging

    register_secret("filter-secret-5555")
    logger = logging.getLogger("test.redaction")
    caplog.handler.addFilter(SecretScrubbingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("using %s", "filter-secret-5555")
    assert "filter-secret-5555" not in caplog.text
    assert REDACTED in caplog.text


def test_secrets_in_request_bodies_are_registered():
    from nexla_ops.redaction import register_secrets_in

    register_secrets_in({"name": "visible-name-1", "credentials": {"user": "db-user-777", "password": "db-pass-888"}})
    assert scrub_text("db-user-777 db-pass-888 visible-name-1") == f"{REDACTED} {REDACTED} visible-name-1"


def test_counts_under_secret_looking_keys_stay_readable():
    assert redact({"counts": {"data_credentials": 3, "data_sources": 2}}) == {
        "counts": {"data_credentials": 3, "data_sources": 2}
    }
