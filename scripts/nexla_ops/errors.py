"""One exception hierarchy for everything the client can fail with, and the exit codes scripts use.

Every :class:`NexlaError` carries ``status`` (HTTP status or ``None``), ``message`` (the server's
message, scrubbed of secrets), ``resource_type``/``resource_id`` (from the body or the path),
``retryable`` (a later retry may succeed), ``retry_after`` (seconds the server asked us to wait),
``hint`` (what to do next) and ``exit_code``. ``str(error)`` is a single actionable line that
never contains a token, key or credential field.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import pydantic

from .redaction import redact, scrub_text


class ExitCode(IntEnum):
    """Exit codes shared by every script (see REFERENCE.md, "Exit codes")."""

    OK = 0
    FAILED = 1
    USAGE = 2
    CONFIG_OR_AUTH = 3
    NOT_FOUND = 4
    CHECK_FAILED = 5
    TEMPORARY = 6


SANDBOX_HINT = (
    "To try things out without a Nexla account, start the local sandbox with `nexla-sandbox serve` "
    "(or run the MCP server with `nexla-mcp --sandbox`) and use the NEXLA_API_URL and "
    "NEXLA_SERVICE_KEY it prints."
)


class NexlaError(Exception):
    """Base class: an operation against the Nexla API (or its configuration) failed."""

    default_hint = "Check the message above; rerun with the same arguments once the cause is fixed."
    default_exit_code = ExitCode.FAILED
    default_retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        resource_type: str | None = None,
        resource_id: str | int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
        method: str | None = None,
        path: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        attempts: int = 1,
    ) -> None:
        self.message = scrub_text(str(message))
        self.status = status
        self.resource_type = resource_type
        self.resource_id = None if resource_id is None else str(resource_id)
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.hint = scrub_text(hint or self.default_hint)
        self.method = method
        self.path = scrub_text(path) if path else path
        self.request_id = request_id
        self.body = redact(body) if body is not None else None
        self.attempts = attempts
        # Set when the client already retried this failure (e.g. inside the token exchange),
        # so an enclosing retry loop does not multiply the attempts.
        self.retries_spent = False
        super().__init__(self.message)

    @property
    def exit_code(self) -> int:
        """Process exit code a script should end with for this error."""
        return int(self.default_exit_code)

    @property
    def kind(self) -> str:
        """Stable machine name of the error type, e.g. ``not_found``."""
        return _KIND.get(type(self).__name__, "error")

    def __str__(self) -> str:
        parts = [self.message]
        where = " ".join(p for p in (self.method, self.path) if p)
        if self.status is not None or where:
            status = f"HTTP {self.status}" if self.status is not None else "no response"
            parts.append(f"({status}{' on ' + where if where else ''})")
        if self.attempts > 1:
            parts.append(f"after {self.attempts} attempts")
        text = " ".join(parts).rstrip(".") + "."
        if self.retry_after is not None:
            text += f" The server asked to wait {self.retry_after:g} s."
        return f"{text} {self.hint}".strip()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description for ``--json`` output and MCP tool errors (secrets redacted):
        the one error document of :mod:`nexla_ops.domain.errors`."""
        from nexla_ops.domain.errors import error_document  # the domain imports this module

        return error_document(self).as_json()


class ConfigError(NexlaError):
    """Settings are missing, conflicting or malformed; nothing was sent."""

    default_hint = SANDBOX_HINT
    default_exit_code = ExitCode.CONFIG_OR_AUTH


class AuthenticationError(NexlaError):
    """401: the service key or access token was rejected."""

    default_hint = (
        "Check NEXLA_SERVICE_KEY (or NEXLA_ACCESS_TOKEN, which expires) and NEXLA_API_URL; "
        "create a fresh service key in the Nexla UI if needed. " + SANDBOX_HINT
    )
    default_exit_code = ExitCode.CONFIG_OR_AUTH


class AuthorizationError(NexlaError):
    """403: authenticated, but this user lacks the access role the request needs."""

    default_hint = (
        "Ask an owner or admin of the resource to grant you a role (see ACCESS_CONTROL.md), "
        "or use a service key of a user who has it."
    )
    default_exit_code = ExitCode.CONFIG_OR_AUTH


class NotFoundError(NexlaError):
    """404: the resource does not exist or is not visible to this user."""

    default_hint = "Check the id (list the resources to find it); it may have been deleted or not be shared with you."
    default_exit_code = ExitCode.NOT_FOUND


