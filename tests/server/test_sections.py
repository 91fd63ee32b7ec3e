"""Skill documents by section, the table of contents, and the cookbook, read through an MCP client."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from mcp.shared.exceptions import MCPError

from nexla_mcp.documents import DOCUMENTS
from nexla_mcp.sections import COOKBOOK_URI, INDEX_URI, sections
from nexla_ops.operations.deploy import parse_spec
from tests.helpers.mcp import connect, offline_settings

REPO = Path(__file__).resolve().parents[2]
_LINK = re.compile(r"\]\(((?:[A-Z_]+\.md)?)#([\w-]+)\)")


def _anchor_links() -> set[tuple[str, str]]:
    """Every ``[text](DOC.md#anchor)`` / ``[text](#anchor)`` link in the skill documents and README."""
    found = set()
    for name in [doc.filename for doc in DOCUMENTS] + ["README.md"]:
        for target, anchor in _LINK.findall((REPO / name).read_text(encoding="utf-8")):
            document = target or name
            if document != "README.md":
                found.add((document, anchor))
    return found


async def test_every_anchor_the_documents_link_to_is_a_readable_section() -> None:
    links = _anchor_links()
    assert ("REFERENCE.md", "configuration") in links
    async with connect(offline_settings()) as client:
        for document, anchor in sorted(links):
            text = (await client.read_resource(f"nexla://docs/{document}#{anchor}")).contents[0].text
            assert text.startswith("#"), (document, anchor)


async def test_a_section_runs_to_the_next_peer_heading() -> None:
    async with connect(offline_settings()) as client:
        text = (await client.read_resource("nexla://docs/REFERENCE.md#deploy-spec")).contents[0].text
    whole = (REPO / "REFERENCE.md").read_text(encoding="utf-8")
    start = whole.index("## Deploy spec\n")
    assert text == whole[start : whole.index("\n## ", start + 1) + 1]


async def test_the_index_lists_every_top_section_with_its_uri_and_the_sections_cover_each_document() -> None:
    async with connect(offline_settings()) as client:
        index = (await client.read_resource(INDEX_URI)).contents[0].text
    for doc in DOCUMENTS:
        text = (REPO / doc.filename).read_text(encoding="utf-8")
        top = [item for item in sections(text) if item.level == 2]
        assert top, doc.filename
        for item in top:
            assert f"(nexla://docs/{doc.filename}#{item.slug})" in index
        # Nothing after the first section is lost between sections.
        assert "".join(item.text for item in top) == text[text.index(top[0].text) :]
    assert len(index.encode()) < 12_000


async def test_unknown_sections_and_documents_are_named_errors() -> None:
    async with connect(offline_settings()) as client:
        with pytest.raises(MCPError, match="its sections: .*deploy-spec"):
            await client.read_resource("nexla://docs/REFERENCE.md#no-such-section")
        with pytest.raises(MCPError, match="use one of SKILL.md"):
            await client.read_resource("nexla://docs/secrets.txt#x")


async def test_the_cookbook_holds_every_complete_spec_and_each_parses() -> None:
    async with connect(offline_settings()) as client:
        cookbook = (await client.read_resource(COOKBOOK_URI)).contents[0].text
    blocks = re.findall(r"```yaml\n(.*?)```", cookbook, re.S)
    names = set()
    for block in blocks:
        spec = parse_spec(yaml.safe_load(block))
        names.add(spec.name)
    assert {"orders-to-parquet", "orders-fanout", "big-orders"} <= names
    assert len(names) == len(blocks), "each spec once"
