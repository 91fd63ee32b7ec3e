"""Error results, lenient numbers, and the size limit on results."""

from __future__ import annotations

import json

import jsonschema

from nexla_mcp.results import MAX_RESULT_CHARS, fit, to_json
from tests.helpers.mcp import ToolCaller, connect, offline_settings, settings_for


async def test_bad_input_and_missing_resources_are_error_results_with_hints(sandbox) -> None:
    async with connect(settings_for(sandbox)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        unknown = await call.error("list_resources", {"kind": "pipelines"})
        assert unknown["error"] == "invalid_input" and "pipelines" in unknown["message"]
        assert unknown["retryable"] is False and unknown["retry_after_s"] is None
        missing = await call.error("get_resource", {"kind": "data_sources", "id": 999999})
        assert missing["error"] == "not_found" and missing["hint"] and missing["status"] == 404
        spec = await call.error("plan_deployment", {"spec": {"name": "x", "source": {"type": "s3"}}})
        assert spec["error"] == "invalid_input" and spec["issues"]
        typed = await client.call_tool("get_resource", {"kind": "data_sources", "id": "abc"})
        assert typed.is_error and typed.structured_content["error"] == "invalid_arguments"
        assert typed.structured_content["arguments"] == ["id"]
    for payload in (unknown, missing, spec):
        text = json.dumps(payload)
        assert sandbox.service_key not in text and "Traceback" not in text


async def test_numbers_sent_as_strings_are_accepted_without_widening_the_schema(sandbox) -> None:
    async with connect(settings_for(sandbox)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        limit_schema = tools["list_resources"].input_schema["properties"]["limit"]
        assert limit_schema["type"] == "integer"
        result = await client.call_tool("list_resources", {"kind": "users", "limit": "2"})
        assert not result.is_error
        assert result.structured_content["count"] == 2


async def test_oversized_results_are_cut_with_a_flag_and_a_paging_hint() -> None:
    records = [{"id": i, "note": "x" * 400} for i in range(200)]
    transform = {"version": 1, "operations": [{"operation": "rename", "fields": {"id": "order_id"}}]}
    async with connect(offline_settings()) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "validate_transform")
        result = await client.call_tool(
            "validate_transform", {"transform": transform, "records": records, "max_output_records": 200}
        )
    payload = result.structured_content
    assert not result.is_error
    assert len(to_json(payload)) <= MAX_RESULT_CHARS and len(result.content[0].text) <= MAX_RESULT_CHARS
    assert payload["result_truncated"] is True and payload["truncated"] is True and payload["paging_hint"]
    assert payload["records_in"] == 200 and 0 < len(payload["records"]) < 200
    jsonschema.validate(payload, tool.output_schema)


def test_fit_cuts_long_strings_when_there_is_no_list_left() -> None:
    cut = fit({"text": "y" * 50_000}, limit=1_000)
    assert len(to_json(cut)) <= 1_000 and cut["text"].endswith("[cut]") and cut["result_truncated"]
    small = {"a": [1, 2, 3]}
    assert fit(small) is small
