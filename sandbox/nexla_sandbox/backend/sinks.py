"""Sink rules (``/data_sinks``): destinations fed by a nexset through a credential."""

from __future__ import annotations

from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.flows import clone, copy_credential
from nexla_sandbox.backend.records import Family, copy_owner, reference, refuse_active
from nexla_sandbox.backend.sources import COPY_DEFAULTS
from nexla_sandbox.connectors import check_config_path, check_connector_type
from nexla_sandbox.params import optional_dict, require_int, require_str

OPTIONAL = ("description", "template_config", "vendor_endpoint_id", "tags")


def create(caller: Caller, body: dict) -> dict:
    config = optional_dict(body, "sink_config") or {}
    check_config_path(config, "sink_config.path")
    fields: dict[str, Any] = {"name": require_str(body, "name"),
              "sink_type": check_connector_type("sink_type", str(require_str(body, "sink_type"))), "status": "INIT",
              "sink_config": config}
    optional_dict(body, "template_config")
    fields["data_credentials_id"] = require_int(body, "data_credentials_id")
    fields["data_set_id"] = require_int(body, "data_set_id")
    reference(caller, "data_credentials", fields["data_credentials_id"], "data_credentials_id")
    reference(caller, "data_sets", fields["data_set_id"], "data_set_id")
    fields.update({k: body[k] for k in OPTIONAL if k in body})
    return fields


def update(caller: Caller, record: dict, body: dict) -> dict:
    optional_dict(body, "sink_config")
    check_config_path(body.get("sink_config"), "sink_config.path")
    fields = {k: body[k] for k in ("sink_config", *OPTIONAL) if k in body}
    if "name" in body:
        fields["name"] = require_str(body, "name")
    for name, kind in (("data_credentials_id", "data_credentials"), ("data_set_id", "data_sets")):
        if body.get(name) is not None:
            fields[name] = reference(caller, kind, require_int(body, name), name)["id"]
    return fields


def copy(caller: Caller, record: dict, options: dict) -> dict:
    owner = copy_owner(caller, options)
    credential = copy_credential(caller, record.get("data_credentials_id"), options, owner, {})
    return clone(caller, "data_sinks", record, options, {"data_credentials_id": credential}, owner)


FAMILY = Family("data_sinks", create, update, filters=("data_set_id", "sink_type"),
                before_delete=lambda caller, record: refuse_active("data_sinks", record), copy=copy,
                copy_defaults=COPY_DEFAULTS)
