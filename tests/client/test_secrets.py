"""Known secrets seeded into credentials and the environment never show up in any output.

The matrix runs the client's main paths (auth, re-auth, CRUD, every error family, retries,
read-only refusal, timeouts, connection failures) with logging at DEBUG for every logger, then
searches captured logs, stdout/stderr, error strings, error dicts and the audit file.
"""

import json
import logging
import socket

import httpx
import pytest

from nexla_ops.client import NexlaClient
from nexla_ops.config import Settings
from nexla_ops.errors import NexlaError
from nexla_ops.redaction import redact

CREDENTIAL_SECRETS = {
    "secret_access_key": "SEEDED-aws-secret-7f3a9c1e5b",
    "password": "SEEDED-db-password-42x",
    "api_key": "SEEDED-api-key-90210",
}
WRONG_KEY = "SEEDED-wrong-service-key-5551"


def test_no_secret_appears_anywhere(sandbox, controls, audit_path, caplog, capsys):
    env = {
        "NEXLA_API_URL": sandbox.base_url,
        "NEXLA_SERVICE_KEY": sandbox.service_key,
        "NEXLA_AUDIT_LOG": str(audit_path),
        "NEXLA_RATE_LIMIT": "0",
        "NEXLA_MAX_ATTEMPTS": "2",
        "NEXLA_RETRY_BUDGET": "5",
    }
    secrets = [sandbox.service_key, WRONG_KEY, *CREDENTIAL_SECRETS.values()]
    errors: list[NexlaError] = []
    outputs: list[str] = []

    def attempt(fn):
        try:
            result = fn()
            outputs.append(json.dumps(redact(result), default=str))
        except NexlaError as error:
            errors.append(error)

    caplog.set_level(logging.DEBUG)
    with NexlaClient(Settings.from_env(env)) as client:
        secrets.append(client.pipeline.tokens.basic_authorization())
        attempt(client.whoami)
        secrets.append(client.pipeline.tokens.current())
        cred = client.post(
            "/data_credentials",
            json={"name": "seeded", "credentials_type": "postgres", "credentials": CREDENTIAL_SECRETS},
        )
        outputs.append(json.dumps(redact(cred)))
        attempt(lambda: client.get(f"/data_credentials/{cred['id']}", params={"expand": 1}))
        attempt(lambda: list(client.paginate("/data_credentials")))
        attempt(lambda: client.put(f"/data_credentials/{cred['id']}", json={"credentials": CREDENTIAL_SECRETS}))
        client.post("/data_sources", json={"name": "uses-seeded", "source_type": "postgres",
                                           "data_credentials_id": cred["id"], "source_config": {"table": "t"}})
        attempt(lambda: client.delete(f"/data_credentials/{cred['id']}"))  # 409: still used by the source
        attempt(lambda: client.post("/data_credentials", json={"credentials": CREDENTIAL_SECRETS}))  # 400
        attempt(lambda: client.get("/data_credentials/999999"))  # 404
        # A misbehaving server that echoes the key and a credential secret back in an error.
        controls.fault(method="GET", path="^/teams$", status=503, count=2, retry_after="0",
                       body={"message": f"upstream said {sandbox.service_key} / {CREDENTIAL_SECRETS['password']}",
                             "password": CREDENTIAL_SECRETS["password"]})
        attempt(lambda: client.get("/teams"))
        controls.fault(method="GET", path="^/teams$", status=None, delay_s=1.0, count=1)
        attempt(lambda: NexlaClient(Settings.from_env(env, timeout_s=0.2, max_attempts=1)).get("/teams"))
        old = client.pipeline.tokens.current()
        httpx.post(f"{sandbox.base_url}/token/logout", headers={"Authorization": f"Bearer {old}"})
        attempt(lambda: client.get("/teams"))  # re-auth path
        secrets.append(client.pipeline.tokens.current())
        attempt(lambda: client.delete(f"/data_credentials/{cred['id']}"))
    with NexlaClient(Settings.from_env(env, read_only=True)) as ro:
        attempt(lambda: ro.post("/data_credentials", json={"credentials": CREDENTIAL_SECRETS}))
    with NexlaClient(Settings.from_env({**env, "NEXLA_SERVICE_KEY": WRONG_KEY})) as bad:
        attempt(bad.whoami)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with NexlaClient(Settings.from_env(env, api_url=f"http://127.0.0.1:{port}/nexla-api")) as down:
        attempt(down.whoami)

    kinds = {error.kind for error in errors}
    assert {"conflict", "validation", "not_found", "server_error", "timeout", "read_only", "authentication",
            "connection_failed"} <= kinds, kinds
    captured = capsys.readouterr()
    haystacks = {
        "logs": caplog.text,
        "stdout": captured.out,
        "stderr": captured.err,
        "errors": "\n".join(f"{e}\n{e!r}\n{json.dumps(e.to_dict(), default=str)}" for e in errors),
        "results": "\n".join(outputs),
        "audit": audit_path.read_text(),
    }
    assert haystacks["audit"].count("\n") >= 5
    for secret in filter(None, secrets):
        for name, text in haystacks.items():
            assert secret not in text, f"a secret leaked into {name}"


@pytest.mark.parametrize("var", ["NEXLA_SERVICE_KEY", "NEXLA_ACCESS_TOKEN"])
def test_settings_never_print_credentials(var):
    value = "SEEDED-settings-secret-0042"
    settings = Settings.from_env({var: value})
    assert value not in repr(settings) and value not in str(settings.model_dump())
    assert value not in settings.model_dump_json()
