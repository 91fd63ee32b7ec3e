"""Shared fixtures: a fresh in-process sandbox per test and an environment for subprocesses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexla_sandbox.testing import SandboxHandle, running_sandbox


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A running sandbox with fresh state in the test's tmp dir."""
    with running_sandbox(tmp_path / "sandbox-data") as handle:
        yield handle


@pytest.fixture
def sandbox_env(sandbox: SandboxHandle) -> dict[str, str]:
    """Environment for a subprocess that talks to ``sandbox`` as the org admin."""
    env = {k: v for k, v in os.environ.items() if k != "NEXLA_ACCESS_TOKEN"}
    env.update(NEXLA_API_URL=sandbox.base_url, NEXLA_SERVICE_KEY=sandbox.service_key)
    return env
