"""Readable rendering of results for people; ``--json`` output bypasses this module."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping | list):
        return json.dumps(value, default=str, separators=(",", ":"))
    return str(value)


def render_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, max_width: int = 60) -> str:
    """Render rows as an aligned plain-text table; long cells are cut with an ellipsis."""
    body = [[_cell(row.get(column)) for column in columns] for row in rows]
    cut = [[cell if len(cell) <= max_width else cell[: max_width - 1] + "…" for cell in line] for line in body]
    widths = [max([len(column)] + [len(line[i]) for line in cut]) for i, column in enumerate(columns)]
    lines = ["  ".join(column.upper().ljust(widths[i]) for i, column in enumerate(columns)).rstrip()]
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in cut]
    return "\n".join(lines)
