"""API errors rendered the way the contract's section 3 describes: JSON with ``message`` and ``error``."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

_REASONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


class ApiError(Exception):
    """Raise from any handler to answer ``status`` with a contract-shaped error body.

    ``extra`` lands at the top level of the body (``resource_type``, ``resource_id``, ``field``,
    or the active-resource lists of a refused flow delete).
    """

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "error": self.message, "status_code": self.status}
        body.update({k: v for k, v in self.extra.items() if v is not None})
        return body


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return ApiError(status, message, **extra).body()


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


def bad_request(message: str, field: str | None = None, **extra: Any) -> ApiError:
    """A 400 naming the offending field."""
    return ApiError(400, message, field=field, **extra)


def not_found(kind: str, id: Any) -> ApiError:
    return ApiError(404, f"{singular(kind)} {id} not found", resource_type=kind, resource_id=id)


def reason(status: int) -> str:
    return _REASONS.get(status, "Error")


def singular(kind: str) -> str:
    names = {
        "data_sources": "Source", "data_sets": "Nexset", "data_sinks": "Destination",
        "data_credentials": "Credential", "flows": "Flow", "projects": "Project", "teams": "Team",
        "users": "User", "orgs": "Org", "transforms": "Transform",
        "attribute_transforms": "Attribute transform", "code_containers": "Code container",
        "notifications": "Notification", "async_tasks": "Async task",
    }
    return names.get(kind, kind)
