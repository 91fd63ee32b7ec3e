"""Reusable code rules (``/transforms``, ``/attribute_transforms``, ``/code_containers``).

Record transforms and code containers hold ``code`` as a list of ``{operation, spec}``; attribute
transforms hold a string. ``access_roles`` is rendered as ``{"roles": [...]}`` here.
"""

from __future__ import annotations

from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.nexsets import check_transform_size
from nexla_sandbox.backend.records import Family, insert, unique_copy_name
from nexla_sandbox.errors import ApiError, bad_request
from nexla_sandbox.params import optional_bool, optional_dict, require_str

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


def make(kind: str) -> Family:
    def create(caller: Caller, body: dict) -> dict:
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

    def update(caller: Caller, record: dict, body: dict) -> dict:
        for name in ("name", *REQUIRED):
            if name in body:
                require_str(body, name)
        if "code" in body:
            check_code(kind, body)
        return {k: body[k] for k in ("name", "code", *REQUIRED, *OPTIONAL) if k in body}

    def copy(caller: Caller, record: dict, options: dict) -> dict:
        fields = {k: v for k, v in record.items() if k not in {"id", "owner_id", "org_id", "created_at", "updated_at"}}
        fields.update(name=unique_copy_name(caller, kind, record["name"], caller.user["id"]), copied_from_id=record["id"],
                      public=False)
        return insert(caller, kind, fields)

    def before_delete(caller: Caller, record: dict) -> None:
        users = [d["id"] for d in caller.store.list("data_sets", {"transform_id": record["id"]})]
        if users:
            raise ApiError(409, f"Transform {record['id']} is used by nexsets {users}", resource_type=kind,
                           resource_id=record["id"], data_sets=users)

    return Family(kind, create, update, filters=("code_type", "output_type"), copy=copy,
                  before_delete=before_delete)
