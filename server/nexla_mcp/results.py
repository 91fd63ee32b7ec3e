"""Keep every tool result small enough for a model's context.

Operations already return compact summaries and pages; this is the last guard. A payload whose
JSON is longer than :data:`MAX_RESULT_CHARS` is cut: the largest lists are shortened (then the
longest strings), ``truncated`` is set when the model has such a field, and ``result_truncated``
plus ``paging_hint`` tell the caller how to get the rest.
"""

from __future__ import annotations

import copy
import json
from typing import Any

MAX_RESULT_CHARS = 20_000
DEFAULT_PAGING_HINT = (
    "The result was cut to fit the size limit. Ask for less: use `fields`, a smaller `limit` and the "
    "returned `next_cursor`, or a smaller `tail`."
)
_CUT_MARK = " …[cut]"


def to_json(payload: Any) -> str:
    """Compact JSON, as sent to clients."""
    return json.dumps(payload, separators=(",", ":"), default=str, ensure_ascii=False)


def _containers(node: Any) -> list[Any]:
    found = [node] if isinstance(node, dict | list) else []
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        found.extend(_containers(child))
    return found


def _largest_list(payload: Any) -> list[Any] | None:
    lists = [c for c in _containers(payload) if isinstance(c, list) and c]
    return max(lists, key=lambda item: len(to_json(item)), default=None)


def _cut_longest_string(payload: Any) -> bool:
    best: tuple[int, Any, Any] | None = None
    for container in _containers(payload):
        keys = container.keys() if isinstance(container, dict) else range(len(container))
        for key in keys:
            value = container[key]
            if isinstance(value, str) and len(value) > 200 and (best is None or len(value) > best[0]):
                best = (len(value), container, key)
    if best is None:
        return False
    length, container, key = best
    container[key] = container[key][: length // 2] + _CUT_MARK
    return True


def fit(payload: dict[str, Any], *, limit: int = MAX_RESULT_CHARS, hint: str | None = None) -> dict[str, Any]:
    """``payload`` unchanged if it fits in ``limit`` characters of JSON, else a cut copy (see module doc)."""
    if len(to_json(payload)) <= limit:
        return payload
    cut = copy.deepcopy(payload)
    cut["result_truncated"] = True
    cut["paging_hint"] = hint or DEFAULT_PAGING_HINT
    if "truncated" in cut and isinstance(cut["truncated"], bool):
        cut["truncated"] = True
    while len(to_json(cut)) > limit:
        target = _largest_list(cut)
        if target is not None and (len(target) > 1 or not _cut_longest_string(cut)):
            del target[max(1, len(target) // 2) if len(target) > 1 else 0 :]
            continue
        if target is None and not _cut_longest_string(cut):
            break
    return cut
