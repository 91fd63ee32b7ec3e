"""The wheel, built from a clean clone of the committed repository and installed in a fresh venv.

What a user gets from ``pipx install`` / ``uvx``: console scripts that start, a server that serves
the five skill documents as resources without a checkout, and ``nexla-mcp skill install``.
One build per test run (module fixture, one xdist worker with ``--dist loadfile``); about a minute,
most of it pip installing the pinned dependencies from its cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from skills_ref import validate

from nexla_mcp.documents import DOCUMENTS
from nexla_mcp.skill_bundle import SKILL_NAME
from tests.helpers.mcp import text_of

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging


@dataclass(frozen=True)
class Installed:
    bin: Path
    env: dict[str, str]


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("wheel")
    # A clone holds only what is committed: a file the wheel needs but git does not track fails here.
    _run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(root / "clone")])
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(root / "dist"), str(root / "clone")])
    wheels = list((root / "dist").glob("nexla_data_flows_operator-*.whl"))
    assert len(wheels) == 1, wheels
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(root / "venv")
    bin_dir = root / "venv" / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "-c", str(REPO / "constraints.txt"),
          str(wheels[0])])
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEXLA_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(root / "home"), NEXLA_AUDIT_LOG="", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    (root / "home").mkdir()
    yield Installed(bin=bin_dir, env=env)


def test_the_installed_package_does_not_come_from_the_checkout(installed: Installed) -> None:
    done = _run([str(installed.bin / "python"), "-c", "import nexla_mcp, nexla_ops; print(nexla_mcp.__file__)"],
                env=installed.env, cwd=installed.bin)
    assert "site-packages" in done.stdout and str(REPO) not in done.stdout


def test_console_scripts_start(installed: Installed) -> None:
    for script in ("nexla-mcp", "nexla-sandbox", "nexla-deploy", "nexla-health", "nexla-validate-transform"):
        done = _run([str(installed.bin / script), "--help"], env=installed.env)
        assert "usage:" in done.stdout, script


async def test_sandbox_server_lists_tools_and_serves_the_skill_documents(installed: Installed) -> None:
    params = StdioServerParameters(command=str(installed.bin / "nexla-mcp"), args=["--sandbox"], env=installed.env,
                                   cwd=str(installed.bin))
    async with Client(params) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert {"quickstart", "apply_deployment", "check_health"} <= tools
        resources = {str(resource.uri) for resource in (await client.list_resources()).resources}
        assert {"ui://nexla/fleet-health.html", "nexla://docs/index", "nexla://docs/cookbook"} <= resources
        section = (await client.read_resource("nexla://docs/REFERENCE.md#deploy-spec")).contents[0]
        assert section.text.startswith("## Deploy spec")  # type: ignore[union-attr]
        for doc in DOCUMENTS:
            assert doc.uri in resources
            text = (await client.read_resource(doc.uri)).contents[0].text  # type: ignore[union-attr]
            assert text == (REPO / doc.filename).read_text(encoding="utf-8"), doc.filename
        result = await client.call_tool("quickstart", {})
        assert not result.is_error, text_of(result)


def test_skill_install_writes_a_valid_skill_that_runs(installed: Installed, tmp_path: Path) -> None:
    done = _run([str(installed.bin / "nexla-mcp"), "skill", "install", "--target", str(tmp_path)], env=installed.env)
    folder = Path(done.stdout.strip())
    assert folder == tmp_path / SKILL_NAME
    assert validate(folder) == []
    for doc in DOCUMENTS:
        assert (folder / doc.filename).read_bytes() == (REPO / doc.filename).read_bytes()
    assert (folder / "examples" / "orders_to_parquet.yaml").is_file()
    assert not list(folder.rglob("__pycache__"))
    script = _run([str(installed.bin / "python"), "scripts/validate_transform.py", "--help"], cwd=folder,
                  env=installed.env)
    assert "examples:" in script.stdout


def test_skill_install_defaults_to_claude_code_and_takes_other_agents(installed: Installed) -> None:
    home = Path(installed.env["HOME"])
    _run([str(installed.bin / "nexla-mcp"), "skill", "install"], env=installed.env)
    assert (home / ".claude" / "skills" / SKILL_NAME / "SKILL.md").is_file()
    _run([str(installed.bin / "nexla-mcp"), "skill", "install", "--agent", "codex"], env=installed.env)
    assert (home / ".agents" / "skills" / SKILL_NAME / "scripts" / "nexla_ops" / "client").is_dir()
