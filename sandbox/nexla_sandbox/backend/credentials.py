"""Credential rules (``/data_credentials``): fields, the delete guard, copies and the probes the runtime answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import Family, insert, unique_copy_name
from nexla_sandbox.connectors import check_connector_type
from nexla_sandbox.errors import ApiError
from nexla_sandbox.params import optional_dict, require_str
from nexla_sandbox.runtime.object_store import ProbeArgumentError, ProbeFailure
from nexla_sandbox.state.store import now_iso

FIELDS = ("description", "template_config", "auth_template_id", "vendor_id", "tags")


def create(caller: Caller, body: dict) -> dict:
    fields = {"name": require_str(body, "name"),
              "credentials_type": check_connector_type("credentials_type", str(require_str(body, "credentials_type"))),
              "credentials": optional_dict(body, "credentials") or {}, "verified_status": "UNVERIFIED"}
    optional_dict(body, "template_config")
    fields.update({k: body[k] for k in FIELDS if k in body})
    return fields


def update(caller: Caller, record: dict, body: dict) -> dict:
    fields = {k: body[k] for k in ("name", *FIELDS) if k in body}
    if "name" in fields:
        require_str(body, "name")
    if "credentials" in body:
        fields["credentials"] = optional_dict(body, "credentials") or {}
        fields["verified_status"] = "UNVERIFIED"
    return fields


def before_delete(caller: Caller, record: dict) -> None:
    users: dict[str, Any] = {k: [r["id"] for r in caller.store.list(k, {"data_credentials_id": record["id"]})]
                             for k in ("data_sources", "data_sinks")}
    if any(users.values()):
        raise ApiError(409, f"Credential {record['id']} is still used by {users}; delete or repoint those first",
                       resource_type="data_credentials", resource_id=record["id"], **users)


def copy(caller: Caller, record: dict, options: dict) -> dict:
    fields = {k: v for k, v in record.items() if k not in {"id", "owner_id", "org_id", "created_at", "updated_at"}}
    fields.update(name=unique_copy_name(caller, "data_credentials", record["name"], caller.user["id"]),
                  copied_from_id=record["id"], credentials=caller.store.credential_secrets(record["id"]))
    return insert(caller, "data_credentials", fields)


def probe(caller: Caller, id: int) -> dict:
    """Check that the credential connects (collaborator role): ``{output}``, 403 ``{status, message}`` when not."""
    record = caller.access.require(caller.user, "data_credentials", id, "read")
    try:
        output = caller.runtime.probe(record, caller.store.credential_secrets(record["id"]))
    except ProbeFailure as failure:
        caller.store.update("data_credentials", record["id"], {"verified_status": "FAILED", "verified_at": now_iso()})
        raise ApiError(403, str(failure), status_field=True) from None
    caller.store.update("data_credentials", record["id"], {"verified_status": "VERIFIED", "verified_at": now_iso()})
    return {"output": output}


def probed(call: Callable[[], dict]) -> dict:
    """A probe tree/sample answer; a failed connection is 403 and a bad argument 400, both ``{status, message}``."""
    try:
        return call()
    except ProbeFailure as failure:
        raise ApiError(403, str(failure), status_field=True) from None
    except ProbeArgumentError as error:
        raise ApiError(400, str(error), status_field=True, field=error.field) from None


def probe_tree(caller: Caller, id: int, path: str | None, depth: int | None) -> dict:
    """Folders and files reachable with the credential (``depth`` at least 1; ``path`` ``/`` is the root)."""
    record = caller.access.require(caller.user, "data_credentials", id, "read")
    if depth is None or depth < 1:
        raise ApiError(400, "'depth' must be at least 1", field="depth")
    secrets = caller.store.credential_secrets(record["id"])
    return probed(lambda: caller.runtime.probe_tree(record, secrets, path, depth))


def probe_sample(caller: Caller, id: int, path: str | None) -> dict:
    """A few records under ``path``, read with the credential."""
    record = caller.access.require(caller.user, "data_credentials", id, "read")
    secrets = caller.store.credential_secrets(record["id"])
    return probed(lambda: caller.runtime.probe_sample(record, secrets, path))


FAMILY = Family("data_credentials", create, update, filters=("credentials_type",), before_delete=before_delete,
                copy=copy)
