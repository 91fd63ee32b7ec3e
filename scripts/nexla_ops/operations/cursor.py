"""Opaque paging cursors shared by every paged operation (listing, run summaries, logs).

A cursor is the URL-safe base64 of a small JSON object of named integers and strings. Callers
pass ``next_cursor`` back unchanged; each operation decodes it with the exact fields it wrote, so
a cursor from another kind of listing, or one edited by hand, is refused with an error naming
``cursor`` instead of silently paging from the wrong place.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

CursorState = dict[str, int | str]


def cursor_error(reason: str) -> ValueError:
    """The error for a cursor an operation cannot use; ``reason`` says why (shown to the caller)."""
    return ValueError(f"cursor is invalid or from another listing: {reason}; omit it to start from the first page")


def encode_cursor(state: Mapping[str, int | str]) -> str:
    """An opaque cursor for ``state`` (field name -> int or str), to hand out as ``next_cursor``."""
    text = json.dumps(dict(state), separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, fields: Mapping[str, type[int] | type[str]]) -> CursorState:
    """The state inside a cursor from :func:`encode_cursor`, or ``{}`` when ``cursor`` is empty.

    ``fields`` names every field the cursor must hold and its type (integers must not be
    negative). Raises ValueError naming ``cursor`` when it is not one of ours, lacks a field,
    holds another, or holds a value of the wrong type.
    """
    if not cursor:
        return {}
    try:
        state = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except ValueError:
        raise cursor_error("it is not a next_cursor returned by a previous call") from None
    if not isinstance(state, dict) or set(state) != set(fields):
        raise cursor_error(f"expected the fields {sorted(fields)}")
    for name, kind in fields.items():
        value = state[name]
        if type(value) is not kind or (isinstance(value, int) and value < 0):
            raise cursor_error(f"field {name!r} is not a {'non-negative integer' if kind is int else kind.__name__}")
    return state
