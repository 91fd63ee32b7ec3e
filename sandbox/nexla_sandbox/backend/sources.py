"""Source rules (``/data_sources``): fields, their webhook API keys, the delete guard and copies.

A ``nexla_rest`` (webhook) source gets one API key at creation; the key is shown only in the
create response and stays stored for the runtime's webhook route (``api_keys[*].api_key``).
"""

from __future__ import annotations

import secrets
from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.flows import clone, copy_credential
from nexla_sandbox.backend.records import Family, copy_owner, reference, refuse_active, remove
from nexla_sandbox.connectors import check_config_path, check_connector_type
from nexla_sandbox.errors import ApiError
from nexla_sandbox.params import optional_dict, require_int, require_str
from nexla_sandbox.state.flows import FlowIndex
from nexla_sandbox.state.store import now_iso

WEBHOOK_TYPES = {"nexla_rest"}
OPTIONAL = ("description", "ingest_method", "template_config", "vendor_endpoint_id", "tags", "flow_type")
COPY_DEFAULTS = {"reuse_data_credentials": False, "copy_access_controls": False}


def check_config(body: dict) -> None:
    for name in ("source_config", "template_config"):
        optional_dict(body, name)
    check_config_path(body.get("source_config"), "source_config.path")


def create(caller: Caller, body: dict) -> dict:
    fields: dict[str, Any] = {"name": require_str(body, "name"),
              "source_type": check_connector_type("source_type", str(require_str(body, "source_type"))),
              "status": "INIT", "source_config": optional_dict(body, "source_config") or {}}
    check_config(body)
    credential_id = require_int(body, "data_credentials_id", required=False)
    if credential_id is not None:
        reference(caller, "data_credentials", credential_id, "data_credentials_id")
    fields["data_credentials_id"] = credential_id
    fields.update({k: body[k] for k in OPTIONAL if k in body})
    if fields["source_type"] in WEBHOOK_TYPES:
        fields["api_keys"] = [{"id": 1, "api_key": secrets.token_urlsafe(24), "created_at": now_iso()}]
    return fields


def update(caller: Caller, record: dict, body: dict) -> dict:
    check_config(body)
    fields = {k: body[k] for k in ("name", "source_config", *OPTIONAL) if k in body}
    if "name" in fields:
        require_str(body, "name")
    if body.get("data_credentials_id") is not None:
        reference(caller, "data_credentials", require_int(body, "data_credentials_id"), "data_credentials_id")
        fields["data_credentials_id"] = body["data_credentials_id"]
    return fields


def before_delete(caller: Caller, record: dict) -> None:
    """Refuse while active; take the source's detected nexsets along unless something hangs off them."""
    refuse_active("data_sources", record)
    index = FlowIndex.build(caller.store)
    detected = index.sets_of_source(record["id"])
    dependents = [r["id"] for d in detected for _, r in index.children("data_sets", d)]
    if dependents:
        raise ApiError(409, f"Source {record['id']} has downstream resources {dependents}; "
                            f"delete the whole flow with DELETE /data_sources/{record['id']}/flow",
                       resource_type="data_sources", resource_id=record["id"])
    for data_set in detected:
        remove(caller, "data_sets", data_set)


def copy(caller: Caller, record: dict, options: dict) -> dict:
    owner = copy_owner(caller, options)
    credential = copy_credential(caller, record.get("data_credentials_id"), options, owner, {})
    overrides: dict = {"data_credentials_id": credential}
    if record.get("source_type") in WEBHOOK_TYPES:
        overrides["api_keys"] = [{"id": 1, "api_key": secrets.token_urlsafe(24), "created_at": now_iso()}]
    return clone(caller, "data_sources", record, options, overrides, owner)


FAMILY = Family("data_sources", create, update, filters=("source_type", "data_credentials_id"),
                before_delete=before_delete, copy=copy, copy_defaults=COPY_DEFAULTS)
