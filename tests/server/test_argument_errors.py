"""Arguments the SDK rejects before a tool runs come back in the same structured error shape as
every other tool error: isError, ``error``/``message``/``hint``/``retryable``/``retry_after_s``,
naming the bad argument and what to send, with no stack trace and no echo of the rejected value."""

from __future__ import annotations

import json

import pytest

from tests.helpers.mcp import ERROR_KEYS, connect, offline_settings, text_of

SECRET_LOOKING = "sk-live-0123456789abcdef"


@pytest.mark.parametrize(
    ("tool", "arguments", "argument", "message_part", "hint_part"),
    [
        ("get_resource", {"kind": "data_sources", "id": SECRET_LOOKING}, "id", "valid integer", "an integer >= 1"),
        ("get_resource", {"kind": "data_sources", "id": 0}, "id", "greater than or equal to 1", "an integer >= 1"),
        ("get_resource", {"id": 3}, "kind", "missing (required)", "add `kind`"),
        ("check_health", {"fail_on": SECRET_LOOKING}, "fail_on", "'critical' or 'warning'", "'critical', 'warning'"),
        ("list_resources", {"kind": "data_sources", "limit": 5000}, "limit", "less than or equal to 1000", "<= 1000"),
        (
            "grant_access",
            {"kind": "data_sources", "resource_ids": [1], "accessors": [{"type": "ROBOT", "id": 1}], "roles": ["owner"]},
            "accessors",
            "accessors[0].type: Input should be 'USER', 'TEAM' or 'ORG'",
            "`accessors[0].type`",
        ),
    ],
)
async def test_rejected_arguments_are_structured_errors_naming_the_argument(
    tool: str, arguments: dict, argument: str, message_part: str, hint_part: str
) -> None:
    async with connect(offline_settings()) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    payload = result.structured_content
    assert payload is not None and ERROR_KEYS <= payload.keys(), text_of(result)
    assert json.loads(text_of(result)) == payload
    assert payload["error"] == "invalid_arguments" and payload["arguments"] == [argument]
    assert payload["retryable"] is False and payload["retry_after_s"] is None
    assert message_part in payload["message"] and hint_part in payload["hint"]
    text = text_of(result)
    assert SECRET_LOOKING not in text and "Traceback" not in text and "pydantic.dev" not in text


async def test_every_bad_argument_is_reported_in_one_round() -> None:
    async with connect(offline_settings()) as client:
        result = await client.call_tool("list_resources", {"limit": "many", "project_id": "x"})
    payload = result.structured_content
    assert result.is_error and payload["error"] == "invalid_arguments"
    assert set(payload["arguments"]) == {"kind", "limit", "project_id"}
    assert "add `kind`" in payload["hint"] and "`limit` as an integer" in payload["hint"]


async def test_an_unknown_tool_is_a_structured_error_listing_the_tools() -> None:
    async with connect(offline_settings()) as client:
        result = await client.call_tool("drop_everything", {})
    payload = result.structured_content
    assert result.is_error and ERROR_KEYS <= payload.keys()
    assert payload["error"] == "unknown_tool" and "drop_everything" in payload["message"]
    assert "list_resources" in payload["hint"]
