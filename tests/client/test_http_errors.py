"""Every error type, produced by the sandbox over HTTP (real routes where possible, faults otherwise)."""

import socket

import pytest

from nexla_ops.client import NexlaClient
from nexla_ops.errors import (
    AuthorizationError,
    ConflictError,
    ConnectionFailedError,
    MethodNotAllowedError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    ValidationError,
)


def test_400_validation(sandbox, make_settings):
    with NexlaClient(make_settings()) as client, pytest.raises(ValidationError) as info:
        client.post("/teams", json={})
    assert info.value.status == 400 and "name" in info.value.message and info.value.exit_code == 1


def test_403_authorization(sandbox, make_settings):
    with NexlaClient(make_settings()) as admin:
        team = admin.post("/teams", json={"name": "private-team"})
    with NexlaClient(make_settings(service_key=sandbox.keys["outsider"])) as outsider:
        with pytest.raises(AuthorizationError) as info:
            outsider.delete(f"/teams/{team['id']}")
    error = info.value
    assert error.status == 403 and error.exit_code == 3
    assert error.resource_type == "teams" and error.resource_id == str(team["id"])
    assert "role" in str(error)


def test_404_not_found(sandbox, make_settings):
    with NexlaClient(make_settings()) as client, pytest.raises(NotFoundError) as info:
        client.get("/data_sources/999999")
    error = info.value
    assert (error.status, error.exit_code, error.retryable) == (404, 4, False)
    assert error.resource_type == "data_sources" and error.resource_id == "999999"
    assert "GET /data_sources/999999" in str(error)


def test_405_method_not_allowed(sandbox, make_settings):
    with NexlaClient(make_settings()) as client, pytest.raises(MethodNotAllowedError) as info:
        client.request("PATCH", "/teams")
    assert info.value.status == 405


def test_409_conflict_is_typed_and_changes_nothing(sandbox, make_settings):
    with NexlaClient(make_settings()) as client:
        credential = client.post("/data_credentials", json={
            "name": "in-use", "credentials_type": "s3", "credentials": {"access_key_id": "AKIAX", "secret_access_key": "s3cr3t-x"}})
        client.post("/data_sources", json={"name": "uses-it", "source_type": "s3", "data_credentials_id": credential["id"],
                                           "source_config": {"path": "in/"}})
        with pytest.raises(ConflictError) as info:
            client.delete(f"/data_credentials/{credential['id']}")
        assert info.value.status == 409 and "still used" in info.value.message
        assert info.value.exit_code == 1 and not info.value.retryable
        assert client.get(f"/data_credentials/{credential['id']}")["id"] == credential["id"]


def test_429_after_retries_carries_the_server_hint(sandbox, controls, make_settings):
    controls.fault(method="GET", path="^/teams$", status=429, retry_after="0", count=5)
    with NexlaClient(make_settings(max_attempts=2)) as client, pytest.raises(RateLimitError) as info:
        client.get("/teams")
    error = info.value
    assert (error.status, error.retryable, error.exit_code, error.attempts) == (429, True, 6, 2)
    assert error.retry_after == 0.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_server_errors(sandbox, controls, make_settings, status):
    controls.fault(method="GET", path="^/teams$", status=status, retry_after="0", count=1)
    with NexlaClient(make_settings(max_attempts=1)) as client, pytest.raises(ServerError) as info:
        client.get("/teams")
    assert info.value.status == status and info.value.exit_code == 6 and info.value.retryable


def test_timeout(sandbox, controls, make_settings):
    controls.fault(method="GET", path="^/teams$", status=None, delay_s=2.0, count=1)
    with NexlaClient(make_settings(timeout_s=0.3, max_attempts=1)) as client:
        client.whoami()
        with pytest.raises(RequestTimeoutError) as info:
            client.get("/teams")
    error = info.value
    assert error.status is None and error.exit_code == 6 and "0.3 s" in str(error)


def test_timeout_is_retried_for_a_replay_safe_request(sandbox, controls, make_settings):
    controls.fault(method="GET", path="^/teams$", status=None, delay_s=2.0, count=1)
    with NexlaClient(make_settings(timeout_s=0.3, max_attempts=3)) as client:
        client.whoami()
        assert isinstance(client.get("/teams"), list)


def test_dropped_connection(sandbox, controls, make_settings):
    controls.fault(method="GET", path="^/teams$", status=0, count=1)
    with NexlaClient(make_settings(max_attempts=1)) as client:
        client.whoami()
        with pytest.raises(ConnectionFailedError) as info:
            client.get("/teams")
    assert info.value.exit_code == 6


def test_connection_refused_on_a_closed_port(make_settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = make_settings(api_url=f"http://127.0.0.1:{port}/nexla-api", max_attempts=2)
    with NexlaClient(settings) as client, pytest.raises(ConnectionFailedError) as info:
        client.get("/teams")
    error = info.value
    assert error.attempts == 2 and error.exit_code == 6
    assert f"127.0.0.1:{port}" in str(error) and "NEXLA_API_URL" in str(error)
