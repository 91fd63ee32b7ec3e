"""``/data_sinks``: destinations fed by a nexset through a credential."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from nexla_sandbox.connectors import check_config_path, check_connector_type
from nexla_sandbox.params import optional_dict, require_int, require_str
from nexla_sandbox.routes.common import Ctx
from nexla_sandbox.routes.flows import clone, copy_credential
from nexla_sandbox.routes.resources import Family, copy_owner, crud_routes, reference
from nexla_sandbox.routes.sources import COPY_DEFAULTS, refuse_active

OPTIONAL = ("description", "template_config", "vendor_endpoint_id", "tags")


def create(ctx: Ctx, body: dict) -> dict:
    config = optional_dict(body, "sink_config") or {}
    check_config_path(config, "sink_config.path")
    fields: dict[str, Any] = {"name": require_str(body, "name"),
              "sink_type": check_connector_type("sink_type", str(require_str(body, "sink_type"))), "status": "INIT",
              "sink_config": config}
    optional_dict(body, "template_config")
    fields["data_credentials_id"] = require_int(body, "data_credentials_id")
    fields["data_set_id"] = require_int(body, "data_set_id")
    reference(ctx, "data_credentials", fields["data_credentials_id"], "data_credentials_id")
    reference(ctx, "data_sets", fields["data_set_id"], "data_set_id")
    fields.update({k: body[k] for k in OPTIONAL if k in body})
    return fields


def update(ctx: Ctx, record: dict, body: dict) -> dict:
    optional_dict(body, "sink_config")
    check_config_path(body.get("sink_config"), "sink_config.path")
    fields = {k: body[k] for k in ("sink_config", *OPTIONAL) if k in body}
    if "name" in body:
        fields["name"] = require_str(body, "name")
    for name, kind in (("data_credentials_id", "data_credentials"), ("data_set_id", "data_sets")):
        if body.get(name) is not None:
            fields[name] = reference(ctx, kind, require_int(body, name), name)["id"]
    return fields


def copy(ctx: Ctx, record: dict, options: dict) -> dict:
    owner = copy_owner(ctx, options)
    credential = copy_credential(ctx, record.get("data_credentials_id"), options, owner, {})
    return clone(ctx, "data_sinks", record, options, {"data_credentials_id": credential}, owner)


FAMILY = Family("data_sinks", create, update, filters=("data_set_id", "sink_type"),
                before_delete=lambda ctx, record: refuse_active("data_sinks", record), copy=copy,
                copy_defaults=COPY_DEFAULTS)


def routes() -> list[Route]:
    return crud_routes(FAMILY)
