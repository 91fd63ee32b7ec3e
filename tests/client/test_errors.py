"""Error types, status mapping and the exit-code table."""

import pydantic
import pytest

from nexla_ops.errors import (
    AuthenticationError,
    AuthorizationError,
    CircuitOpenError,
    ConfigError,
    ConflictError,
    ConnectionFailedError,
    ExitCode,
    MethodNotAllowedError,
    NexlaError,
    NotFoundError,
    RateLimitError,
    ReadOnlyError,
    RequestTimeoutError,
    ServerError,
    ValidationError,
    error_type_for_status,
    exit_code_for,
)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, AuthorizationError),
        (404, NotFoundError),
        (405, MethodNotAllowedError),
        (409, ConflictError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, NexlaError),
    ],
)
def test_status_mapping(status, cls):
    assert error_type_for_status(status) is cls


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (None, 0),
        (ValidationError("x"), 1),
        (ConflictError("x"), 1),
        (MethodNotAllowedError("x"), 1),
        (ConfigError("x"), 3),
        (AuthenticationError("x"), 3),
        (AuthorizationError("x"), 3),
        (ReadOnlyError("x"), 3),
        (NotFoundError("x"), 4),
        (RateLimitError("x"), 6),
        (ServerError("x"), 6),
        (RequestTimeoutError("x"), 6),
        (ConnectionFailedError("x"), 6),
        (CircuitOpenError("x"), 6),
        (ValueError("x"), 2),
        (RuntimeError("x"), 1),
    ],
)
def test_exit_codes(error, code):
    assert exit_code_for(error) == code


def test_pydantic_validation_is_usage():
    class M(pydantic.BaseModel):
        n: int

    with pytest.raises(pydantic.ValidationError) as info:
        M(n="x")
    assert exit_code_for(info.value) == ExitCode.USAGE


def test_message_and_dict_are_scrubbed_and_actionable():
    err = NotFoundError(
        "Source 7 not found; Authorization: Bearer abc123456789",
        status=404,
        resource_type="data_sources",
        resource_id=7,
        method="GET",
        path="/data_sources/7",
        body={"message": "nope", "password": "pw-123456"},
    )
    text = str(err)
    assert "abc123456789" not in text
    assert "HTTP 404 on GET /data_sources/7" in text and err.hint in text
    d = err.to_dict()
    assert d["error"] == "not_found" and d["exit_code"] == 4 and d["resource_id"] == "7"
    assert d["details"]["password"] == "***REDACTED***"
