"""``/transforms``, ``/attribute_transforms``, ``/code_containers``: reusable code.

Record transforms and code containers hold ``code`` as a list of ``{operation, spec}``; attribute
transforms hold a string. ``access_roles`` is rendered as ``{"roles": [...]}`` here.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from nexla_sandbox.errors import ApiError, bad_request
from nexla_sandbox.params import optional_bool, optional_dict, require_str
from nexla_sandbox.routes.common import Ctx
from nexla_sandbox.routes.nexsets import check_transform_size
from nexla_sandbox.routes.resources import Family, crud_routes, insert, unique_copy_name

OPTIONAL = ("description", "code_config", "custom_config", "reusable", "public", "ai_function_type", "tags",
            "data_credentials_id", "runtime_data_credentials_id")
REQUIRED = ("output_type", "code_type", "code_encoding")


def check_code(kind: str, body: dict) -> None:
    code = body.get("code")
    check_transform_size(code, "code")
    if kind == "attribute_transforms":
        if not isinstance(code, str):
            raise bad_request("'code' must be a string for attribute transforms", "code")
        return
    if not isinstance(code, list) or not all(isinstance(op, dict) and isinstance(op.get("operation"), str)
                                             for op in code):
        raise bad_request("'code' must be a list of {operation, spec} objects", "code")


def make(kind: str):
    def create(ctx: Ctx, body: dict) -> dict:
        fields: dict[str, Any] = {"name": require_str(body, "name"), **{k: require_str(body, k) for k in REQUIRED}}
        check_code(kind, body)
        for name in ("code_config", "custom_config"):
            optional_dict(body, name)
        for name in ("reusable", "public"):
            optional_bool(body, name)
        fields["code"] = body["code"]
        fields.update({k: body[k] for k in OPTIONAL if k in body})
        fields.setdefault("reusable", True)
        return fields

    def update(ctx: Ctx, record: dict, body: dict) -> dict:
        for name in ("name", *REQUIRED):
            if name in body:
                require_str(body, name)
        if "code" in body:
            check_code(kind, body)
        return {k: body[k] for k in ("name", "code", *REQUIRED, *OPTIONAL) if k in body}

    def copy(ctx: Ctx, record: dict, options: dict) -> dict:
        fields = {k: v for k, v in record.items() if k not in {"id", "owner_id", "org_id", "created_at", "updated_at"}}
        fields.update(name=unique_copy_name(ctx, kind, record["name"], ctx.user["id"]), copied_from_id=record["id"],
                      public=False)
        return insert(ctx, kind, fields)

    def before_delete(ctx: Ctx, record: dict) -> None:
        users = [d["id"] for d in ctx.store.list("data_sets", {"transform_id": record["id"]})]
        if users:
            raise ApiError(409, f"Transform {record['id']} is used by nexsets {users}", resource_type=kind,
                           resource_id=record["id"], data_sets=users)

    return Family(kind, create, update, filters=("code_type", "output_type"), copy=copy, public_list=True,
                  before_delete=before_delete)


def routes() -> list[Route]:
    return [r for kind in ("transforms", "attribute_transforms", "code_containers") for r in crud_routes(make(kind))]
