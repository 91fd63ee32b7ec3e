"""``/data_sets/{id}/docs``: documentation entries of a nexset (GET lists, POST replaces them all).

An entry is ``{name, text, doc_type, description}`` (``doc_type`` defaults to ``markdown``) and is
answered in the doc-container shape nexla-sdk 1.0.8 parses (``id``, ``owner``, ``org``,
``access_roles``, timestamps). ``POST`` takes ``{"docs": [...]}`` and answers the new list.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend.records import insert, remove
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_list
from nexla_sandbox.routes.common import Ctx, route

KIND = "data_set_docs"
TEXT_FIELDS = ("name", "text", "doc_type", "description")


def shaped(ctx: Ctx, record: dict) -> dict:
    return {"id": record["id"], "owner": ctx.renderer.owner(record["owner_id"]),
            "org": ctx.renderer.org(record["org_id"]), "name": record.get("name"),
            "description": record.get("description") or "", "doc_type": record.get("doc_type") or "markdown",
            "public": False, "repo_type": None, "repo_config": None, "text": record.get("text") or "",
            "access_roles": ctx.renderer.roles("data_sets", ctx.get("data_sets", record["data_set_id"])),
            "tags": [], "copied_from_id": None, "created_at": record["created_at"], "updated_at": record["updated_at"]}


def entry(item: object, index: int) -> dict:
    if not isinstance(item, dict):
        raise bad_request(f"'docs[{index}]' must be an object with name and text", "docs")
    for name in TEXT_FIELDS:
        if item.get(name) is not None and not isinstance(item[name], str):
            raise bad_request(f"'docs[{index}].{name}' must be a string", "docs")
    if not item.get("name"):
        raise bad_request(f"'docs[{index}].name' is required", "docs")
    return {name: item.get(name) for name in TEXT_FIELDS}


def current(ctx: Ctx, data_set_id: int) -> list[dict]:
    return ctx.store.list(KIND, {"data_set_id": data_set_id})


def list_docs(ctx: Ctx) -> list[dict]:
    """Documentation entries of a nexset."""
    record = ctx.access.require(ctx.user, "data_sets", ctx.id(), "read")
    return [shaped(ctx, d) for d in current(ctx, record["id"])]


def replace_docs(ctx: Ctx) -> list[dict]:
    """Replace a nexset's documentation entries (admin role)."""
    record = ctx.access.require(ctx.user, "data_sets", ctx.id(), "update")
    items = optional_list(ctx.body_dict(), "docs")
    if items is None:
        raise bad_request("'docs' is required (a list; [] removes every entry)", "docs")
    wanted = [entry(item, n) for n, item in enumerate(items)]
    with ctx.store.db.transaction():
        for old in current(ctx, record["id"]):
            remove(ctx, KIND, old)
        for fields in wanted:
            insert(ctx, KIND, {**fields, "data_set_id": record["id"]}, owner_id=record["owner_id"],
                   org_id=record["org_id"])
    return [shaped(ctx, d) for d in current(ctx, record["id"])]


def routes() -> list[Route]:
    return [route("/data_sets/{id:int}/docs", list_docs, ["GET"]),
            route("/data_sets/{id:int}/docs", replace_docs, ["POST"])]
