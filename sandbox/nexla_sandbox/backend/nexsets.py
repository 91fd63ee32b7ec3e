"""Nexset rules (``/data_sets``): derived nexsets with an inline ``transform`` or a reusable ``transform_id``.

Inline transforms are validated with ``nexla_ops.transform.validate_transform`` (the engine the
runtime runs); a bad spec is a 400 naming the operation index. Detected nexsets are created by
the runtime's discovery, or here with ``data_source_id`` and no parent: they are the one kind of
resource with a uniqueness rule (one per source and output schema; a duplicate is 409 carrying the
existing ``data_set_id``). Names are never unique.
"""

from __future__ import annotations

from typing import Any

from nexla_ops.transform import TransformSpecError
from nexla_ops.transform import validate_transform as engine_validate

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.flows import clone
from nexla_sandbox.backend.records import Family, copy_owner, reference, refuse_active
from nexla_sandbox.errors import ApiError, bad_request
from nexla_sandbox.params import optional_bool, optional_dict, optional_list, require_int, require_str
from nexla_sandbox.state.flows import FlowIndex

OPTIONAL = ("description", "output_schema_annotations", "output_schema_validation_enabled", "output_validation_schema",
            "custom_config", "tags", "output_schema")


MAX_EXPRESSION = 10_000
"""Longest string a transform may hold (an expression, a path); scripts (``script``) may be up to MAX_SCRIPT."""
MAX_SCRIPT = 1_000_000


def check_transform_size(spec: Any, field: str = "transform") -> None:
    """400 naming the field for an oversized expression: the engine's work grows with it, so bound it at create."""
    stack: list[tuple[Any, str]] = [(spec, field)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((item, f"{path}.{key}") for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{n}]") for n, item in enumerate(value))
        elif isinstance(value, str):
            limit = MAX_SCRIPT if path.endswith(".script") else MAX_EXPRESSION
            if len(value) > limit:
                raise bad_request(f"'{path}' is longer than {limit} characters", field)


def validate_transform(spec: Any) -> None:
    """400 unless ``spec`` is a transform the engine accepts (and small enough to run)."""
    if not isinstance(spec, (dict, list)):
        raise bad_request("'transform' must be an object {version, transforms, ...} or a Jolt list", "transform")
    check_transform_size(spec)
    try:
        engine_validate(spec)
    except TransformSpecError as error:
        index = getattr(error, "operation_index", None)
        raise bad_request(f"Invalid transform: {error}", "transform", operation_index=index) from None
    except RecursionError:
        raise bad_request("Invalid transform: an expression is nested too deeply", "transform") from None


def check_common(caller: Caller, body: dict) -> dict:
    for name in ("output_schema_annotations", "output_validation_schema", "custom_config", "output_schema"):
        optional_dict(body, name)
    optional_bool(body, "output_schema_validation_enabled")
    optional_bool(body, "has_custom_transform")
    fields = {k: body[k] for k in OPTIONAL if k in body}
    if body.get("transform") is not None:
        validate_transform(body["transform"])
        fields["transform"] = body["transform"]
    if body.get("transform_id") is not None:
        reference(caller, "transforms", require_int(body, "transform_id"), "transform_id")
        fields["transform_id"] = body["transform_id"]
    if body.get("data_sinks"):
        optional_list(body, "data_sinks")
        raise bad_request("'data_sinks' cannot be set here; create each sink with this nexset's data_set_id",
                          "data_sinks")
    return fields


def create_detected(caller: Caller, body: dict, name: str) -> dict:
    """A nexset detected from a source: unique per source and output schema (409 with the existing data_set_id)."""
    source = reference(caller, "data_sources", require_int(body, "data_source_id"), "data_source_id")
    schema = optional_dict(body, "output_schema") or {}
    for existing in FlowIndex.build(caller.store).sets_of_source(source["id"]):
        if (existing.get("output_schema") or {}) == schema:
            raise ApiError(409, f"Source {source['id']} already has a nexset with this schema",
                           data_set_id=existing["id"], resource_type="data_sets", resource_id=existing["id"])
    fields = check_common(caller, body)
    fields.update(name=name, data_source_id=source["id"], parent_data_set_id=None, status="INIT",
                  output_schema=schema, has_custom_transform=False)
    return fields


def create(caller: Caller, body: dict) -> dict:
    name = require_str(body, "name")
    if body.get("parent_data_set_id") is None and body.get("data_source_id") is not None:
        return create_detected(caller, body, str(name))
    parent_id = require_int(body, "parent_data_set_id")
    parent = reference(caller, "data_sets", parent_id, "parent_data_set_id")
    fields = check_common(caller, body)
    has_transform = bool(fields.get("transform") or fields.get("transform_id"))
    custom = body.get("has_custom_transform")
    fields.update(name=name, parent_data_set_id=parent_id, status="INIT", data_source_id=None,
                  has_custom_transform=has_transform if custom is None else custom)
    if not has_transform and "output_schema" not in fields:
        fields["output_schema"] = parent.get("output_schema")
    return fields


def update(caller: Caller, record: dict, body: dict) -> dict:
    fields = check_common(caller, body)
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "has_custom_transform" in body:
        fields["has_custom_transform"] = body["has_custom_transform"]
    if body.get("parent_data_set_id") is not None:
        parent_id = require_int(body, "parent_data_set_id")
        if parent_id == record["id"]:
            raise bad_request("a nexset cannot be its own parent", "parent_data_set_id")
        reference(caller, "data_sets", parent_id, "parent_data_set_id")
        fields["parent_data_set_id"] = parent_id
    return fields


def before_delete(caller: Caller, record: dict) -> None:
    refuse_active("data_sets", record)
    dependents = [r["id"] for _, r in FlowIndex.build(caller.store).children("data_sets", record)]
    if dependents:
        raise ApiError(409, f"Nexset {record['id']} has downstream resources {dependents}; delete them first",
                       resource_type="data_sets", resource_id=record["id"])


def copy(caller: Caller, record: dict, options: dict) -> dict:
    owner = copy_owner(caller, options)
    return clone(caller, "data_sets", record, options, {}, owner)


FAMILY = Family("data_sets", create, update, filters=("data_source_id", "parent_data_set_id"),
                before_delete=before_delete, copy=copy, copy_defaults={"copy_access_controls": False})
