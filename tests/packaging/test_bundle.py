"""``make mcpb``: the official mcpb CLI validates the manifest, packs the bundle, and it unpacks whole.

The unpacked bundle is then started the way Claude Desktop would find it (its own folder, no
checkout on the path) and must serve the tools and the skill documents.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from nexla_mcp.documents import DOCUMENTS

REPO = Path(__file__).resolve().parents[2]
MCPB = REPO / ".cache" / "mcpb" / "node_modules" / ".bin" / "mcpb"

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed on this machine"),
]


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{' '.join(map(str, command))}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mcpb")
    bundle = root / "nexla-data-flows-operator.mcpb"
    made = _run(["make", "--no-print-directory", "mcpb", f"MCPB_OUT={bundle}"], cwd=REPO)
    assert "Manifest schema validation passes" in made.stdout
    assert bundle.is_file()
    _run([str(MCPB), "unpack", str(bundle), str(root / "unpacked")])
    return root / "unpacked"


def test_bundle_holds_the_server_and_the_skill_and_nothing_else(unpacked: Path) -> None:
    for name in ("manifest.json", "pyproject.toml", "setup.py", "server/nexla_mcp/__main__.py",
                 "scripts/nexla_ops/client/__init__.py", "sandbox/nexla_sandbox/app.py", "examples/orders_to_parquet.yaml",
                 *(doc.filename for doc in DOCUMENTS)):
        assert (unpacked / name).is_file(), name
    for name in ("tests", "reference", ".venv", ".cache", ".git", "benchmarks"):
        assert not (unpacked / name).exists(), name
    assert not list(unpacked.rglob("__pycache__"))
    _run([str(MCPB), "validate", str(unpacked / "manifest.json")])


async def test_unpacked_bundle_serves_tools_and_documents(unpacked: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEXLA_", "PYTHONPATH"))}
    env.update(PYTHONPATH=os.pathsep.join(str(unpacked / part) for part in ("server", "scripts", "sandbox")),
               NEXLA_AUDIT_LOG="", NEXLA_SKILL_DIR="")
    params = StdioServerParameters(command=sys.executable, args=["-m", "nexla_mcp", "--sandbox"], env=env,
                                   cwd=str(unpacked))
    async with Client(params) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert "apply_deployment" in tools
        for doc in DOCUMENTS:
            text = (await client.read_resource(doc.uri)).contents[0].text  # type: ignore[union-attr]
            assert text == (unpacked / doc.filename).read_text(encoding="utf-8")
