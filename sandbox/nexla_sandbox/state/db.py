"""A thin sqlite3 wrapper: one connection in WAL mode, guarded by a re-entrant lock.

Every write goes through :meth:`Database.transaction`, which commits before it returns, so a
write that the HTTP layer answered with 2xx is already in the WAL and survives a ``kill -9``
(``synchronous=NORMAL`` in WAL mode only risks the last commits on power loss, not on a crash).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    owner_id INTEGER,
    org_id INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind ON records(kind, deleted);
-- Listings filter and page in SQL (state/store.py); these indexes keep a page O(page) whatever the
-- number of records: the owner/org scope of a list and the links a flow tree follows.
CREATE INDEX IF NOT EXISTS records_owner ON records(kind, deleted, owner_id);
CREATE INDEX IF NOT EXISTS records_org ON records(kind, deleted, org_id);
CREATE INDEX IF NOT EXISTS records_source_kind ON records(kind, deleted, json_extract(data, '$.data_source_id'));
CREATE INDEX IF NOT EXISTS records_parent_kind ON records(kind, deleted, json_extract(data, '$.parent_data_set_id'));
CREATE INDEX IF NOT EXISTS records_data_set_kind ON records(kind, deleted, json_extract(data, '$.data_set_id'));
CREATE INDEX IF NOT EXISTS records_credential_kind ON records(kind, deleted, json_extract(data, '$.data_credentials_id'));
CREATE INDEX IF NOT EXISTS records_status_kind ON records(kind, deleted, json_extract(data, '$.status'));
CREATE INDEX IF NOT EXISTS records_transform_kind ON records(kind, deleted, json_extract(data, '$.transform_id'));
CREATE TABLE IF NOT EXISTS credential_secrets (
    credential_id INTEGER PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accessors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    accessor_id INTEGER NOT NULL,
    roles TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accessors_resource ON accessors(kind, resource_id);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_item ON audit(kind, item_id);
CREATE TABLE IF NOT EXISTS service_keys (
    label TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    key TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class Database:
    """One SQLite connection shared by every thread (HTTP workers, the runtime scheduler)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self.executescript(SCHEMA)

    def execute(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        """Run one statement; outside a transaction a write is committed immediately."""
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    def insert(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> int:
        """Run an INSERT and return the new row id."""
        with self._lock:
            cursor = self._conn.execute(sql, tuple(params))
            return int(cursor.lastrowid or 0)

    def executescript(self, sql: str) -> None:
        with self._lock:
            self._conn.executescript(sql)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Group writes atomically; nested use joins the outer transaction."""
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
