"""The sandbox flow runtime: runs pipelines for real on local files (interface landing; filled in next)."""

from __future__ import annotations

import pathlib
from typing import Any

from starlette.routing import BaseRoute


class Runtime:
    """Runs flows stored in the sandbox Store: discovery, runs, schedules, metrics, logs and probes."""

    def __init__(self, store: Any, data_dir: pathlib.Path) -> None:
        self.store = store
        self.data_dir = pathlib.Path(data_dir)

    def start(self) -> None:
        """Start the cron scheduler thread."""

    def stop(self) -> None:
        """Stop the scheduler and wait for running flows to finish."""

    def on_source_activated(self, source_id: int) -> None:
        """Discover the source's detected nexset synchronously, then start a run in the background."""

    def on_source_paused(self, source_id: int) -> None:
        """Stop scheduled runs of the source."""

    def probe(self, credential: dict, secrets: dict) -> dict:
        """Check a credential; returns {"status", "message", "connection_verified"}."""
        raise NotImplementedError

    def probe_tree(self, credential: dict, secrets: dict, path: str | None, depth: int) -> dict:
        """List the credential's folder tree (ProbeTreeResponse shape)."""
        raise NotImplementedError

    def probe_sample(self, credential: dict, secrets: dict, path: str | None) -> dict:
        """Read a few records under `path` (ProbeSampleResponse shape)."""
        raise NotImplementedError

    def flow_metrics(self, data_source_id: int) -> list[dict]:
        """FlowMetrics rows of the source's runs."""
        return []

    def routes(self) -> list[BaseRoute]:
        """Routes served under the API prefix."""
        return []

    def webhook_routes(self) -> list[BaseRoute]:
        """Routes served at the server root (POST /webhook/{source_id})."""
        return []
