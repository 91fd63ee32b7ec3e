"""Nexset documentation rules (``/data_sets/{id}/docs``): read with the nexset, replaced whole by its admins.

An entry is ``{name, text, doc_type, description}`` (``doc_type`` defaults to ``markdown``) and is
answered in the doc-container shape nexla-sdk 1.0.8 parses (``id``, ``owner``, ``org``,
``access_roles``, timestamps). ``POST`` takes ``{"docs": [...]}`` and answers the new list.
"""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import insert, remove
from nexla_sandbox.errors import bad_request

KIND = "data_set_docs"
TEXT_FIELDS = ("name", "text", "doc_type", "description")


def shaped(caller: Caller, record: dict) -> dict:
    return {"id": record["id"], "owner": caller.renderer.owner(record["owner_id"]),
            "org": caller.renderer.org(record["org_id"]), "name": record.get("name"),
            "description": record.get("description") or "", "doc_type": record.get("doc_type") or "markdown",
            "public": False, "repo_type": None, "repo_config": None, "text": record.get("text") or "",
            "access_roles": caller.renderer.roles("data_sets", caller.get("data_sets", record["data_set_id"])),
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


def current(caller: Caller, data_set_id: int) -> list[dict]:
    return caller.store.list(KIND, {"data_set_id": data_set_id})


def list_docs(caller: Caller, data_set_id: int) -> list[dict]:
    """Documentation entries of a nexset (collaborator role)."""
    record = caller.access.require(caller.user, "data_sets", data_set_id, "read")
    return [shaped(caller, d) for d in current(caller, record["id"])]


def replace_docs(caller: Caller, data_set_id: int, items: list | None) -> list[dict]:
    """Replace a nexset's documentation entries (admin role); ``[]`` removes every entry."""
    record = caller.access.require(caller.user, "data_sets", data_set_id, "update")
    if items is None:
        raise bad_request("'docs' is required (a list; [] removes every entry)", "docs")
    wanted = [entry(item, n) for n, item in enumerate(items)]
    with caller.store.db.transaction():
        for old in current(caller, record["id"]):
            remove(caller, KIND, old)
        for fields in wanted:
            insert(caller, KIND, {**fields, "data_set_id": record["id"]}, owner_id=record["owner_id"],
                   org_id=record["org_id"])
    return [shaped(caller, d) for d in current(caller, record["id"])]
