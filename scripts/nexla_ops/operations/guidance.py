"""Next steps in the caller's own terms: a tool call with its arguments through MCP, a command line in a script.

Operations suggest what to do next (``next_step``, hints). The same operation serves both faces,
so a suggestion is written once with both forms and rendered for the face that runs it: the MCP
server enters :func:`face` ``("mcp")`` around every tool call; everything else gets the command.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

Face = Literal["script", "mcp"]

_FACE: ContextVar[Face] = ContextVar("nexla_ops_face", default="script")


@contextmanager
def face(name: Face) -> Iterator[None]:
    """Render suggestions for ``name`` inside the block (the current task and what it awaits)."""
    token = _FACE.set(name)
    try:
        yield
    finally:
        _FACE.reset(token)


def current_face() -> Face:
    return _FACE.get()


def step(tool: str, arguments: dict[str, Any], command: str) -> str:
    """``tool`` called with ``arguments`` when the caller is MCP, else the shell ``command``.

    Placeholders the caller must fill (``"<flow id>"``) stay as written in both forms.
    """
    if _FACE.get() == "mcp":
        return f"{tool} {json.dumps(arguments, separators=(', ', ': '), ensure_ascii=False)}"
    return command
