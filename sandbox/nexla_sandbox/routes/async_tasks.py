"""``/async_tasks`` routes (rules and the task types in ``nexla_sandbox.backend.async_tasks``)."""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import async_tasks as tasks
from nexla_sandbox.routes.common import Ctx, route


def list_tasks(ctx: Ctx) -> list[dict]:
    """The caller's tasks."""
    return [ctx.render("async_tasks", t) for t in tasks.visible(ctx)]


def of_type(ctx: Ctx) -> list[dict]:
    """The caller's tasks of one type."""
    return [ctx.render("async_tasks", t) for t in tasks.visible(ctx) if t.get("type") == ctx.params["type"]]


def by_status(ctx: Ctx) -> list[dict]:
    """The caller's tasks in one status."""
    return [ctx.render("async_tasks", t) for t in tasks.visible(ctx) if t.get("status") == ctx.params["status"]]


def types(ctx: Ctx) -> list[str]:
    """Task types this server runs."""
    return sorted(tasks.TASKS)


def explain(ctx: Ctx) -> dict:
    """The arguments a task type takes."""
    return tasks.explain(ctx.params["type"])


def create(ctx: Ctx) -> dict:
    """Create and run a task (``type`` and ``arguments`` required)."""
    return ctx.render("async_tasks", tasks.create(ctx, ctx.body_dict()))


def get_task(ctx: Ctx) -> dict:
    """One task."""
    return ctx.render("async_tasks", tasks.own(ctx, ctx.id()))


def delete_task(ctx: Ctx) -> dict:
    """Delete a task."""
    tasks.delete(ctx, ctx.id())
    return {"code": "200", "message": f"Async task {ctx.id()} deleted"}


def rerun(ctx: Ctx) -> dict:
    """Run a task again with the same arguments."""
    return ctx.render("async_tasks", tasks.run(ctx, tasks.own(ctx, ctx.id())))


def result(ctx: Ctx) -> dict | None:
    """The task's result (null until it completed)."""
    return tasks.own(ctx, ctx.id()).get("result")


def download_link(ctx: Ctx) -> dict:
    """Where to download the result (``{url, expires_at}``; the URL needs the same bearer token)."""
    task = tasks.own(ctx, ctx.id())
    return {"url": f"{str(ctx.request.url).split('/async_tasks/')[0]}/async_tasks/{task['id']}/download",
            "expires_at": None}


def download(ctx: Ctx) -> dict:
    """The task's result document."""
    task = tasks.own(ctx, ctx.id())
    return {"id": task["id"], "type": task["type"], "status": task["status"], "result": task.get("result")}


def acknowledge(ctx: Ctx) -> dict:
    """Mark the task as seen."""
    tasks.acknowledge(ctx, ctx.id())
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
