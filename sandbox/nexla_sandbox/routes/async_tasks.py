"""``/async_tasks``: background jobs, run synchronously here so they end in a terminal status.

Task types:

* ``BulkDeleteNotifications`` — arguments ``{"notification_ids": [int]}`` (optional; all when absent).
* ``BulkPauseFlows`` — arguments ``{"flow_ids": [flow node id]}`` (required; operator role on each).

Statuses are ``completed`` or ``failed`` (with ``error``). Tasks are visible to their creator
and to admins of their org.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Route

from nexla_sandbox.errors import ApiError, bad_request, not_found
from nexla_sandbox.params import require_str
from nexla_sandbox.routes.common import Ctx, route, status_ok
from nexla_sandbox.routes.flows import anchor_of_node, set_status
from nexla_sandbox.routes.resources import change, insert, remove
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
            set_status(ctx, FlowIndex.build(ctx.store).members("data_sources", root), "PAUSED")
            paused.append(node_id)
        except ApiError as error:
            failed[str(node_id)] = error.message
    if failed:
        raise ValueError(f"could not pause flows: {failed}")
    return {"paused": paused}


TASKS: dict[str, tuple[Callable[[Ctx, dict], dict], list[dict]]] = {
    "BulkDeleteNotifications": (bulk_delete_notifications, [
        {"name": "notification_ids", "type": "array<int>", "required": False,
         "description": "Notifications to delete; all of the caller's when absent"}]),
    "BulkPauseFlows": (bulk_pause_flows, [
        {"name": "flow_ids", "type": "array<int>", "required": True, "description": "Flow node ids to pause"}]),
}


def run(ctx: Ctx, task: dict) -> dict:
    """Execute a task now and store its terminal status."""
    started = now_iso()
    try:
        result, status, error = TASKS[task["type"]][0](ctx, task.get("arguments") or {}), "completed", None
    except ValueError as failure:
        result, status, error = None, "failed", str(failure)
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
    task = insert(ctx, "async_tasks", {"type": name, "arguments": arguments, "priority": priority, "status": "queued"})
    return ctx.render("async_tasks", run(ctx, task))


def get_task(ctx: Ctx) -> dict:
    """One task."""
    return ctx.render("async_tasks", own(ctx))


def delete_task(ctx: Ctx) -> dict:
    """Delete a task."""
    remove(ctx, "async_tasks", own(ctx))
    return status_ok(f"Async task {ctx.id()} deleted")


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
