"""``/async_tasks``: background jobs, run synchronously here so they end in a terminal status.

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

from starlette.routing import Route

from nexla_sandbox import auth
from nexla_sandbox.backend.flows import anchor_of_node, set_status
from nexla_sandbox.backend.records import change, insert, remove
from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import require_str
from nexla_sandbox.routes.common import Ctx, route
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


def bulk_delete_notifications(ctx: Ctx, arguments: dict) -> dict:
    ids = _ids(arguments, "notification_ids", required=False)
    records = [n for n in ctx.store.list("notifications", {"owner_id": ctx.user["id"]}) if ids is None or n["id"] in ids]
    for record in records:
        remove(ctx, "notifications", record)
    return {"deleted": [r["id"] for r in records]}


def bulk_pause_flows(ctx: Ctx, arguments: dict) -> dict:
    paused, failed = [], {}
    for node_id in _ids(arguments, "flow_ids", required=True) or []:
        try:
            _, _, root = anchor_of_node(ctx, node_id)
            ctx.access.check(ctx.user, "data_sources", root, "operate", shown_kind="flows")
            set_status(ctx, FlowIndex.build(ctx.store).members("data_sources", root), "PAUSED")
            paused.append(node_id)
        except ApiError as error:
            failed[str(node_id)] = error.message
    if failed:
        raise ValueError(f"could not pause flows: {failed}")
    return {"paused": paused}


def bulk_mark_read(ctx: Ctx, arguments: dict) -> dict:
    ids = _ids(arguments, "notification_ids", required=False)
    records = [n for n in ctx.store.list("notifications", {"owner_id": ctx.user["id"]}) if ids is None or n["id"] in ids]
    for record in records:
        change(ctx, "notifications", record, {"read_at": now_iso()})
    return {"marked_read": [r["id"] for r in records]}


def _one_id(arguments: dict, name: str) -> int:
    value = arguments.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"argument '{name}' must be an integer id")
    return value


def call_probe(ctx: Ctx, arguments: dict) -> dict:
    credential = ctx.access.require(ctx.user, "data_credentials", _one_id(arguments, "credential_id"), "read")
    try:
        output = ctx.runtime.probe(credential, ctx.store.credential_secrets(credential["id"]))
    except ProbeFailure as failure:
        raise ValueError(f"probe failed: {failure}") from None
    return {"output": output}


def _org_admin(ctx: Ctx) -> None:
    if not ctx.user["is_org_admin"]:
        raise ValueError("only an org admin can run this task")


def _org_user(ctx: Ctx, arguments: dict, name: str) -> dict:
    user = ctx.store.get("users", _one_id(arguments, name))
    if user is None or accessors.org_membership(ctx.store, user["id"], ctx.user["org_id"]) is None:
        raise ValueError(f"argument '{name}': no such user in your org")
    return user


def chown_user_resources(ctx: Ctx, arguments: dict) -> dict:
    _org_admin(ctx)
    user, new_owner = _org_user(ctx, arguments, "user_id"), _org_user(ctx, arguments, "new_owner_id")
    moved: dict[str, list[int]] = {}
    for kind in CHOWN_KINDS:
        for record in ctx.store.list(kind, {"owner_id": user["id"], "org_id": ctx.user["org_id"]}):
            change(ctx, kind, record, {"owner_id": new_owner["id"]}, event="chown")
            entries = [(e["type"], e["id"], e["access_roles"]) for e in accessors.rows(ctx.store, kind, record["id"])
                       if not (e["type"] == "USER" and e["id"] == user["id"])]
            accessors.write(ctx.store, kind, record["id"], [*entries, ("USER", new_owner["id"], ["owner"])])
            moved.setdefault(kind, []).append(record["id"])
    return {"moved": moved}


def deactivate_user(ctx: Ctx, arguments: dict) -> dict:
    _org_admin(ctx)
    user = _org_user(ctx, arguments, "user_id")
    if user["id"] == ctx.user["id"]:
        raise ValueError("argument 'user_id': you cannot deactivate yourself")
    change(ctx, "users", user, {"status": "DEACTIVATED"})
    auth.revoke_user_tokens(ctx.store, user["id"])
    return {"user_id": user["id"], "status": "DEACTIVATED"}


def get_audit_logs(ctx: Ctx, arguments: dict) -> dict:
    kind = arguments.get("resource_type")
    if kind is None:
        _org_admin(ctx)
        return {"audit_logs": audit.entries(ctx.store, org_id=ctx.user["org_id"])}
    if not isinstance(kind, str) or kind not in CHOWN_KINDS:
        raise ValueError(f"argument 'resource_type' must be one of {', '.join(CHOWN_KINDS)}")
    record = ctx.access.require(ctx.user, kind, _one_id(arguments, "resource_id"), "read")
    return {"audit_logs": audit.entries(ctx.store, kind, record["id"])}


CHOWN_KINDS = ("data_credentials", "data_sources", "data_sets", "data_sinks", "projects", "teams", "transforms",
               "attribute_transforms", "code_containers")

TASKS: dict[str, tuple[Callable[[Ctx, dict], dict], list[dict]]] = {
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


def run(ctx: Ctx, task: dict) -> dict:
    """Execute a task now and store its terminal status."""
    started = now_iso()
    task = change(ctx, "async_tasks", ctx.get("async_tasks", task["id"]), {"status": "running", "started_at": started})
    try:
        with ctx.store.db.transaction():
            result, status, error = TASKS[task["type"]][0](ctx, task.get("arguments") or {}), "completed", None
    except (ValueError, ApiError) as failure:
        result, status, error = None, "failed", failure.message if isinstance(failure, ApiError) else str(failure)
    return change(ctx, "async_tasks", ctx.get("async_tasks", task["id"]),
                  {"status": status, "result": result, "error": error, "started_at": started, "finished_at": now_iso()})


def own(ctx: Ctx) -> dict:
    task = ctx.store.get("async_tasks", ctx.id())
    if task is None or not (task["owner_id"] == ctx.user["id"] or (ctx.user["is_org_admin"] and task["org_id"] == ctx.user["org_id"])):
        raise not_found("async_tasks", ctx.id())
    return task


def visible(ctx: Ctx) -> list[dict]:
    return [t for t in ctx.store.list("async_tasks") if t["owner_id"] == ctx.user["id"]
            or (ctx.user["is_org_admin"] and t["org_id"] == ctx.user["org_id"])]


def list_tasks(ctx: Ctx) -> list[dict]:
    """The caller's tasks."""
    return [ctx.render("async_tasks", t) for t in visible(ctx)]