class ValidationError(NexlaError):
    """400/422: the server rejected the request body or parameters."""

    default_hint = "Fix the field named in the message and send the request again."


class ConflictError(NexlaError):
    """409: the resource already exists or is in a conflicting state."""

    default_hint = "Look up the existing resource (by name) and update it instead of creating a new one."


class MethodNotAllowedError(NexlaError):
    """405: the request is not allowed in the resource's current state (e.g. deleting an active flow)."""

    default_hint = (
        "The method is not allowed on this path or in the resource's current state: check the path, "
        "and pause an active flow before deleting it."
    )


class RateLimitError(NexlaError):
    """429: too many requests; the client already waited and retried within its budget."""

    default_hint = (
        "Wait for the time the server asked for and retry, lower NEXLA_RATE_LIMIT, "
        "or raise NEXLA_RETRY_BUDGET."
    )
    default_exit_code = ExitCode.TEMPORARY
    default_retryable = True


class ServerError(NexlaError):
    """5xx: the server failed; usually temporary."""

    default_hint = "The Nexla API failed; retry later. If it persists, check the Nexla status page or support."
    default_exit_code = ExitCode.TEMPORARY
    default_retryable = True


class RequestTimeoutError(NexlaError):
    """No response within NEXLA_TIMEOUT seconds."""

    default_hint = "Retry later or raise NEXLA_TIMEOUT; for long operations use the async variant if one exists."
    default_exit_code = ExitCode.TEMPORARY
    default_retryable = True


class ConnectionFailedError(NexlaError):
    """The API could not be reached (DNS, refused connection, TLS, reset)."""

    default_hint = "Check NEXLA_API_URL and your network; if you use the sandbox, make sure it is running."
    default_exit_code = ExitCode.TEMPORARY
    default_retryable = True


class CircuitOpenError(NexlaError):
    """The circuit breaker for this API URL is open after sustained failures; nothing was sent."""

    default_hint = "The API has been failing repeatedly; wait for the cool-down (retry_after) and try again."
    default_exit_code = ExitCode.TEMPORARY
    default_retryable = True


class ReadOnlyError(NexlaError):
    """Read-only mode is on (NEXLA_READ_ONLY) and the request would change something; nothing was sent."""

    default_hint = "Unset NEXLA_READ_ONLY (or pass read_only=False) to allow changes."
    default_exit_code = ExitCode.CONFIG_OR_AUTH


_KIND = {
    "NexlaError": "error",
    "ConfigError": "configuration",
    "AuthenticationError": "authentication",
    "AuthorizationError": "authorization",
    "NotFoundError": "not_found",
    "ValidationError": "validation",
    "ConflictError": "conflict",
    "MethodNotAllowedError": "method_not_allowed",
    "RateLimitError": "rate_limited",
    "ServerError": "server_error",
    "RequestTimeoutError": "timeout",
    "ConnectionFailedError": "connection_failed",
    "CircuitOpenError": "circuit_open",
    "ReadOnlyError": "read_only",
}

_STATUS_TYPES: dict[int, type[NexlaError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: AuthorizationError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_type_for_status(status: int) -> type[NexlaError]:
    """Exception class for an HTTP error status (5xx -> ServerError; other 4xx -> NexlaError)."""
    if status >= 500:
        return ServerError
    return _STATUS_TYPES.get(status, NexlaError)


def exit_code_for(error: BaseException | None) -> int:
    """Exit code for an outcome: 0 for ``None``, the error's own code for a NexlaError,
    2 (usage) for invalid input (pydantic validation, ValueError), 1 for anything else."""
    if error is None:
        return int(ExitCode.OK)
    if isinstance(error, NexlaError):
        return error.exit_code
    if isinstance(error, (pydantic.ValidationError, ValueError)):
        return int(ExitCode.USAGE)
    return int(ExitCode.FAILED)


__all__ = [
    "SANDBOX_HINT",
    "AuthenticationError",
    "AuthorizationError",
    "CircuitOpenError",
    "ConfigError",
    "ConflictError",
    "ConnectionFailedError",
    "ExitCode",
    "MethodNotAllowedError",
    "NexlaError",
    "NotFoundError",
    "RateLimitError",
    "ReadOnlyError",
    "RequestTimeoutError",
    "ServerError",
    "ValidationError",
    "error_type_for_status",
    "exit_code_for",
]
