"""Typed operations: one implementation each, shared by the scripts and the MCP server.

Every operation is an ``async`` function taking an ``AsyncNexlaClient``, typed (pydantic) inputs
and an optional ``progress`` callback, and returning a pydantic result model.
"""

from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress

__all__ = ["ProgressCallback", "ProgressEvent", "no_progress"]
