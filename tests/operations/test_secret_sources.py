"""Secret sources of a spec's credential fields: env (with the MCP allow-list), OS keyring, .env file;
literal secrets refused with the way to do it right."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from nexla_ops.operations.deploy.spec import SpecError, parse_spec, resolve_fields
from nexla_ops.redaction import scrub_text
from nexla_ops.secrets import SecretPolicy, given_secrets, mcp_policy, secret_policy

from tests.helpers.deploy import spec_data


class MemoryKeyring(KeyringBackend):
    """A real keyring backend kept in memory, so the test never touches the machine's keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _fields(secret) -> dict:
    data = spec_data()
    data["credential"]["fields"]["secret_access_key"] = secret
    return parse_spec(data).credential.fields


def test_a_literal_secret_is_refused_with_the_right_way() -> None:
    with pytest.raises(SpecError) as refused:
        _fields("plain-text-secret")
    message = str(refused.value.issues[0].message)
    assert "secret_access_key is a secret" in message and "from_keyring" in message and "from_dotenv" in message
    assert "plain-text-secret" not in str(refused.value.to_dict())


def test_keyring_and_dotenv_sources(memory_keyring, tmp_path) -> None:
    memory_keyring.set_password("nexla-ops", "prod-s3", "from-the-keyring-1")
    assert resolve_fields(_fields({"from_keyring": "prod-s3"}), "f", env={})["secret_access_key"] == "from-the-keyring-1"
    missing = pytest.raises(SpecError, resolve_fields, _fields({"from_keyring": "nope"}), "f", env={})
    assert "keyring set nexla-ops nope" in missing.value.issues[0].message
    dotenv = tmp_path / "secrets.env"
    dotenv.write_text("S3_SECRET=from-the-dotenv-2\n")
    ref = {"from_dotenv": {"file": str(dotenv), "key": "S3_SECRET"}}
    assert resolve_fields(_fields(ref), "f", env={})["secret_access_key"] == "from-the-dotenv-2"
    bad = {"from_dotenv": {"file": str(dotenv), "key": "OTHER"}}
    assert "OTHER is not set" in pytest.raises(SpecError, resolve_fields, _fields(bad), "f", env={}).value.issues[0].message


def test_the_mcp_policy_allows_prefixed_variables_into_secret_fields_only() -> None:
    env = {"HOME_SECRET": "server-own-secret", "NEXLA_SECRET_S3": "allowed-value-3"}
    with secret_policy(mcp_policy({})):
        refused = pytest.raises(SpecError, resolve_fields, _fields({"from_env": "HOME_SECRET"}), "f", env=env)
        assert "not allowed here (allowed: NEXLA_SECRET_*)" in refused.value.issues[0].message
        assert resolve_fields(_fields({"from_env": "NEXLA_SECRET_S3"}), "f", env=env)["secret_access_key"] == "allowed-value-3"
        readable = parse_spec({**spec_data(), "credential": {"name": "c", "type": "s3", "fields": {
            "access_key_id": {"from_env": "NEXLA_SECRET_S3"}}}}).credential.fields
        assert "fills only secret fields" in pytest.raises(SpecError, resolve_fields, readable, "f", env=env).value.issues[0].message
    # Scripts keep the user's own environment.
    assert resolve_fields(_fields({"from_env": "HOME_SECRET"}), "f", env=env)["secret_access_key"] == "server-own-secret"
    assert mcp_policy({"NEXLA_MCP_SECRET_ENV_PREFIXES": "A_, B_"}) == SecretPolicy(env_prefixes=("A_", "B_"))


def test_from_user_is_answered_only_by_the_face_that_asked() -> None:
    ref = {"from_user": "the S3 secret key"}
    outside = pytest.raises(SpecError, resolve_fields, _fields(ref), "credential.fields", env={})
    message = outside.value.issues[0].message
    assert outside.value.issues[0].path == "credential.fields.secret_access_key"
    assert "only the MCP server can do" in message and "keyring set nexla-ops secret_access_key" in message
    with given_secrets({"the S3 secret key": "typed-by-the-user-8"}):
        assert resolve_fields(_fields(ref), "f", env={})["secret_access_key"] == "typed-by-the-user-8"
        assert "typed-by-the-user-8" not in scrub_text("value typed-by-the-user-8 leaked")
    pytest.raises(SpecError, resolve_fields, _fields(ref), "f", env={})  # the block ended: no value any more
