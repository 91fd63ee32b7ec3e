"""Resource records by kind: the one storage API the routes and the flow runtime share.

A record is a JSON document (the resource's API fields plus internal ones) with an integer id
unique across all kinds, ``owner_id``, ``org_id`` and ISO-8601 timestamps. Deleting is soft: a
deleted record is invisible to :meth:`Store.get` and :meth:`Store.list`.

Flow resources (sources, nexsets, sinks) get a ``flow_node_id`` on creation: the id of a
``flow_nodes`` record naming the resource, so flow node ids never collide with resource ids.
Credential secrets (the ``credentials`` dict) live in their own table and only come back
through :meth:`Store.credential_secrets`.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nexla_sandbox.state.db import Database

FLOW_KINDS = ("data_sources", "data_sets", "data_sinks")
_COLUMNS = ("id", "owner_id", "org_id", "created_at", "updated_at")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Clause = tuple[str, Sequence[Any]]
"""An SQL condition on the ``records`` table and its parameters."""


def _column(name: str) -> str:
    """The SQL expression of a record field (a real column, or the JSON path the indexes in db.py use)."""
    if name in _COLUMNS:
        return name
    if not _FIELD.match(name):
        raise ValueError(f"not a field name: {name!r}")
    return f"json_extract(data, '$.{name}')"


def _storable(id: int) -> bool:
    """Whether ``id`` fits SQLite's signed 64-bit integer (a larger one, e.g. from a request body, names nothing)."""
    return -(2**63) <= int(id) < 2**63


def now_iso() -> str:
    """The current time as the API renders it (UTC, millisecond precision, ``+00:00`` offset)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Store:
    """Typed-ish access to the records table; safe to share between threads."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open (creating if needed) the state database in ``data_dir``."""
        return cls(Database(Path(data_dir) / "sandbox.db"))

    @staticmethod
    def _row(row: Any) -> dict:
        record = json.loads(row["data"])
        for column in _COLUMNS:
            record[column] = row[column]
        return record

    def get(self, kind: str, id: int) -> dict | None:
        """The stored record, or None when it does not exist, is deleted or is of another kind."""
        if not _storable(id):
            return None
        rows = self.db.execute(
            "SELECT * FROM records WHERE id = ? AND kind = ? AND deleted = 0", (int(id), kind)
        )
        return self._row(rows[0]) if rows else None

    def kind_of(self, id: int) -> str | None:
        """The kind of a live record id (ids are unique across kinds)."""
        if not _storable(id):
            return None
        rows = self.db.execute("SELECT kind FROM records WHERE id = ? AND deleted = 0", (int(id),))
        return rows[0]["kind"] if rows else None

    def list(self, kind: str, where: dict | None = None, *, text: dict | None = None,
             scope: Clause | None = None, limit: int | None = None, offset: int = 0) -> list[dict]:
        """Live records of ``kind`` matching every filter, ordered by id; filtered and paged in SQLite.

        ``where`` items must equal the stored JSON value (None matches a missing or null field),
        ``text`` items must equal the value rendered as text (query-string filters), ``scope`` is an
        SQL condition with its parameters (see ``accessors.list_scope``).
        """
        sql, params = self._select("*", kind, where, text, scope)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [int(limit), int(offset)]
        return [self._row(row) for row in self.db.execute(sql, params)]

    def count(self, kind: str, where: dict | None = None, *, text: dict | None = None,
              scope: Clause | None = None) -> int:
        """How many records :meth:`list` would return without a page window."""
        sql, params = self._select("COUNT(*) AS n", kind, where, text, scope)
        return int(self.db.execute(sql, params)[0]["n"])

    @staticmethod
    def _select(columns: str, kind: str, where: dict | None, text: dict | None,
                scope: Clause | None) -> tuple[str, builtins.list[Any]]:
        sql = f"SELECT {columns} FROM records WHERE kind = ? AND deleted = 0"
        params: builtins.list[Any] = [kind]
        for name, value in (where or {}).items():
            column = _column(name)
            if value is None:
                sql += f" AND {column} IS NULL"
            else:
                sql += f" AND {column} = ?"
                params.append(json.dumps(value) if isinstance(value, list | dict) else value)
        for name, value in (text or {}).items():
            sql += f" AND CAST({_column(name)} AS TEXT) = ?"
            params.append(str(value))
        if scope is not None:
            sql += f" AND ({scope[0]})"
            params += list(scope[1])
        return sql, params

    def create(self, kind: str, fields: dict, *, owner_id: int, org_id: int) -> dict:
        """Insert a record and return it as stored (secrets split off for credentials)."""
        data = {k: v for k, v in fields.items() if k not in _COLUMNS}
        secrets = data.pop("credentials", None) if kind == "data_credentials" else None
        stamp = now_iso()
        with self.db.transaction():
            new_id = self.db.insert(
                "INSERT INTO records (kind, owner_id, org_id, data, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (kind, owner_id, org_id, json.dumps(data), stamp, stamp),
            )
            if kind == "data_credentials":
                self.set_credential_secrets(new_id, secrets or {})
            if kind in FLOW_KINDS:
                node = self.create(
                    "flow_nodes", {"resource_kind": kind, "resource_id": new_id},
                    owner_id=owner_id, org_id=org_id,
                )
                self.update(kind, new_id, {"flow_node_id": node["id"]})
        record = self.get(kind, new_id)
        assert record is not None
        return record

    def update(self, kind: str, id: int, fields: dict) -> dict:
        """Merge ``fields`` into a live record and return it; KeyError if it is missing."""
        with self.db.transaction():
            current = self.get(kind, id)
            if current is None:
                raise KeyError(f"{kind}/{id}")
            fields = dict(fields)
            if kind == "data_credentials" and "credentials" in fields:
                self.set_credential_secrets(id, fields.pop("credentials") or {})
            data = {k: v for k, v in current.items() if k not in _COLUMNS}
            data.update({k: v for k, v in fields.items() if k not in _COLUMNS})
            owner_id = fields.get("owner_id", current["owner_id"])
            org_id = fields.get("org_id", current["org_id"])
            self.db.execute(
                "UPDATE records SET data = ?, owner_id = ?, org_id = ?, updated_at = ? WHERE id = ?",
                (json.dumps(data), owner_id, org_id, now_iso(), int(id)),
            )
        record = self.get(kind, id)
        assert record is not None
        return record

    def delete(self, kind: str, id: int) -> None:
        """Soft-delete a record (and the flow node of a flow resource)."""
        with self.db.transaction():
            record = self.get(kind, id)
            if record is None:
                return
            self.db.execute(
                "UPDATE records SET deleted = 1, updated_at = ? WHERE id = ?", (now_iso(), int(id))
            )
            if record.get("flow_node_id"):
                self.db.execute("UPDATE records SET deleted = 1 WHERE id = ?", (record["flow_node_id"],))
            self.db.execute(
                "DELETE FROM accessors WHERE kind = ? AND resource_id = ?", (kind, int(id))
            )

    def credential_secrets(self, credential_id: int) -> dict:
        """The secret ``credentials`` dict of a credential ({} when none); never render it."""
        rows = self.db.execute(
            "SELECT data FROM credential_secrets WHERE credential_id = ?", (int(credential_id),)
        )
        return json.loads(rows[0]["data"]) if rows else {}

    def set_credential_secrets(self, credential_id: int, secrets: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO credential_secrets (credential_id, data) VALUES (?, ?)",
            (int(credential_id), json.dumps(secrets)),
        )

    def meta(self, key: str) -> str | None:
        rows = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
