"""Shared fixtures: a fresh in-process sandbox per test and an environment for subprocesses."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexla_ops.operations.deploy import DeployResult
from nexla_sandbox.runtime.demo import DemoData, write_demo_data
from nexla_sandbox.testing import SandboxHandle, running_sandbox
from tests.helpers.deploy import DEMO_SECRET, SECRET_ENV, deploy_demo


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A running sandbox with fresh state in the test's tmp dir."""
    with running_sandbox(tmp_path / "sandbox-data") as handle:
        yield handle


@pytest.fixture
def sandbox_env(sandbox: SandboxHandle, tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess that talks to ``sandbox`` as the org admin.

    Its audit log goes to the test's tmp dir, never to the developer's ``~/.nexla-ops``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXLA_")}
    env.update(
        NEXLA_API_URL=sandbox.base_url,
        NEXLA_SERVICE_KEY=sandbox.service_key,
        NEXLA_AUDIT_LOG=str(tmp_path / "audit.jsonl"),
    )
    return env


@pytest.fixture
def deploy_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The credential secret the guide's spec reads from the environment (``SECRET_ENV``)."""
    monkeypatch.setenv(SECRET_ENV, DEMO_SECRET)


@pytest.fixture
def demo(sandbox: SandboxHandle) -> DemoData:
    """The demo input files in the sandbox's data dir."""
    return write_demo_data(sandbox.data_dir)


@pytest.fixture
async def deployed(sandbox: SandboxHandle, deploy_secret: None) -> DeployResult:
    """The guide's deployment, applied."""
    return await deploy_demo(sandbox)


@pytest.fixture(autouse=True, scope="session")
def _private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Defaults that live in the home folder (the audit log) stay inside the test run."""
    home = tmp_path_factory.mktemp("home")
    previous = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    yield
    if previous is not None:
        os.environ["HOME"] = previous
