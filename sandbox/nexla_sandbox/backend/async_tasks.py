"""Async task rules: background jobs, run synchronously here so they end in a terminal status.

Task types (Nexla's ``async_task_types``):

* ``BulkDeleteNotifications`` — ``{"notification_ids": [int]}`` (optional; all the caller's when absent).
* ``BulkMarkAsReadNotifications`` — ``{"notification_ids": [int]}`` (optional; all when absent).
* ``BulkPauseFlows`` — ``{"flow_ids": [flow node id]}`` (required; operator role on each).
* ``CallProbe`` — ``{"credential_id": int}``: the credential probe; result ``{output}``.
* ``ChownUserResources`` — ``{"user_id": int, "new_owner_id": int}`` (org admin): every resource the
  user owns in the org passes to the new owner.
* ``DeactivateUser`` — ``{"user_id": int}`` (org admin): the user is DEACTIVATED and their sessions end.
* ``GetAuditLogs`` — ``{"resource_type": kind, "resource_id": int}`` (read role on it), or nothing for
  the org's audit log (org admin); result ``{audit_logs: [...]}``.

A task is created ``pending``, runs at once (``running``) and ends ``completed`` or ``failed`` (with
``error``); the statuses are Nexla's ``pending|running|completed|failed|cancelled``. Tasks are
visible to their creator and to admins of their org.
"""

from __future__ import annotations

from collections.abc import Callable

from nexla_sandbox import auth
from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.flows import flow_root, set_status
from nexla_sandbox.backend.records import change, insert, remove
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import require_str
from nexla_sandbox.runtime.object_store import ProbeFailure
from nexla_sandbox.state import accessors, audit
from nexla_sandbox.state.flows import FlowIndex
from nexla_sandbox.state.store import now_iso


def _ids(arguments: dict, name: str, required: bool) -> list[int] | None:
    value = arguments.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise ValueError(f"argument '{name}' must be a list of integer ids")
    return value


def bulk_delete_notifications(caller: Caller, arguments: dict) -> dict:
    ids = _ids(arguments, "notification_ids", required=False)
    records = [n for n in caller.store.list("notifications", {"owner_id": caller.user["id"]}) if ids is None or n["id"] in ids]
    for record in records:
        remove(caller, "notifications", record)
    return {"deleted": [r["id"] for r in records]}


def bulk_pause_flows(caller: Caller, arguments: dict) -> dict:
    paused, failed = [], {}
    for node_id in _ids(arguments, "flow_ids", required=True) or []:
        try:
            root = flow_root(caller, node_id, "operate")
            set_status(caller, FlowIndex.build(caller.store).members("data_sources", root), "PAUSED")
            paused.append(node_id)
        except ApiError as error:
            failed[str(node_id)] = error.message
    if failed:
        raise ValueError(f"could not pause flows: {failed}")
    return {"paused": paused}


def bulk_mark_read(caller: Caller, arguments: dict) -> dict:
    ids = _ids(arguments, "notification_ids", required=False)
    records = [n for n in caller.store.list("notifications", {"owner_id": caller.user["id"]}) if ids is None or n["id"] in ids]
    for record in records:
        change(caller, "notifications", record, {"read_at": now_iso()})
    return {"marked_read": [r["id"] for r in records]}


def _one_id(arguments: dict, name: str) -> int:
    value = arguments.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"argument '{name}' must be an integer id")
    return value


def call_probe(caller: Caller, arguments: dict) -> dict:
    credential = caller.access.require(caller.user, "data_credentials", _one_id(arguments, "credential_id"), "read")
    try:
        output = caller.runtime.probe(credential, caller.store.credential_secrets(credential["id"]))
    except ProbeFailure as failure:
        raise ValueError(f"probe failed: {failure}") from None
    return {"output": output}


def _org_admin(caller: Caller) -> None:
    if not caller.user["is_org_admin"]:
        raise ValueError("only an org admin can run this task")


def _org_user(caller: Caller, arguments: dict, name: str) -> dict:
    user = caller.store.get("users", _one_id(arguments, name))
    if user is None or accessors.org_membership(caller.store, user["id"], caller.user["org_id"]) is None:
        raise ValueError(f"argument '{name}': no such user in your org")
    return user


def chown_user_resources(caller: Caller, arguments: dict) -> dict:
    _org_admin(caller)
    user, new_owner = _org_user(caller, arguments, "user_id"), _org_user(caller, arguments, "new_owner_id")
    moved: dict[str, list[int]] = {}
    for kind in CHOWN_KINDS:
        for record in caller.store.list(kind, {"owner_id": user["id"], "org_id": caller.user["org_id"]}):
            change(caller, kind, record, {"owner_id": new_owner["id"]}, event="chown")
            entries = [(e["type"], e["id"], e["access_roles"]) for e in accessors.rows(caller.store, kind, record["id"])
                       if not (e["type"] == "USER" and e["id"] == user["id"])]
            accessors.write(caller.store, kind, record["id"], [*entries, ("USER", new_owner["id"], ["owner"])])
            moved.setdefault(kind, []).append(record["id"])
    return {"moved": moved}


