"""``/data_sets``: derived nexsets with an inline ``transform`` or a reusable ``transform_id``.

Inline transforms are validated with ``nexla_ops.transform.validate_transform`` (the engine the
runtime runs); a bad spec is a 400 naming the operation index. Detected nexsets are created by
the runtime, never through this route.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import ApiError, bad_request
from nexla_sandbox.params import optional_bool, optional_dict, optional_list, require_int, require_str
from nexla_sandbox.routes.common import Ctx
from nexla_sandbox.routes.flows import clone
from nexla_sandbox.routes.resources import Family, copy_owner, crud_routes, reference
from nexla_sandbox.routes.sources import refuse_active
from nexla_sandbox.state.flows import FlowIndex

OPTIONAL = ("description", "output_schema_annotations", "output_schema_validation_enabled", "output_validation_schema",
            "custom_config", "tags", "output_schema")


def validate_transform(spec: Any) -> None:
    """400 unless ``spec`` is a transform the engine accepts."""
    if not isinstance(spec, (dict, list)):
        raise bad_request("'transform' must be an object {version, transforms, ...} or a Jolt list", "transform")
    try:
        from nexla_ops.transform import TransformSpecError, validate_transform as engine_validate
    except ImportError:
        if not isinstance(spec.get("operations"), list):
            raise bad_request("'transform.operations' must be a list", "transform") from None
        return
    try:
        engine_validate(spec)
    except TransformSpecError as error:
        index = getattr(error, "operation_index", None)
        raise bad_request(f"Invalid transform: {error}", "transform", operation_index=index) from None


def check_common(ctx: Ctx, body: dict) -> dict:
    for name in ("output_schema_annotations", "output_validation_schema", "custom_config", "output_schema"):
        optional_dict(body, name)
    optional_bool(body, "output_schema_validation_enabled")
    optional_bool(body, "has_custom_transform")
    fields = {k: body[k] for k in OPTIONAL if k in body}
    if body.get("transform") is not None:
        validate_transform(body["transform"])
        fields["transform"] = body["transform"]
    if body.get("transform_id") is not None:
        reference(ctx, "transforms", require_int(body, "transform_id"), "transform_id")
        fields["transform_id"] = body["transform_id"]
    if body.get("data_sinks"):
        optional_list(body, "data_sinks")
        raise bad_request("'data_sinks' cannot be set here; create each sink with this nexset's data_set_id",
                          "data_sinks")
    return fields


def create(ctx: Ctx, body: dict) -> dict:
    name = require_str(body, "name")
    parent_id = require_int(body, "parent_data_set_id")
    parent = reference(ctx, "data_sets", parent_id, "parent_data_set_id")
    fields = check_common(ctx, body)
    has_transform = bool(fields.get("transform") or fields.get("transform_id"))
    custom = body.get("has_custom_transform")
    fields.update(name=name, parent_data_set_id=parent_id, status="INIT", data_source_id=None,
                  has_custom_transform=has_transform if custom is None else custom)
    if not has_transform and "output_schema" not in fields:
        fields["output_schema"] = parent.get("output_schema")
    return fields


def update(ctx: Ctx, record: dict, body: dict) -> dict:
    fields = check_common(ctx, body)
    if "name" in body:
        fields["name"] = require_str(body, "name")
    if "has_custom_transform" in body:
        fields["has_custom_transform"] = body["has_custom_transform"]
    if body.get("parent_data_set_id") is not None:
        parent_id = require_int(body, "parent_data_set_id")
        if parent_id == record["id"]:
            raise bad_request("a nexset cannot be its own parent", "parent_data_set_id")
        reference(ctx, "data_sets", parent_id, "parent_data_set_id")
        fields["parent_data_set_id"] = parent_id
    return fields


def before_delete(ctx: Ctx, record: dict) -> None:
    refuse_active("data_sets", record)
    dependents = [r["id"] for _, r in FlowIndex.build(ctx.store).children("data_sets", record)]
    if dependents:
        raise ApiError(409, f"Nexset {record['id']} has downstream resources {dependents}; delete them first",
                       resource_type="data_sets", resource_id=record["id"])


def copy(ctx: Ctx, record: dict, options: dict) -> dict:
    owner = copy_owner(ctx, options)
    return clone(ctx, "data_sets", record, options, {}, owner)


FAMILY = Family("data_sets", create, update, filters=("data_source_id", "parent_data_set_id"),
                before_delete=before_delete, copy=copy, copy_defaults={"copy_access_controls": False})


def routes() -> list[Route]:
    return crud_routes(FAMILY)
