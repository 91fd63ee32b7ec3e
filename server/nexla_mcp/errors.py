"""Turn any failure of a tool into the one error shape agents see.

Every tool error is an ``isError`` result whose structured content has ``error`` (a stable kind),
``message``, ``hint``, ``retryable`` and ``retry_after_s`` (the error document of
:mod:`nexla_ops.domain.errors`, shared with scripts); messages are scrubbed of secrets or name the
offending field; unexpected failures are reported by type only, never with a stack trace, URL or secret.
"""

from __future__ import annotations

import logging
from typing import Any

import pydantic

from nexla_ops.domain import error_document
from nexla_ops.redaction import scrub_text

logger = logging.getLogger("nexla_mcp")

def _where(loc: tuple[int | str, ...]) -> str:
    """``("accessors", 0, "type")`` -> ``accessors[0].type``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "arguments"


_ARTICLES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "array": "an array",
    "object": "an object",
}


def _expected(schema: dict[str, Any]) -> str:
    """What a value of ``schema`` looks like, in a few words (for the hint)."""
    if "enum" in schema:
        return "one of " + ", ".join(repr(value) for value in schema["enum"])
    kinds = [schema] + [option for option in schema.get("anyOf", []) if isinstance(option, dict)]
    types = [kind["type"] for kind in kinds if isinstance(kind.get("type"), str) and kind["type"] != "null"]
    bounds = []
    for kind in kinds:
        if "minimum" in kind:
            bounds.append(f">= {kind['minimum']}")
        if "exclusiveMinimum" in kind:
            bounds.append(f"> {kind['exclusiveMinimum']}")
        if "maximum" in kind:
            bounds.append(f"<= {kind['maximum']}")
    text = " or ".join(_ARTICLES.get(kind, kind) for kind in dict.fromkeys(types)) or "a value matching the input schema"
    return f"{text} {', '.join(bounds)}".strip()


def argument_error_payload(tool: str, exc: pydantic.ValidationError, input_schema: dict[str, Any]) -> dict[str, Any]:
    """The structured error for arguments the tool's input schema rejects, before the tool runs.

    Names every bad argument with what is wrong and what to send instead; the rejected values
    are never echoed (they are the caller's data and may hold secrets).
    """
    properties = input_schema.get("properties", {})
    problems: list[str] = []
    fixes: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        where = _where(err["loc"])
        argument = str(err["loc"][0]) if err["loc"] else where
        problems.append(f"{where}: {'missing (required)' if err['type'] == 'missing' else err['msg']}")
        schema = properties.get(argument)
        if argument in fixes:
            continue
        if schema is None:
            fixes[argument] = f"`{argument}` is not an argument of {tool}"
        elif err["type"] == "missing":
            fixes[argument] = f"add `{argument}` ({_expected(schema)})"
        else:
            fixes[argument] = f"send `{argument}` as {_expected(schema)}" if where == argument else (
                f"fix `{where}` (see the `{argument}` schema)"
            )
    return {
        "error": "invalid_arguments",
        "message": f"{tool} rejected its arguments: {'; '.join(problems)}.",
        "hint": "Call again and " + "; ".join(fixes.values()) + ". Nothing was run.",
        "retryable": False,
        "retry_after_s": None,
        "arguments": list(fixes),
    }


def unknown_tool_payload(tool: str, known: list[str]) -> dict[str, Any]:
    """The structured error for a call to a tool this server does not expose."""
    return {
        "error": "unknown_tool",
        "message": f"This server has no tool named {tool!r} (it may be hidden by read-only mode or the tool selection).",
        "hint": "Call one of: " + ", ".join(known) + ".",
        "retryable": False,
        "retry_after_s": None,
    }


def error_payload(exc: BaseException, tool: str) -> dict[str, Any]:
    """The structured error for ``exc`` raised while running ``tool``: the one error document
    (:func:`nexla_ops.domain.error_document`) that scripts and per-item results use too."""
    document = error_document(exc)
    if document.error == "internal_error":
        logger.error("tool %s failed unexpectedly: %s", tool, type(exc).__name__)
        logger.debug("tool %s failure detail: %s", tool, scrub_text(repr(exc)))
        document.message = f"The tool {tool} failed unexpectedly ({type(exc).__name__})."
    return document.as_json()
