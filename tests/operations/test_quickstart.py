"""quickstart against the sandbox: identity, complete counts, next step, auth failures."""

from __future__ import annotations

import pytest

from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.errors import AuthenticationError, ConfigError
from nexla_ops.operations.quickstart import quickstart
from tests.helpers.monitor import build_flow, client_for, create_credential, create_sources


async def test_empty_org_suggests_creating_a_credential(sandbox):
    async with client_for(sandbox) as client:
        report = await quickstart(client)
    assert report.api_url == sandbox.base_url and report.auth_mode == "service_key"
    assert report.identity.user_id == sandbox.users["admin"] and report.identity.email
    assert report.identity.org_id is not None
    assert report.counts["data_credentials"] == 0 and report.counts["flows"] == 0
    assert "No credentials yet" in report.next_step and "examples/orders_to_parquet.yaml" in report.next_step


async def test_counts_are_complete_past_the_first_page(sandbox):
    with sandbox.client() as api:
        credential = create_credential(api)
    await create_sources(sandbox, 130, credential_id=credential)
    async with client_for(sandbox) as client:
        report = await quickstart(client)
    assert report.counts["data_sources"] == 130 and report.counts["flows"] == 130
    assert report.active_flows == 0
    assert "nothing is written anywhere" in report.next_step


async def test_running_flows_point_to_the_health_check(sandbox):
    with sandbox.client() as api:
        build_flow(sandbox, api)
    async with client_for(sandbox) as client:
        report = await quickstart(client)
    assert report.counts["data_sets"] == 2 and report.counts["data_sinks"] == 1 and report.active_flows == 1
    assert "health_check.py" in report.next_step


async def test_a_rejected_key_and_a_missing_key_fail_with_config_exit_code(sandbox):
    env = {"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": "nxsbx_not-a-real-key", "NEXLA_AUDIT_LOG": ""}
    async with AsyncNexlaClient(Settings.from_env(env=env)) as client:
        with pytest.raises(AuthenticationError) as caught:
            await quickstart(client)
    assert caught.value.exit_code == 3
    with pytest.raises(ConfigError) as missing:
        Settings.from_env(env={"NEXLA_API_URL": sandbox.base_url})
    assert missing.value.exit_code == 3
