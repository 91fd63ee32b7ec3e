"""The runtime's own tables in the sandbox database: runs, per-resource metrics, logs, deliveries, errors.

- `rt_runs`: one row per run of a source. Ids are the run ids and, as in Nexla, look like the run's
  start in epoch milliseconds (`1695442864636`); two runs started in the same millisecond get consecutive ids.
- `rt_metrics`: one row per (run, resource) with records, size in bytes, errors, status and times.
- `rt_logs`: run logs (INFO/WARN/ERROR) with resource, run id and JSON details.
- `rt_deliveries`: exactly-once bookkeeping. A row (consumer, input key) says the consumer (a sink, the
  source itself for its own ingestion, or a nexset for its metrics) has received every record of that
  input file. The input key
  is the file's connector-relative name plus size and mtime, so a rewritten file counts as new input.
- `rt_errors`: the per-run error sample (bad records with the failing operation and message).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from nexla_sandbox.state.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS rt_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    data_source_id INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL,
    records_in INTEGER NOT NULL DEFAULT 0,
    records_out INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    error_message TEXT,
    files TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS rt_runs_source ON rt_runs(data_source_id);
CREATE TABLE IF NOT EXISTS rt_metrics (
    run_id INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    data_source_id INTEGER NOT NULL,
    data_set_id INTEGER,
    records INTEGER NOT NULL,
    size INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    status TEXT NOT NULL,
    started_at REAL NOT NULL,
    ended_at REAL NOT NULL,
    error_message TEXT,
    PRIMARY KEY (run_id, resource_type, resource_id)
);
CREATE INDEX IF NOT EXISTS rt_metrics_resource ON rt_metrics(resource_type, resource_id);
CREATE TABLE IF NOT EXISTS rt_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER,
    data_source_id INTEGER NOT NULL,
    timestamp REAL NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS rt_logs_source ON rt_logs(data_source_id, run_id);
CREATE TABLE IF NOT EXISTS rt_deliveries (
    consumer_type TEXT NOT NULL,
    consumer_id INTEGER NOT NULL,
    input_key TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    records INTEGER NOT NULL,
    PRIMARY KEY (consumer_type, consumer_id, input_key)
);
CREATE TABLE IF NOT EXISTS rt_errors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id INTEGER NOT NULL,
    operation_index INTEGER,
    message TEXT NOT NULL,
    record TEXT
);
CREATE INDEX IF NOT EXISTS rt_errors_run ON rt_errors(run_id);
"""

ERROR_SAMPLE_LIMIT = 50
"""Bad records kept per run and resource (all are counted; only these many are stored)."""