def of_type(ctx: Ctx) -> list[dict]:
    """The caller's tasks of one type."""
    return [ctx.render("async_tasks", t) for t in visible(ctx) if t.get("type") == ctx.params["type"]]


def by_status(ctx: Ctx) -> list[dict]:
    """The caller's tasks in one status."""
    return [ctx.render("async_tasks", t) for t in visible(ctx) if t.get("status") == ctx.params["status"]]


def types(ctx: Ctx) -> list[str]:
    """Task types this server runs."""
    return sorted(TASKS)


def explain(ctx: Ctx) -> dict:
    """The arguments a task type takes."""
    name = ctx.params["type"]
    if name not in TASKS:
        raise ApiError(404, f"Unknown async task type {name}; known: {sorted(TASKS)}")
    return {"type": name, "args": TASKS[name][1]}


def create(ctx: Ctx) -> dict:
    """Create and run a task (``type`` and ``arguments`` required)."""
    body = ctx.body_dict()
    name = require_str(body, "type")
    if name not in TASKS:
        raise bad_request(f"'type' must be one of {sorted(TASKS)}", "type")
    arguments = body.get("arguments")
    if not isinstance(arguments, dict):
        raise bad_request("'arguments' must be an object", "arguments")
    priority = body.get("priority")
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
        raise bad_request("'priority' must be an integer", "priority")
    task = insert(ctx, "async_tasks", {"type": name, "arguments": arguments, "priority": priority, "status": "pending"})
    return ctx.render("async_tasks", run(ctx, task))


def get_task(ctx: Ctx) -> dict:
    """One task."""
    return ctx.render("async_tasks", own(ctx))


def delete_task(ctx: Ctx) -> dict:
    """Delete a task."""
    remove(ctx, "async_tasks", own(ctx))
    return {"code": "200", "message": f"Async task {ctx.id()} deleted"}


def rerun(ctx: Ctx) -> dict:
    """Run a task again with the same arguments."""
    return ctx.render("async_tasks", run(ctx, own(ctx)))


def result(ctx: Ctx) -> dict | None:
    """The task's result (null until it completed)."""
    return own(ctx).get("result")


def download_link(ctx: Ctx) -> dict:
    """Where to download the result (``{url, expires_at}``; the URL needs the same bearer token)."""
    task = own(ctx)
    base = str(ctx.request.url).split("/async_tasks/")[0]
    return {"url": f"{base}/async_tasks/{task['id']}/download", "expires_at": None}


def download(ctx: Ctx) -> dict:
    """The task's result document."""
    task = own(ctx)
    return {"id": task["id"], "type": task["type"], "status": task["status"], "result": task.get("result")}


def acknowledge(ctx: Ctx) -> dict:
    """Mark the task as seen."""
    change(ctx, "async_tasks", own(ctx), {"acknowledged": True})
    return {"status": "ok"}


def routes() -> list[Route]:
    one = "/async_tasks/{id:int}"
    return [route("/async_tasks", list_tasks, ["GET"]), route("/async_tasks", create, ["POST"]),
            route("/async_tasks/types", types, ["GET"]),
            route("/async_tasks/explain_arguments/{type}", explain, ["GET"]),
            route("/async_tasks/of_type/{type}", of_type, ["GET"]),
            route("/async_tasks/by_status/{status}", by_status, ["GET"]),
            route(one, get_task, ["GET"]), route(one, delete_task, ["DELETE"]),
            route(f"{one}/rerun", rerun, ["POST"]), route(f"{one}/result", result, ["GET"]),
            route(f"{one}/download_link", download_link, ["GET"]), route(f"{one}/download", download, ["GET"]),
            route(f"{one}/acknowledge", acknowledge, ["POST"])]
