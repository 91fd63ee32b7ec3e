"""Auth against the sandbox: service-key exchange, token reuse, re-auth on 401, direct tokens."""

import httpx
import pytest

from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.errors import AuthenticationError


def test_service_key_is_exchanged_once_and_the_token_reused(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        me = client.whoami()
        for _ in range(4):
            client.get("/teams")
    assert me["email"] == "admin@sandbox.local"
    assert controls.count("POST /token") == 1
    assert controls.count("GET /teams") == 4


def test_revoked_token_is_replaced_once_and_the_request_replayed(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        client.get("/teams")
        token = client.pipeline.tokens.current()
        httpx.post(f"{sandbox.base_url}/token/logout", headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        assert client.get("/teams")
        assert client.pipeline.tokens.current() != token
    assert controls.count("POST /token") == 2
    assert controls.count("GET /teams") == 3, "first call, the 401, and the replay"


async def test_async_client_reauthenticates_too(sandbox, controls, make_settings):
    async with AsyncNexlaClient(make_settings()) as client:
        await client.get("/teams")
        controls._http.post("tokens/revoke").raise_for_status()
        assert await client.get("/teams")
    assert controls.count("POST /token") == 2


def test_wrong_service_key_is_an_authentication_error(sandbox, make_settings):
    wrong = "nxsbx_wrong-key-0000000000000000"
    with NexlaClient(make_settings(service_key=wrong)) as client:
        with pytest.raises(AuthenticationError) as info:
            client.get("/teams")
    error = info.value
    assert error.status == 401 and error.exit_code == 3
    assert "POST /token" in str(error) and "NEXLA_SERVICE_KEY" in str(error)
    assert wrong not in str(error) and wrong not in repr(error.to_dict())
    assert error.attempts == 1, "a rejected key is not retried"


def test_direct_access_token_is_used_as_is_and_never_renewed(sandbox, controls, make_settings):
    token = sandbox.token("operator")
    controls.reset_requests()
    with NexlaClient(make_settings(service_key=None, access_token=token)) as client:
        assert client.whoami()["email"] == "operator@sandbox.local"
        httpx.post(f"{sandbox.base_url}/token/logout", headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        with pytest.raises(AuthenticationError) as info:
            client.get("/teams")
    assert "access token was rejected" in str(info.value)
    assert token not in str(info.value)
    assert controls.count("POST /token") == 0
    assert controls.count("GET /teams") == 1


async def test_concurrent_first_requests_share_one_exchange(sandbox, controls, make_settings):
    async with AsyncNexlaClient(make_settings()) as client:
        results = await client.fan_out(lambda _: client.get("/teams"), range(10), concurrency=10)
    assert all(isinstance(r, list) for r in results)
    assert controls.count("POST /token") == 1


def test_threads_share_one_exchange(sandbox, controls, make_settings):
    with NexlaClient(make_settings()) as client:
        results = client.fan_out(lambda _: client.get("/teams"), range(10), concurrency=10)
    assert all(isinstance(r, list) for r in results)
    assert controls.count("POST /token") == 1
