"""Request values shared by every route: query flags, integers and pagination, body fields, storable bodies."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from nexla_sandbox.errors import bad_request

DEFAULT_PER_PAGE = 100
# The project's client accepts up to 1000 per page; a larger size is refused rather than silently
# clamped, because a clamped page looks short and a caller would stop paging too early.
MAX_PER_PAGE = 1000
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

T = TypeVar("T")


def flag(query: Mapping[str, str], name: str, default: bool = False) -> bool:
    """A boolean flag sent as 1/0, true/false or True/False (the SDK sends all three)."""
    raw = query.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise bad_request(f"Query parameter '{name}' must be a boolean (1/0/true/false)", name)


def integer(query: Mapping[str, str], name: str, default: int | None = None, *, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
    """An integer query parameter; 400 naming it when it is not an integer or out of range."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"Query parameter '{name}' must be an integer", name) from None
    if minimum is not None and value < minimum:
        raise bad_request(f"Query parameter '{name}' must be at least {minimum}", name)
    if maximum is not None and value > maximum:
        raise bad_request(f"Query parameter '{name}' must be at most {maximum}", name)
    return value


def page_window(query: Mapping[str, str], size_name: str = "per_page") -> tuple[int, int]:
    """(page, per_page) from the query: 1-based page, default 100 per page, 1 to 1000 (400 otherwise)."""
    page = integer(query, "page", 1, minimum=1) or 1
    per_page = integer(query, size_name, DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE) or DEFAULT_PER_PAGE
    return page, per_page


def requested_window(query: Mapping[str, str], size_name: str = "per_page") -> tuple[int, int] | None:
    """(page, per_page) when the query asks for a page, None when it does not (a list then returns every row)."""
    if query.get("page") in (None, "") and query.get(size_name) in (None, ""):
        return None
    return page_window(query, size_name)


def paginate(items: Sequence[T], query: Mapping[str, str], size_name: str = "per_page") -> list[T]:
    """One page of ``items`` (every item without paging parameters); ``[]`` past the end, never an error."""
    window = requested_window(query, size_name)
    if window is None:
        return list(items)
    page, per_page = window
    start = (page - 1) * per_page
    return list(items[start:start + per_page])


def page_headers(url: str, window: tuple[int, int] | None, total: int) -> dict[str, str]:
    """The paging headers Nexla's admin API sends with a list: Link, X-Total-Count, X-Current-Page, X-Page-Count."""
    page, per_page = window or (1, max(total, 1))
    pages = max(1, math.ceil(total / per_page))
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in {"page", "per_page"}]

    def link(number: int, rel: str) -> str:
        target = urlunsplit(parts._replace(query=urlencode([*query, ("page", number), ("per_page", per_page)])))
        return f'<{target}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, pages), "prev"))
    if page < pages:
        links.append(link(page + 1, "next"))
    links.append(link(pages, "last"))
    return {"Link": ", ".join(links), "X-Total-Count": str(total), "X-Current-Page": str(page),
            "X-Page-Count": str(pages)}


def require_int(body: Mapping[str, Any], name: str, *, required: bool = True) -> int | None:
    """An integer body field (bools are refused); 400 naming the field when missing or mistyped."""
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"'{name}' is required", name)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise bad_request(f"'{name}' must be an integer", name)
    return value


def require_str(body: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"'{name}' is required", name)
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad_request(f"'{name}' must be a non-empty string", name)
    return value


# What an optional body field must be, as a message names it.
_SHAPES: dict[type, str] = {dict: "an object", bool: "a boolean", list: "an array"}


def _optional(kind: type[T]) -> Callable[[Mapping[str, Any], str], T | None]:
    """A reader of an optional body field of one JSON type: its value, None when absent, 400 naming it otherwise."""

    def read(body: Mapping[str, Any], name: str) -> T | None:
        value = body.get(name)
        if value is not None and not isinstance(value, kind):
            raise bad_request(f"'{name}' must be {_SHAPES[kind]}", name)
        return value

    read.__name__ = f"optional_{kind.__name__}"
    return read


optional_dict = _optional(dict)
optional_bool = _optional(bool)
optional_list = _optional(list)


# Epoch seconds the API accepts in ``from``/``to``: 1970 up to the year 3000.
LATEST = 32503680000


def epoch_bounds(query: Mapping[str, str], default_days: int = 30) -> tuple[float, float]:
    """(from, to) in epoch seconds from ``from``/``to`` (ISO dates or epoch seconds); default the last days."""
    def parse(name: str, default: float) -> float:
        value = query.get(name)
        if value is None or value == "":
            return default
        try:
            if value.isdigit():
                stamp = float(value)
            else:
                parsed = datetime.fromisoformat(value)
                stamp = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError):
            stamp = -1.0
        if not 0 <= stamp <= LATEST:
            raise bad_request(f"'{name}' must be a date (YYYY-MM-DD), a UTC date-time or epoch seconds", name)
        return stamp
    now = time.time()
    return parse("from", now - default_days * 86400), parse("to", now)


MAX_DEPTH = 64
"""Deepest nesting a request body may have; real configurations stay far below, a deeper body is refused."""


def check_storable(body: Any) -> None:
    """400 naming the field for a body nested deeper than MAX_DEPTH or holding a lone UTF-16 surrogate.

    A lone surrogate parses but cannot be encoded as UTF-8, so storing one would break every later
    answer that shows it; the walk is iterative so depth alone cannot exhaust the stack.
    """
    stack: list[tuple[Any, str, int]] = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        field = path.split(".")[0].split("[")[0] or "body"
        if depth > MAX_DEPTH:
            raise bad_request(f"'{field}' is nested deeper than {MAX_DEPTH} levels", field)
        if isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    raise bad_request(f"'{path or 'body'}' has a key that is not valid Unicode", field)
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{n}]", depth + 1) for n, item in enumerate(value))
        elif isinstance(value, str) and not _encodable(value):
            raise bad_request(f"'{path or 'body'}' is not valid Unicode (it holds a lone UTF-16 surrogate)",
                              path or "body")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
