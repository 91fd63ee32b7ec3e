"""Page/per_page pagination shared by both clients: what a page holds and when to stop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import NexlaError

MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint.

    ``has_more`` is True when the page was full: the next page may still be empty when the total
    is an exact multiple of ``per_page`` (the API gives no total, so only asking tells).
    """

    items: list[dict[str, Any]] = field(default_factory=list)
    page: int = 1
    per_page: int = 100
    has_more: bool = False


def check_paging(page: int, per_page: int, limit: int | None = None) -> None:
    """Reject nonsensical paging arguments before any request is sent."""
    if page < 1:
        raise ValueError(f"page must be >= 1, got {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")


def page_params(params: dict[str, Any] | None, page: int, per_page: int) -> dict[str, Any]:
    merged = dict(params or {})
    merged["page"] = page
    merged["per_page"] = per_page
    return merged


def items_of(path: str, body: Any) -> list[dict[str, Any]]:
    """The items of a list response: a bare array (the contract) or a ``{"data": [...]}`` envelope."""
    if body is None:
        return []
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return body["data"]
    raise NexlaError(
        f"GET {path} did not return a list, so it cannot be paginated",
        path=path,
        method="GET",
        hint="Use client.get() for endpoints that return a single object (e.g. /flows returns one flow tree).",
    )


def to_page(path: str, body: Any, page: int, per_page: int) -> Page:
    items = items_of(path, body)
    return Page(items=items, page=page, per_page=per_page, has_more=len(items) >= per_page)


def check_progress(path: str, previous: list[dict[str, Any]] | None, current: list[dict[str, Any]], page: int) -> None:
    """Fail loudly if the server ignores ``page`` and repeats a full page forever."""
    if previous and current and current == previous:
        raise NexlaError(
            f"GET {path} returned the same items for page {page - 1} and page {page}; the server ignores paging",
            path=path,
            method="GET",
            hint="Pass a smaller limit, or filter the list so it fits in one page.",
        )
