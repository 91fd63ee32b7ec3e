"""Helpers for client tests against the sandbox: settings factory and operator controls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nexla_ops.config import Settings
from nexla_sandbox.testing import SandboxHandle


class Controls:
    """Thin wrapper over the sandbox's ``/_sandbox`` operator endpoints."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self._http = sandbox.control

    def fault(self, **spec: Any) -> None:
        self._http.post("faults", json=spec).raise_for_status()

    def rate_limit(self, requests_per_second: float | None, burst: int | None = None) -> None:
        body = None if requests_per_second is None else {"requests_per_second": requests_per_second, "burst": burst}
        self._http.put("rate_limit", json=body).raise_for_status()

    def requests(self) -> dict[str, Any]:
        response = self._http.get("requests")
        response.raise_for_status()
        return response.json()

    def count(self, route: str) -> int:
        return self.requests()["by_route"].get(route, 0)

    def statuses(self) -> dict[str, int]:
        return self.requests().get("by_status", {})

    def reset_requests(self) -> None:
        self._http.delete("requests").raise_for_status()


@pytest.fixture
def controls(sandbox: SandboxHandle) -> Controls:
    return Controls(sandbox)


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "audit.jsonl"


@pytest.fixture
def make_settings(sandbox: SandboxHandle, audit_path: Path) -> Callable[..., Settings]:
    """Settings for the sandbox's admin; fast-failing defaults, overridable per test."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "api_url": sandbox.base_url,
            "service_key": sandbox.service_key,
            "audit_log_path": str(audit_path),
            "rate_limit_per_s": 0,
            "timeout_s": 10,
            "max_attempts": 3,
            "retry_budget_s": 10,
        }
        values.update(overrides)
        return Settings.from_env({}, **values)

    return build
