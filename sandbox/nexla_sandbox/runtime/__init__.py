"""The sandbox flow runtime: runs pipelines for real on local files.

The app (`nexla_sandbox/app.py`) constructs `Runtime(store, data_dir)` and calls `start()`/`stop()` from the
app lifespan; the backend (`nexla_sandbox/backend/`) calls `on_source_activated`/`on_source_paused` when
sources or flows change state, the probe methods, `accept_push` and the ledger. The runtime knows no HTTP.

Runs start on activation (in the background), on a source's cron schedule while it is ACTIVE, after
a webhook push to an ACTIVE source (in the background; pushes to a paused source wait in its inbox
for the next run), and on demand through `run_now` (`POST /_sandbox/sources/{id}/run`). One run per
source at a time; background requests that arrive while one is waiting are folded into it.
"""

from __future__ import annotations

import hmac
import json
import logging
import pathlib
import threading
import time
from typing import Any

from nexla_sandbox.state.store import Store

from . import object_store
from .discovery import detected_nexsets, discover, samples
from .inputs import SourceConfigError
from .ledger import Ledger
from .paths import inbox_dir
from .runner import FlowRun
from .scheduler import CronScheduler

log = logging.getLogger(__name__)


class Runtime:
    """Runs flows stored in the sandbox Store: discovery, runs, schedules, metrics, logs and probes."""

    def __init__(self, store: Store, data_dir: pathlib.Path) -> None:
        self.store = store
        self.data_dir = pathlib.Path(data_dir)
        self.ledger = Ledger(store.db)
        self.scheduler = CronScheduler(self._active_sources, self.request_run)
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self._waiting: set[int] = set()
        self._workers: list[threading.Thread] = []
        self._push_counter = 0

    # lifecycle
    def start(self) -> None:
        """Start the cron scheduler thread."""
        self.scheduler.start()

    def stop(self) -> None:
        """Stop the scheduler and wait (up to 30 s each) for background runs to finish."""
        self.scheduler.stop()
        with self._guard:
            workers = list(self._workers)
        for worker in workers:
            worker.join(timeout=30)

    def on_source_activated(self, source_id: int) -> None:
        """Discover the detected nexset now (it exists when this returns), then run in the background."""
        source = self.store.get("data_sources", source_id)
        if source is None:
            return
        try:
            discover(self.store, self.ledger, self.data_dir, source)
        except (SourceConfigError, OSError, ValueError) as exc:
            # Activation still succeeds; the run that follows fails with the same message in its logs.
            self.ledger.log(data_source_id=source_id, run_id=None, level="WARN", resource_type="data_sources",
                            resource_id=source_id, message=f"Discovery could not read the source: {exc}")
        self.request_run(source_id, trigger="activation")

    def on_source_paused(self, source_id: int) -> None:
        """Stop scheduled runs of the source (a run already under way finishes)."""
        self.scheduler.forget(source_id)

    # runs
    def _lock(self, source_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(source_id, threading.Lock())

    def run_now(self, source_id: int, trigger: str = "manual") -> dict[str, Any]:
        """Run the source's flow and return {run_id, status, records_in, records_out, errors, files}."""
        with self._lock(source_id):
            source = self.store.get("data_sources", source_id)
            if source is None:
                raise KeyError(f"data_sources/{source_id}")
            return FlowRun(self.store, self.ledger, self.data_dir, source, trigger).execute().as_dict()

    def request_run(self, source_id: int, trigger: str = "schedule") -> None:
        """Run in a background thread unless a background run of the source is already waiting to start."""
        with self._guard:
            if source_id in self._waiting:
                return
            self._waiting.add(source_id)
            self._workers = [w for w in self._workers if w.is_alive()]
            worker = threading.Thread(target=self._background, args=(source_id, trigger),
                                      name=f"sandbox-run-{source_id}", daemon=True)
            self._workers.append(worker)
        worker.start()

    def _background(self, source_id: int, trigger: str) -> None:
        with self._lock(source_id):
            with self._guard:
                self._waiting.discard(source_id)
            source = self.store.get("data_sources", source_id)
            if source is None:
                return
            try:
                FlowRun(self.store, self.ledger, self.data_dir, source, trigger).execute()
            except Exception:  # a background run has no caller to report to; keep the thread's failure visible
                log.exception("background run of source %s failed", source_id)

    def _active_sources(self) -> list[dict]:
        return self.store.list("data_sources", {"status": "ACTIVE"})

    # probes
    def probe(self, credential: dict, secrets: dict) -> dict:
        """The probe output ``{connection_verified, message}``; raises ProbeFailure when it does not connect."""
        return object_store.probe(self.data_dir, credential, secrets)

    def probe_tree(self, credential: dict, secrets: dict, path: str | None, depth: int) -> dict:
        """List the credential's folder tree to `depth` (ProbeTreeResponse shape)."""
        return object_store.probe_tree(self.data_dir, credential, secrets, path, depth)

    def probe_sample(self, credential: dict, secrets: dict, path: str | None) -> dict:
        """Read a few records under `path` (ProbeSampleResponse shape)."""
        return object_store.probe_sample(self.data_dir, credential, secrets, path)

    # nexsets, metrics
    def detected_id(self, source_id: int) -> int | None:
        found = detected_nexsets(self.store, source_id)
        return found[0]["id"] if found else None

    def samples(self, data_set: dict, count: int) -> list[dict]:
        """Sample records of a nexset, computed from its source's input now (nothing is consumed)."""
        try:
            return samples(self.store, self.data_dir, data_set, count)
        except (SourceConfigError, OSError, ValueError):
            return []

    def flow_metrics(self, data_source_id: int) -> list[dict]:
        """FlowMetrics rows (one per run, newest first) for flow trees with include_run_metrics=1."""
        source = self.store.get("data_sources", data_source_id)
        if source is None:
            return []
        origin = source.get("flow_node_id") or source["id"]
        return [
            {"origin_node_id": origin, "records": run["records_in"], "size": self._source_size(run["id"]),
             "errors": run["errors"],
             "reporting_date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(run["ended_at"] or run["started_at"])),
             "run_id": run["id"]}
            for run in self.ledger.runs(data_source_id)
            if run["status"] != "RUNNING"
        ]

    def _source_size(self, run_id: int) -> int:
        return sum(row["size"] for row in self.ledger.run_metrics(run_id) if row["resource_type"] == "data_sources")

    # webhook
    def webhook_key_valid(self, source: dict, presented: str | None) -> bool:
        if not presented:
            return False
        keys = [entry.get("api_key") if isinstance(entry, dict) else entry for entry in source.get("api_keys") or []]
        return any(key and hmac.compare_digest(str(key), presented) for key in keys)

    def accept_push(self, source: dict, records: list[dict], force_schema_detection: bool = False) -> dict[str, Any]:
        """Store pushed records as one inbox file and run them in the background.

        ``force_schema_detection`` re-detects the nexset's schema from the input now, before the run.
        """
        folder = inbox_dir(self.data_dir, source["id"])
        folder.mkdir(parents=True, exist_ok=True)
        with self._guard:
            self._push_counter += 1
            name = f"push-{time.time_ns()}-{self._push_counter}.ndjson"
        partial = folder / f".{name}.partial"
        partial.write_text("".join(json.dumps(record) + "\n" for record in records))
        partial.replace(folder / name)
        data_set_id = self.detected_id(source["id"])
        if data_set_id is None or force_schema_detection:
            data_set_id = discover(self.store, self.ledger, self.data_dir, source)["id"]
        if source.get("status") == "ACTIVE":
            self.request_run(source["id"], trigger="webhook")
        return {"dataset_id": data_set_id, "processed": len(records)}
