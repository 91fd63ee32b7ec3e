"""Every runnable block of the skill's documents runs against a sandbox, in document order."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from nexla_mcp.app import build_server
from nexla_ops.config import Settings
from tests.docs.recipes import Block, extract_blocks, mcp_call, run_shell_block

DOCUMENTS = ("SKILL.md", "EXAMPLES.md", "TRANSFORMS.md", "ACCESS_CONTROL.md", "REFERENCE.md")


def _present(document: str) -> bool:
    from tests.docs.recipes import REPO

    return (REPO / document).exists()


async def _run_mcp_block(block: Block, env: dict[str, str]) -> str | None:
    tool, arguments = mcp_call(block, env)
    server = build_server(settings=Settings.from_env(env=env))
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    if result.is_error != block.expects_error:
        text = " ".join(getattr(part, "text", "") for part in result.content)
        return f"{block.where}: tool {tool} isError={result.is_error}: {text[:2000]}"
    return None


def _run(block: Block, env: dict[str, str]) -> str | None:
    if block.language == "mcp":
        return anyio.run(_run_mcp_block, block, env)
    done = run_shell_block(block, env)
    if done.returncode != block.expected_exit:
        return (
            f"{block.where}: exit {done.returncode} (expected {block.expected_exit})\n"
            f"--- code\n{block.code}\n--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
        )
    return None


@pytest.mark.timeout(900)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_recipe_runs(document: str, recipe_env: dict[str, str]) -> None:
    assert _present(document), f"{document} is missing"
    blocks = extract_blocks(document)
    for block in blocks:
        failure = _run(block, recipe_env)
        assert failure is None, failure


def test_examples_has_enough_runnable_recipes() -> None:
    from tests.docs.recipes import REPO

    recipes = [line for line in (REPO / "EXAMPLES.md").read_text().splitlines() if line.startswith("## Recipe ")]
    assert len(recipes) >= 18, f"EXAMPLES.md has {len(recipes)} recipes; the skill promises at least 18"
    assert len(extract_blocks("EXAMPLES.md")) >= 18
