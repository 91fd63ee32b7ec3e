"""The official nexla-sdk client, pointed at the test's sandbox."""

from __future__ import annotations

import pytest
from nexla_sdk import NexlaClient


@pytest.fixture
def sdk(sandbox) -> NexlaClient:
    return NexlaClient(service_key=sandbox.service_key, base_url=sandbox.base_url)
