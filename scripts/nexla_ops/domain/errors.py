"""The one error document: what a script prints under ``--json``, an MCP tool returns with
``isError``, and a batch or access item carries when it failed.

``error`` is a stable machine kind (``not_found``, ``rate_limited``, ``refused``,
``invalid_input``, ``internal_error``...), ``message`` one sentence without secrets, ``hint`` what
to do next, ``retryable``/``retry_after_s`` whether and when a retry may succeed, and
``exit_code`` the code a script ends with. An unexpected exception is named by type only: its
text may hold anything, so faces that want it print it to stderr themselves.
"""

from __future__ import annotations

from typing import Any

import pydantic
from pydantic import BaseModel, GetJsonSchemaHandler, SerializerFunctionWrapHandler, model_serializer
from pydantic.json_schema import JsonSchemaValue

from nexla_ops.errors import ExitCode, NexlaError
from nexla_ops.redaction import scrub_text

INPUT_HINT = "Fix the value named above and try again; --help (or the tool's input schema) lists valid values."
INTERNAL_HINT = "Retry once; if it fails again, read the log on stderr and report the problem."


class ErrorDocument(BaseModel):
    """Why something failed, in one shape for every face."""

    # Stable kind, e.g. not_found, rate_limited, refused, invalid_input, internal_error.
    error: str
    type: str
    message: str
    hint: str | None = None
    retryable: bool = False
    retry_after_s: float | None = None
    status: int | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    exit_code: int = int(ExitCode.FAILED)
    issues: list[dict[str, Any]] | None = None
    request: str | None = None
    details: Any = None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # Published compactly (tool output schemas hold it several times): the fields every
        # document has, the others allowed; the class above is the full description.
        return {
            "type": "object",
            "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "hint": {"type": "string"},
                           "retryable": {"type": "boolean"}, "exit_code": {"type": "integer"}},
            "required": ["error", "message"],
            "additionalProperties": True,
        }

    @model_serializer(mode="wrap")
    def _without_absent(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The published schema types ``hint`` and the rest as values: a field that does not apply
        # is left out, never null, wherever the document is nested (tool results validate against it).
        return {key: value for key, value in handler(self).items() if value is not None}

    def as_json(self) -> dict[str, Any]:
        """The document as JSON, without fields that do not apply (``None``)."""
        return self.model_dump(mode="json") | {"retryable": self.retryable, "retry_after_s": self.retry_after_s}


def _issues(error: pydantic.ValidationError) -> list[dict[str, Any]]:
    # Locations and messages only: rejected values are the caller's data and may hold secrets.
    return [
        {"field": ".".join(str(part) for part in item["loc"]),
         "message": scrub_text(str(item["msg"]).removeprefix("Value error, "))}
        for item in error.errors(include_url=False, include_input=False)
    ]


def error_document(error: BaseException) -> ErrorDocument:
    """The error document for ``error`` (secrets scrubbed)."""
    if isinstance(error, NexlaError):
        return ErrorDocument(
            error=error.kind, type=type(error).__name__, message=error.message, hint=error.hint,
            retryable=error.retryable, retry_after_s=error.retry_after, status=error.status,
            resource_type=error.resource_type, resource_id=error.resource_id, exit_code=error.exit_code,
            request=" ".join(part for part in (error.method, error.path) if part) or None, details=error.body,
        )
    refused_code = getattr(error, "exit_code", None)
    if hasattr(error, "reason") and isinstance(refused_code, int):
        # OperationRefused (nexla_ops.operations.errors): nothing was changed.
        return ErrorDocument(
            error="refused", type=type(error).__name__, message=scrub_text(str(getattr(error, "reason"))),
            hint=scrub_text(getattr(error, "hint", "") or "Nothing was changed; adjust the request and try again."),
            exit_code=refused_code,
        )
    if isinstance(error, pydantic.ValidationError):
        issues = _issues(error)
        message = "; ".join(f"{i['field']}: {i['message']}" if i["field"] else i["message"] for i in issues)
        return ErrorDocument(error="invalid_input", type="InvalidInput", message=message,
                             hint=INPUT_HINT, issues=issues, exit_code=int(ExitCode.USAGE))
    if isinstance(error, FileNotFoundError):
        where = error.filename or str(error)
        return ErrorDocument(error="invalid_input", type="FileNotFound", message=f"file not found: {scrub_text(str(where))}",
                             hint="Check the path (relative paths are resolved from the current folder).",
                             exit_code=int(ExitCode.USAGE))
    if isinstance(error, ValueError | KeyError):
        issues_attr = getattr(error, "issues", None)
        listed: list[dict[str, Any]] | None = (
            [i.model_dump() if hasattr(i, "model_dump") else {"message": scrub_text(str(i))} for i in issues_attr]
            if isinstance(issues_attr, list) else None
        )
        text = error.args[0] if isinstance(error, KeyError) and error.args else error
        return ErrorDocument(error="invalid_input", type=type(error).__name__, message=scrub_text(str(text)),
                             hint=scrub_text(getattr(error, "hint", None) or INPUT_HINT), issues=listed,
                             exit_code=int(ExitCode.USAGE))
    return ErrorDocument(error="internal_error", type=type(error).__name__,
                         message=f"failed unexpectedly ({type(error).__name__})", hint=INTERNAL_HINT)


__all__ = ["ErrorDocument", "error_document"]
