"""``/data_credentials``: CRUD plus probe, probe tree and probe sample (answered by the runtime)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route

from nexla_sandbox.connectors import check_connector_type
from nexla_sandbox.errors import ApiError
from nexla_sandbox.params import integer, optional_dict, require_int, require_str
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.runtime.object_store import ProbeArgumentError, ProbeFailure
from nexla_sandbox.routes.resources import Family, crud_routes, insert, unique_copy_name
from nexla_sandbox.state.store import now_iso

FIELDS = ("description", "template_config", "auth_template_id", "vendor_id", "tags")


def create(ctx: Ctx, body: dict) -> dict:
    fields = {"name": require_str(body, "name"),
              "credentials_type": check_connector_type("credentials_type", str(require_str(body, "credentials_type"))),
              "credentials": optional_dict(body, "credentials") or {}, "verified_status": "UNVERIFIED"}
    optional_dict(body, "template_config")
    fields.update({k: body[k] for k in FIELDS if k in body})
    return fields


def update(ctx: Ctx, record: dict, body: dict) -> dict:
    fields = {k: body[k] for k in ("name", *FIELDS) if k in body}
    if "name" in fields:
        require_str(body, "name")
    if "credentials" in body:
        fields["credentials"] = optional_dict(body, "credentials") or {}
        fields["verified_status"] = "UNVERIFIED"
    return fields


def before_delete(ctx: Ctx, record: dict) -> None:
    users: dict[str, Any] = {k: [r["id"] for r in ctx.store.list(k, {"data_credentials_id": record["id"]})]
                             for k in ("data_sources", "data_sinks")}
    if any(users.values()):
        raise ApiError(409, f"Credential {record['id']} is still used by {users}; delete or repoint those first",
                       resource_type="data_credentials", resource_id=record["id"], **users)


def copy(ctx: Ctx, record: dict, options: dict) -> dict:
    fields = {k: v for k, v in record.items() if k not in {"id", "owner_id", "org_id", "created_at", "updated_at"}}
    fields.update(name=unique_copy_name(ctx, "data_credentials", record["name"], ctx.user["id"]),
                  copied_from_id=record["id"], credentials=ctx.store.credential_secrets(record["id"]))
    return insert(ctx, "data_credentials", fields)


def probe(ctx: Ctx) -> dict:
    """Check that the credential connects (collaborator role): 200 ``{output}``, 403 ``{status, message}`` when not."""
    record = ctx.access.require(ctx.user, "data_credentials", ctx.id(), "read")
    integer(ctx.query, "request_id")
    try:
        output = ctx.runtime.probe(record, ctx.store.credential_secrets(record["id"]))
    except ProbeFailure as failure:
        ctx.store.update("data_credentials", record["id"], {"verified_status": "FAILED", "verified_at": now_iso()})
        raise ApiError(403, str(failure), status_field=True) from None
    ctx.store.update("data_credentials", record["id"], {"verified_status": "VERIFIED", "verified_at": now_iso()})
    return {"output": output}


def probed(ctx: Ctx, call: Callable[[], dict]) -> dict:
    """A probe tree/sample answer; a failed connection is 403 and a bad argument 400, both ``{status, message}``."""
    try:
        return call()
    except ProbeFailure as failure:
        raise ApiError(403, str(failure), status_field=True) from None
    except ProbeArgumentError as error:
        raise ApiError(400, str(error), status_field=True, field=error.field) from None


def probe_tree(ctx: Ctx) -> dict:
    """List folders and files reachable with the credential (``depth`` is required; ``path`` ``/`` is the root)."""
    record = ctx.access.require(ctx.user, "data_credentials", ctx.id(), "read")
    body = ctx.body_dict()
    depth = require_int(body, "depth")
    path = require_str(body, "path", required=False)
    if depth is None or depth < 1:
        raise ApiError(400, "'depth' must be at least 1", field="depth")
    secrets = ctx.store.credential_secrets(record["id"])
    return probed(ctx, lambda: ctx.runtime.probe_tree(record, secrets, path, depth))


def probe_sample(ctx: Ctx) -> dict:
    """Read a few records under ``path`` with the credential."""
    record = ctx.access.require(ctx.user, "data_credentials", ctx.id(), "read")
    path = require_str(ctx.body_dict(), "path", required=False)
    secrets = ctx.store.credential_secrets(record["id"])
    return probed(ctx, lambda: ctx.runtime.probe_sample(record, secrets, path))


def extra(family: Family) -> list[Route]:
    return [
        route("/data_credentials/{id:int}/probe", probe, ["GET"]),
        route("/data_credentials/{id:int}/probe/tree", probe_tree, ["POST"]),
        route("/data_credentials/{id:int}/probe/sample", probe_sample, ["POST"]),
    ]


FAMILY = Family("data_credentials", create, update, filters=("credentials_type",), before_delete=before_delete,
                copy=copy, extra_routes=extra)


def routes() -> list[Route]:
    return crud_routes(FAMILY)