def deactivate_user(caller: Caller, arguments: dict) -> dict:
    _org_admin(caller)
    user = _org_user(caller, arguments, "user_id")
    if user["id"] == caller.user["id"]:
        raise ValueError("argument 'user_id': you cannot deactivate yourself")
    change(caller, "users", user, {"status": "DEACTIVATED"})
    auth.revoke_user_tokens(caller.store, user["id"])
    return {"user_id": user["id"], "status": "DEACTIVATED"}


def get_audit_logs(caller: Caller, arguments: dict) -> dict:
    kind = arguments.get("resource_type")
    if kind is None:
        _org_admin(caller)
        return {"audit_logs": audit.entries(caller.store, org_id=caller.user["org_id"])}
    if not isinstance(kind, str) or kind not in CHOWN_KINDS:
        raise ValueError(f"argument 'resource_type' must be one of {', '.join(CHOWN_KINDS)}")
    record = caller.access.require(caller.user, kind, _one_id(arguments, "resource_id"), "read")
    return {"audit_logs": audit.entries(caller.store, kind, record["id"])}


CHOWN_KINDS = ("data_credentials", "data_sources", "data_sets", "data_sinks", "projects", "teams", "transforms",
               "attribute_transforms", "code_containers")

TASKS: dict[str, tuple[Callable[[Caller, dict], dict], list[dict]]] = {
    "BulkDeleteNotifications": (bulk_delete_notifications, [
        {"name": "notification_ids", "type": "array<int>", "required": False,
         "description": "Notifications to delete; all of the caller's when absent"}]),
    "BulkMarkAsReadNotifications": (bulk_mark_read, [
        {"name": "notification_ids", "type": "array<int>", "required": False,
         "description": "Notifications to mark read; all of the caller's when absent"}]),
    "BulkPauseFlows": (bulk_pause_flows, [
        {"name": "flow_ids", "type": "array<int>", "required": True, "description": "Flow node ids to pause"}]),
    "CallProbe": (call_probe, [
        {"name": "credential_id", "type": "int", "required": True, "description": "Credential to probe"}]),
    "ChownUserResources": (chown_user_resources, [
        {"name": "user_id", "type": "int", "required": True, "description": "User whose resources move"},
        {"name": "new_owner_id", "type": "int", "required": True, "description": "User who receives them"}]),
    "DeactivateUser": (deactivate_user, [
        {"name": "user_id", "type": "int", "required": True, "description": "User to deactivate"}]),
    "GetAuditLogs": (get_audit_logs, [
        {"name": "resource_type", "type": "string", "required": False, "description": "Kind of the resource"},
        {"name": "resource_id", "type": "int", "required": False, "description": "The resource"}]),
}


def run(caller: Caller, task: dict) -> dict:
    """Execute a task now and store its terminal status."""
    started = now_iso()
    task = change(caller, "async_tasks", caller.get("async_tasks", task["id"]), {"status": "running", "started_at": started})
    try:
        with caller.store.db.transaction():
            result, status, error = TASKS[task["type"]][0](caller, task.get("arguments") or {}), "completed", None
    except (ValueError, ApiError) as failure:
        result, status, error = None, "failed", failure.message if isinstance(failure, ApiError) else str(failure)
    return change(caller, "async_tasks", caller.get("async_tasks", task["id"]),
                  {"status": status, "result": result, "error": error, "started_at": started, "finished_at": now_iso()})


def own(caller: Caller, task_id: int) -> dict:
    """A task of the caller (or, for an org admin, of their org); 404 otherwise."""
    task = caller.store.get("async_tasks", task_id)
    if task is None or not (task["owner_id"] == caller.user["id"] or (caller.user["is_org_admin"] and task["org_id"] == caller.user["org_id"])):
        raise not_found("async_tasks", task_id)
    return task


def visible(caller: Caller) -> list[dict]:
    """The tasks the caller sees: their own, and for an org admin their org's."""
    return [t for t in caller.store.list("async_tasks") if t["owner_id"] == caller.user["id"]
            or (caller.user["is_org_admin"] and t["org_id"] == caller.user["org_id"])]


def explain(name: str) -> dict:
    """The arguments a task type takes; 404 for an unknown type."""
    if name not in TASKS:
        raise ApiError(404, f"Unknown async task type {name}; known: {sorted(TASKS)}")
    return {"type": name, "args": TASKS[name][1]}


def create(caller: Caller, body: dict) -> dict:
    """Create and run a task (``type`` and ``arguments`` required); returns it in its terminal status."""
    name = require_str(body, "type")
    if name not in TASKS:
        raise bad_request(f"'type' must be one of {sorted(TASKS)}", "type")
    arguments = body.get("arguments")
    if not isinstance(arguments, dict):
        raise bad_request("'arguments' must be an object", "arguments")
    priority = body.get("priority")
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
        raise bad_request("'priority' must be an integer", "priority")
    task = insert(caller, "async_tasks", {"type": name, "arguments": arguments, "priority": priority,
                                          "status": "pending"})
    return run(caller, task)


def acknowledge(caller: Caller, task_id: int) -> None:
    """Mark a task as seen."""
    change(caller, "async_tasks", own(caller, task_id), {"acknowledged": True})


def delete(caller: Caller, task_id: int) -> None:
    """Delete a task."""
    remove(caller, "async_tasks", own(caller, task_id))
