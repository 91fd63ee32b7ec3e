"""The skill's documents as resources, the spec schema, and the workflow prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexla_mcp import documents
from nexla_mcp.apps import VIEWS
from nexla_mcp.sections import COOKBOOK_URI, INDEX_URI

SERVED = {documents.SPEC_SCHEMA_URI, INDEX_URI, COOKBOOK_URI, *(view.uri for view in VIEWS)}
from tests.helpers.mcp import connect, offline_settings

REPO = Path(__file__).resolve().parents[2]


async def test_documents_found_on_disk_are_listed_and_readable() -> None:
    expected = {f"nexla://skill/{doc.filename}" for doc in documents.DOCUMENTS if (REPO / doc.filename).is_file()}
    async with connect(offline_settings()) as client:
        listed = {str(resource.uri) for resource in (await client.list_resources()).resources}
        assert listed == expected | SERVED
        for uri in expected:
            contents = (await client.read_resource(uri)).contents
            name = uri.rsplit("/", 1)[1]
            assert contents[0].text == (REPO / name).read_text(encoding="utf-8")
            assert contents[0].mime_type == "text/markdown"
        schema = json.loads((await client.read_resource(documents.SPEC_SCHEMA_URI)).contents[0].text)
        assert schema["title"] == "Nexla flow deployment spec" and "source" in schema["properties"]


async def test_missing_documents_are_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "SKILL.md").write_text("# skill\n", encoding="utf-8")
    monkeypatch.setattr(documents, "search_dirs", lambda: [tmp_path])
    async with connect(offline_settings()) as client:
        listed = {str(resource.uri) for resource in (await client.list_resources()).resources}
        assert listed == {"nexla://skill/SKILL.md"} | SERVED
        assert (await client.read_resource("nexla://skill/SKILL.md")).contents[0].text == "# skill\n"


async def test_workflow_prompts_are_listed_and_render_their_arguments() -> None:
    async with connect(offline_settings()) as client:
        prompts = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}
        assert set(prompts) == {"deploy_pipeline", "triage_failed_flow", "daily_health_check", "rotate_credential"}
        assert all(prompt.title and prompt.description for prompt in prompts.values())
        triage = await client.get_prompt("triage_failed_flow", {"kind": "data_sources", "id": "12"})
        text = triage.messages[0].content.text
        assert "triage_flow kind=data_sources id=12" in text
        deploy = await client.get_prompt("deploy_pipeline", {"spec": "name: demo"})
        assert "plan_deployment" in deploy.messages[0].content.text and "name: demo" in deploy.messages[0].content.text
        health = await client.get_prompt("daily_health_check", {})
        assert "check_health" in health.messages[0].content.text
        rotate = await client.get_prompt("rotate_credential", {"credential_id": "7", "env_vars": "password=NEW_PW"})
        assert "dry_run=true" in rotate.messages[0].content.text and "NEW_PW" in rotate.messages[0].content.text
        assert "quickstart" in (client.instructions or "")
