"""describe_connector and preview_source through a real MCP client against the sandbox."""

from __future__ import annotations

from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import client_for
from tests.helpers.mcp import ToolCaller, connect, offline_settings, settings_for


async def test_describe_connector_offline_and_errors_name_the_argument() -> None:
    async with connect(offline_settings()) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        s3 = await call.ok("describe_connector", {"connector": "s3"})
        assert {f["name"] for f in s3["credential_fields"] if f["secret"]} == {"secret_access_key"}
        listed = await call.ok("describe_connector", {"category": "streaming"})
        assert "kafka" in listed["connectors"]["streaming"]
        bad = await call.error("describe_connector", {"connector": "snowflak"})
        assert "snowflake" in bad["message"]


async def test_preview_source_before_any_source_exists(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=6, files=1)
    async with client_for(sandbox) as api:
        credential = await api.post("/data_credentials", json={
            "name": "s3", "credentials_type": "s3",
            "credentials": {"access_key_id": "AKIA", "secret_access_key": "mcp-preview-secret"}})
    async with connect(settings_for(sandbox)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        preview = await call.ok("preview_source", {"credential_id": credential["id"], "path": "ingest/orders/",
                                                   "sample_size": 2})
        assert preview["sampled_file"].endswith("orders-001.json") and len(preview["records"]) == 2
        assert "mcp-preview-secret" not in str(preview)
        failed = await call.error("preview_source", {"credential_id": credential["id"], "path": "missing/"})
        assert "missing" in failed["message"]
