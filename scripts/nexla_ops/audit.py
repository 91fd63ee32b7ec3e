"""Append-only audit log: one JSON line per mutation, secrets redacted.

Each line has ``time`` (UTC ISO-8601), ``actor``, ``method``, ``path``, ``resource_type``,
``resource_id``, ``operation``, ``outcome`` (``ok``, ``failed`` or ``refused``), ``status``,
``request_id`` and, when set, ``tool`` (the MCP tool or script acting) plus any extra details.
The client writes a line for every mutating HTTP request; operations add higher-level lines
through ``client.audit(...)``. Writing never breaks the operation it records: if the file
cannot be written, a warning is logged instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .redaction import redact

logger = logging.getLogger("nexla_ops.audit")

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("nexla_ops_audit_context", default={})


@contextlib.contextmanager
def audit_context(*, tool: str | None = None, actor: str | None = None) -> Iterator[None]:
    """Tag every audit line written inside the block (in this thread or asyncio task) with ``tool``/``actor``."""
    current = dict(_context.get())
    if tool:
        current["tool"] = tool
    if actor:
        current["actor"] = actor
    token = _context.set(current)
    try:
        yield
    finally:
        _context.reset(token)


class AuditLog:
    """Writes audit lines to ``path`` (JSONL); with ``path=None`` lines are built but not stored."""

    def __init__(self, path: str | Path | None, *, actor: str | None = None) -> None:
        self.path = Path(path).expanduser() if path else None
        self.actor = actor
        # Who the API says we are (set after ``whoami``); used when nobody named an actor.
        self.fallback_actor: str | None = None
        self._lock = threading.Lock()
        self._warned = False

    def record(
        self,
        *,
        operation: str,
        outcome: str,
        method: str | None = None,
        path: str | None = None,
        resource_type: str | None = None,
        resource_id: str | int | None = None,
        status: int | None = None,
        request_id: str | None = None,
        actor: str | None = None,
        tool: str | None = None,
        **details: Any,
    ) -> dict[str, Any]:
        """Append one line and return it (already redacted).

        The actor is the first of: ``actor``, the log's configured actor (NEXLA_ACTOR), the
        ``audit_context`` actor, the API user learnt from ``whoami``.
        """
        context = _context.get()
        entry: dict[str, Any] = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "actor": actor or self.actor or context.get("actor") or self.fallback_actor,
            "method": method,
            "path": path,
            "resource_type": resource_type,
            "resource_id": None if resource_id is None else str(resource_id),
            "operation": operation,
            "outcome": outcome,
            "status": status,
            "request_id": request_id,
        }
        tool = tool or context.get("tool")
        if tool:
            entry["tool"] = tool
        entry.update(details)
        entry = redact(entry)
        if self.path is not None:
            self._append(self.path, json.dumps(entry, default=str, sort_keys=False))
        return entry

    def _append(self, path: Path, line: str) -> None:
        try:
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                # One write per line in append mode keeps lines whole when processes share the file.
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, (line + "\n").encode("utf-8"))
                finally:
                    os.close(fd)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                logger.warning("cannot write the audit log %s (%s); set NEXLA_AUDIT_LOG to a writable file", self.path, exc.strerror)

    @staticmethod
    def read(path: str | Path) -> list[dict[str, Any]]:
        """All lines of an audit file, parsed (for reports and tests)."""
        file = Path(path).expanduser()
        if not file.exists():
            return []
        return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]


__all__ = ["AuditLog", "audit_context"]