class Ledger:
    """Reads and writes the runtime tables; every method is one short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.executescript(SCHEMA)

    # runs
    def start_run(self, data_source_id: int, trigger: str, started_at: float | None = None) -> int:
        started = started_at if started_at is not None else time.time()
        with self.db.transaction():
            last = self.db.execute("SELECT MAX(id) AS id FROM rt_runs")[0]["id"] or 0
            run_id = max(int(started * 1000), last + 1)
            self.db.execute(
                "INSERT INTO rt_runs (id, data_source_id, trigger, status, started_at) VALUES (?, ?, ?, 'RUNNING', ?)",
                (run_id, data_source_id, trigger, started),
            )
        return run_id

    def sources_that_ran(self) -> list[int]:
        """Ids of the sources with at least one finished run."""
        rows = self.db.execute("SELECT DISTINCT data_source_id FROM rt_runs WHERE status != 'RUNNING'")
        return [row["data_source_id"] for row in rows]

    def clear(self) -> None:
        """Forget every run, metric, log, delivery and error sample (``POST /_sandbox/reset``)."""
        with self.db.transaction():
            for table in ("rt_runs", "rt_metrics", "rt_logs", "rt_deliveries", "rt_errors"):
                self.db.execute(f"DELETE FROM {table}")

    def finish_run(self, run_id: int, *, status: str, records_in: int, records_out: int, errors: int,
                   files: list[str], error_message: str | None) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE rt_runs SET status = ?, ended_at = ?, records_in = ?, records_out = ?, errors = ?,"
                " files = ?, error_message = ? WHERE id = ?",
                (status, time.time(), records_in, records_out, errors, json.dumps(files), error_message, run_id),
            )

    def run(self, run_id: int) -> dict | None:
        rows = self.db.execute("SELECT * FROM rt_runs WHERE id = ?", (run_id,))
        return _run_row(rows[0]) if rows else None

    def runs(self, data_source_id: int) -> list[dict]:
        """Runs of a source, newest first."""
        rows = self.db.execute("SELECT * FROM rt_runs WHERE data_source_id = ? ORDER BY id DESC", (data_source_id,))
        return [_run_row(row) for row in rows]

    # metrics
    def record_metric(self, run_id: int, resource_type: str, resource_id: int, *, data_source_id: int,
                      data_set_id: int | None, records: int, size: int, errors: int, status: str,
                      started_at: float, error_message: str | None = None) -> None:
        with self.db.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO rt_metrics (run_id, resource_type, resource_id, data_source_id,"
                " data_set_id, records, size, errors, status, started_at, ended_at, error_message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, resource_type, resource_id, data_source_id, data_set_id, records, size, errors,
                 status, started_at, time.time(), error_message),
            )

    def metrics(self, resource_type: str, resource_id: int) -> list[dict]:
        """Per-run metric rows of one resource, newest run first."""
        rows = self.db.execute(
            "SELECT * FROM rt_metrics WHERE resource_type = ? AND resource_id = ? ORDER BY run_id DESC",
            (resource_type, resource_id),
        )
        return [dict(row) for row in rows]

    def run_metrics(self, run_id: int) -> list[dict]:
        return [dict(row) for row in self.db.execute("SELECT * FROM rt_metrics WHERE run_id = ?", (run_id,))]

    # logs
    def log(self, *, data_source_id: int, run_id: int | None, level: str, message: str, resource_type: str,
            resource_id: int, details: dict[str, Any] | None = None) -> None:
        self.db.execute(
            "INSERT INTO rt_logs (run_id, data_source_id, timestamp, level, message, resource_type, resource_id,"
            " details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, data_source_id, time.time(), level, message, resource_type, resource_id,
             json.dumps(details or {}, default=str)),
        )

    def logs(self, data_source_id: int) -> list[dict]:
        """Logs of a source's flow, oldest first."""
        rows = self.db.execute("SELECT * FROM rt_logs WHERE data_source_id = ? ORDER BY id", (data_source_id,))
        return [dict(row) | {"details": json.loads(row["details"])} for row in rows]

    # exactly-once deliveries
    def delivered(self, consumer_type: str, consumer_id: int) -> set[str]:
        rows = self.db.execute(
            "SELECT input_key FROM rt_deliveries WHERE consumer_type = ? AND consumer_id = ?",
            (consumer_type, consumer_id),
        )
        return {row["input_key"] for row in rows}

    def mark_delivered(self, consumer_type: str, consumer_id: int, run_id: int,
                       inputs: Iterable[tuple[str, int]]) -> None:
        """Record that `consumer` received each (input key, record count); one transaction."""
        with self.db.transaction():
            for key, records in inputs:
                self.db.execute(
                    "INSERT OR IGNORE INTO rt_deliveries (consumer_type, consumer_id, input_key, run_id, records)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (consumer_type, consumer_id, key, run_id, records),
                )

    # error sample
    def record_errors(self, run_id: int, resource_type: str, resource_id: int,
                      errors: Iterable[tuple[int | None, str, Any]]) -> None:
        with self.db.transaction():
            for count, (operation_index, message, record) in enumerate(errors):
                if count >= ERROR_SAMPLE_LIMIT:
                    break
                self.db.execute(
                    "INSERT INTO rt_errors (run_id, resource_type, resource_id, operation_index, message, record)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, resource_type, resource_id, operation_index, message,
                     None if record is None else json.dumps(record, default=str)),
                )

    def error_sample(self, run_id: int) -> list[dict]:
        rows = self.db.execute("SELECT * FROM rt_errors WHERE run_id = ? ORDER BY id", (run_id,))
        return [
            {"resource_type": row["resource_type"], "resource_id": row["resource_id"],
             "operation_index": row["operation_index"], "message": row["message"],
             "record": None if row["record"] is None else json.loads(row["record"])}
            for row in rows
        ]


def _run_row(row: Any) -> dict:
    return dict(row) | {"files": json.loads(row["files"])}
