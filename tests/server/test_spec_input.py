"""Specs through MCP: paths only inside the spec folder, clear errors, and isError for every non-success."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nexla_mcp.app import ServerOptions
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, spec_data, spec_yaml
from tests.helpers.mcp import ToolCaller, connect, settings_for, text_of


@pytest.fixture
def spec_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    folder = tmp_path / "specs"
    (folder / "team").mkdir(parents=True)
    (folder / "team" / "orders.yaml").write_text(spec_yaml(), encoding="utf-8")
    (tmp_path / "outside.yaml").write_text(spec_yaml(name="outside"), encoding="utf-8")
    os.symlink(tmp_path / "outside.yaml", folder / "link.yaml")
    return folder


async def test_a_relative_path_resolves_against_the_spec_folder(sandbox, spec_dir: Path) -> None:
    async with connect(settings_for(sandbox), ServerOptions(spec_dir=spec_dir)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        plan = await call.ok("plan_deployment", {"spec": "team/orders.yaml"})
        assert plan["name"] == "orders-to-parquet"
        absolute = await call.ok("plan_deployment", {"spec": str(spec_dir / "team" / "orders.yaml")})
        assert absolute["name"] == "orders-to-parquet"


@pytest.mark.parametrize("given", ["../outside.yaml", "link.yaml", "/etc/hostname"])
async def test_a_path_outside_the_spec_folder_is_refused(sandbox, spec_dir: Path, given: str) -> None:
    async with connect(settings_for(sandbox), ServerOptions(spec_dir=spec_dir)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        error = await call.error("validate_deployment", {"spec": given})
        assert "outside the server's spec folder" in error["message"] and "--spec-dir" in error["message"]


async def test_a_missing_file_says_where_it_was_looked_for(sandbox, spec_dir: Path) -> None:
    async with connect(settings_for(sandbox), ServerOptions(spec_dir=spec_dir)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        error = await call.error("plan_deployment", {"spec": "orders.yaml"})
        assert f"no spec file orders.yaml in the server's spec folder {spec_dir.resolve()}" in error["message"]
        assert "mapping" not in error["message"]


async def test_apply_that_is_not_a_success_is_an_error_result(sandbox, spec_dir: Path) -> None:
    write_demo_data(sandbox.data_dir)
    broken = spec_data(credential={"name": "orders-s3", "type": "s3",
                                   "fields": {"access_key_id": "AKIADEMO", "secret_access_key": {"from_env": "UNSET_VAR"}}})
    async with connect(settings_for(sandbox), ServerOptions(spec_dir=spec_dir)) as client:
        result = await client.call_tool("apply_deployment", {"spec": broken})
        assert result.is_error, text_of(result)
        assert result.structured_content is not None and result.structured_content["status"] == "invalid"
        applied = await client.call_tool("apply_deployment", {"spec": "team/orders.yaml"})
        assert not applied.is_error, text_of(applied)
        assert applied.structured_content is not None and applied.structured_content["status"] == "applied"
