"""Published schemas are smaller than pydantic's but accept exactly the same instances."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, Field

from nexla_mcp.schemas import compact_input_schema, compact_output_schema
from tests.helpers.mcp import connect, offline_settings

# tools/list was 96.5 KB of compact JSON before the schemas were compacted, and 77 KB when the
# look-before-deploy, project and run-now tools were asked for "no larger than today": stay below that.
TOOLS_LIST_BUDGET = 77_000


class Ref(BaseModel):
    kind: str
    id: int = Field(ge=1)


class Node(BaseModel):
    """A node that may hold more nodes (self-referential: stays in $defs)."""

    name: str
    children: list[Node] = []


class Report(BaseModel):
    """What happened."""

    title: str = Field(description="A property named like a keyword must survive.")
    flow_id: int | None = None
    tags: list[str] | None = None
    created: list[Ref] = []
    primary: Ref | None = Field(default=None, description="The main one.")
    tree: Node | None = None
    only_once: dict[str, Ref] = {}


def _valid(schema: dict[str, Any], instance: Any) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(instance)


INSTANCES: list[Any] = [
    {"title": "t"},
    {"title": "t", "flow_id": None, "tags": None, "primary": None, "tree": None},
    {"title": "t", "flow_id": 4, "tags": ["a"], "created": [{"kind": "k", "id": 1}], "primary": {"kind": "k", "id": 2}},
    {"title": "t", "tree": {"name": "a", "children": [{"name": "b", "children": []}]}, "only_once": {"x": {"kind": "k", "id": 3}}},
    {"title": 1},
    {"flow_id": 4},
    {"title": "t", "flow_id": "4"},
    {"title": "t", "tags": "a"},
    {"title": "t", "created": [{"kind": "k", "id": 0}]},
    {"title": "t", "primary": {"kind": "k"}},
    {"title": "t", "tree": {"name": "a", "children": [{"children": []}]}},
    {"title": "t", "only_once": {"x": {"kind": "k", "id": "x"}}},
]


@pytest.mark.parametrize("compact", [compact_input_schema, compact_output_schema])
def test_compact_schemas_accept_and_reject_the_same_instances(compact) -> None:
    original = Report.model_json_schema()
    published = compact(original)
    jsonschema.Draft202012Validator.check_schema(published)
    assert len(json.dumps(published)) < len(json.dumps(original))
    assert [_valid(published, item) for item in INSTANCES] == [_valid(original, item) for item in INSTANCES]
    assert [_valid(original, item) for item in INSTANCES].count(True) == 4
    assert "title" in published["properties"] and '"title": "Flow Id"' not in json.dumps(published)


def test_output_schema_folds_nullables_and_inlines_single_use_definitions() -> None:
    published = compact_output_schema(Report.model_json_schema())
    assert published["properties"]["flow_id"] == {"type": ["integer", "null"]}
    assert "default" not in json.dumps(published)
    # Ref is used three times and Node refers to itself: both stay shared; nothing else is left.
    assert set(published["$defs"]) == {"Ref", "Node"}
    assert published["properties"]["primary"]["description"] == "The main one."


async def test_tools_list_fits_the_context_budget_and_carries_no_title_noise() -> None:
    async with connect(offline_settings()) as client:
        tools = (await client.list_tools()).tools
    listing = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    size = len(json.dumps(listing, separators=(",", ":")))
    assert size < TOOLS_LIST_BUDGET, size
    for tool in listing:
        for schema in (tool["inputSchema"], tool["outputSchema"]):
            assert '"title":' not in json.dumps(_without_properties_named_title(schema)), tool["name"]
        assert "\n    " not in tool["description"], tool["name"]


def _without_properties_named_title(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: _without_properties_named_title(
                {name: sub for name, sub in value.items() if name != "title"} if key == "properties" else value
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_without_properties_named_title(item) for item in schema]
    return schema


def test_an_error_document_nested_in_a_result_leaves_out_what_does_not_apply():
    """A rolled-back rotation carries an error without a hint: the published schema types ``hint``
    as a string, so the dumped result must leave it out rather than send null."""
    from nexla_ops.domain import ErrorDocument

    class Outcome(BaseModel):
        error: ErrorDocument | None = None

    dumped = Outcome(error=ErrorDocument(error="refused", type="OperationRefused", message="no")).model_dump(mode="json")
    assert "hint" not in dumped["error"] and "status" not in dumped["error"]
    jsonschema.validate(dumped, compact_output_schema(Outcome.model_json_schema()))
