"""``/data_sets/{id}/docs``: documentation entries of a nexset (GET lists, POST replaces them all).

An entry is ``{name, text, doc_type, description}`` (``doc_type`` defaults to ``markdown``) and is
answered in the doc-container shape nexla-sdk 1.0.8 parses. ``POST`` takes ``{"docs": [...]}`` and
answers the new list. The rules are in ``nexla_sandbox.backend.nexset_docs``.
"""

from __future__ import annotations

from starlette.routing import Route

from nexla_sandbox.backend import nexset_docs
from nexla_sandbox.params import optional_list
from nexla_sandbox.routes.common import Ctx, route


def list_docs(ctx: Ctx) -> list[dict]:
    """Documentation entries of a nexset."""
    return nexset_docs.list_docs(ctx, ctx.id())


def replace_docs(ctx: Ctx) -> list[dict]:
    """Replace a nexset's documentation entries (admin role)."""
    return nexset_docs.replace_docs(ctx, ctx.id(), optional_list(ctx.body_dict(), "docs"))


def routes() -> list[Route]:
    return [route("/data_sets/{id:int}/docs", list_docs, ["GET"]),
            route("/data_sets/{id:int}/docs", replace_docs, ["POST"])]
