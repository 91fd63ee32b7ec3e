"""API errors, with bodies where real Nexla sends them and none where it does not.

Nexla's OpenAPI gives 401, 403 and 404 no body schema and its admin code answers many of them with
an empty body (``head :not_found``), so the sandbox answers 401, 403 and 404 with an empty body;
tools must not depend on a JSON error body. The reason goes in the ``X-Sandbox-Error`` header for
people reading a trace (real Nexla sends no such header). Exceptions: an error raised with
``status_field=True`` has the documented ``{status, message}`` body (a failed credential probe's 403).
400 keeps a JSON body ``{message, error, status_code, field}`` naming the offending field: the sandbox's
choice, so bad input is actionable; 405, 409, 429 and 5xx keep their JSON bodies too.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

EMPTY_BODY = {401, 403, 404}

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

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None,
                 status_field: bool = False, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.status_field = status_field
        self.extra = extra

    def body(self) -> dict[str, Any] | None:
        if self.status_field:
            return {"status": self.status, "message": self.message,
                    **({"field": self.extra["field"]} if self.extra.get("field") else {})}
        if self.status in EMPTY_BODY:
            return None
        return error_body(self.status, self.message, **self.extra)


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """A JSON error body ``{message, error, status_code, ...extra}`` (injected faults send one whatever the status)."""
    body: dict[str, Any] = {"message": message, "error": message, "status_code": status}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None,
                   status_field: bool = False, **extra: Any) -> Response:
    body = ApiError(status, message, status_field=status_field, **extra).body()
    if body is None:
        safe = message.encode("ascii", "replace").decode()[:300]
        return Response(status_code=status, headers={**(headers or {}), "X-Sandbox-Error": safe})
    return JSONResponse(body, status_code=status, headers=headers)


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
