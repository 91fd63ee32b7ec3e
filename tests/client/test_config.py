"""Settings.from_env: variables, overrides, and actionable configuration errors."""

import pytest

from nexla_ops.config import Settings
from nexla_ops.errors import ConfigError


def test_defaults_and_env_parsing():
    s = Settings.from_env(
        {
            "NEXLA_SERVICE_KEY": "svc-key-123456",
            "NEXLA_API_URL": "http://127.0.0.1:9/nexla-api/",
            "NEXLA_TIMEOUT": "2.5",
            "NEXLA_MAX_ATTEMPTS": "3",
            "NEXLA_RETRY_BUDGET": "9",
            "NEXLA_RATE_LIMIT": "0",
            "NEXLA_READ_ONLY": "yes",
            "NEXLA_AUDIT_LOG": "",
        }
    )
    assert s.api_url == "http://127.0.0.1:9/nexla-api"
    assert s.timeout_s == 2.5 and s.max_attempts == 3 and s.retry_budget_s == 9 and s.rate_limit_per_s == 0
    assert s.read_only is True
    assert s.audit_log_path is None and s.audit_file is None
    assert s.auth_mode == "service_key"
    assert "svc-key-123456" not in repr(s)


def test_default_values():
    s = Settings.from_env({"NEXLA_ACCESS_TOKEN": "tok-123456"})
    assert s.api_url == "https://dataops.nexla.io/nexla-api"
    assert (s.timeout_s, s.max_attempts, s.retry_budget_s) == (30.0, 5, 60.0)
    assert (s.rate_limit_per_s, s.rate_limit_burst, s.read_only) == (None, 10, False), "None: learn the limit"
    assert s.audit_log_path == "~/.nexla-ops/audit.jsonl"
    assert s.auth_mode == "access_token"


def test_missing_auth_names_the_variables_and_the_sandbox():
    with pytest.raises(ConfigError) as info:
        Settings.from_env({})
    text = str(info.value)
    assert "NEXLA_SERVICE_KEY" in text and "NEXLA_ACCESS_TOKEN" in text
    assert "nexla-sandbox serve" in text and "nexla-mcp --sandbox" in text
    assert info.value.exit_code == 3


def test_conflicting_auth_is_an_error_without_echoing_secrets():
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"NEXLA_SERVICE_KEY": "svc-key-123456", "NEXLA_ACCESS_TOKEN": "tok-abcdef"})
    assert "only one" in str(info.value)
    assert "svc-key-123456" not in str(info.value) and "tok-abcdef" not in str(info.value)


def test_explicit_credential_override_ignores_env_auth():
    s = Settings.from_env({"NEXLA_SERVICE_KEY": "svc-key-123456"}, access_token="tok-abcdef")
    assert s.auth_mode == "access_token"


@pytest.mark.parametrize(
    ("var", "value"),
    [("NEXLA_TIMEOUT", "fast"), ("NEXLA_MAX_ATTEMPTS", "0"), ("NEXLA_READ_ONLY", "maybe"), ("NEXLA_API_URL", "ftp://x")],
)
def test_bad_values_name_the_variable(var, value):
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"NEXLA_SERVICE_KEY": "svc-key-123456", var: value})
    assert var in str(info.value)


def test_unknown_override_is_rejected():
    with pytest.raises(ConfigError, match="Unknown setting"):
        Settings.from_env({"NEXLA_SERVICE_KEY": "svc-key-123456"}, timeout=3)
