"""Step-by-step progress reporting shared by every long operation.

Operations call ``await progress(ProgressEvent(...))``; scripts print events to stderr and the
MCP server turns them into progress notifications.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel


class ProgressEvent(BaseModel):
    """One step of a long operation. ``current``/``total`` are set when the work is countable."""

    step: str
    message: str
    current: int | None = None
    total: int | None = None


ProgressCallback = Callable[[ProgressEvent], Awaitable[None]]


async def no_progress(event: ProgressEvent) -> None:
    """The default callback: progress goes nowhere."""
