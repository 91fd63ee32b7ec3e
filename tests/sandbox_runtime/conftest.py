"""Fixtures for runtime tests that drive the Runtime directly over a real Store (no HTTP)."""

from __future__ import annotations

import pathlib

import pytest

from nexla_sandbox.runtime import Runtime
from nexla_sandbox.state.store import Store

from .builders import Flow


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: pathlib.Path) -> Store:
    return Store.open(data_dir)


@pytest.fixture
def runtime(store: Store, data_dir: pathlib.Path):
    rt = Runtime(store, data_dir)
    yield rt
    rt.stop()


@pytest.fixture
def flow(store: Store) -> Flow:
    return Flow(store)
