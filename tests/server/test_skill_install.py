"""``nexla-mcp skill install`` from a checkout: where it writes, what it refuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from skills_ref import validate

from nexla_mcp.skill_bundle import SKILL_NAME


def _skill(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nexla_mcp", "skill", *args], capture_output=True, text=True,
                          timeout=60, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})


def test_install_into_a_target_replaces_an_older_copy(tmp_path: Path) -> None:
    stale = tmp_path / "skills" / SKILL_NAME / "stale.md"
    stale.parent.mkdir(parents=True)
    (stale.parent / "SKILL.md").write_text("old\n")
    stale.write_text("old\n")
    done = _skill("install", "--target", str(tmp_path / "skills"), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "skills" / SKILL_NAME)
    assert not stale.exists() and validate(stale.parent) == []


def test_install_never_overwrites_a_folder_it_did_not_write(tmp_path: Path) -> None:
    foreign = tmp_path / ".opencode-skills" / SKILL_NAME / "notes.txt"
    foreign.parent.mkdir(parents=True)
    foreign.write_text("mine\n")
    done = _skill("install", "--target", str(foreign.parent.parent), home=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "is not this skill" in done.stderr and foreign.read_text() == "mine\n"


def test_agent_flag_picks_the_agents_folder_and_rejects_unknown_agents(tmp_path: Path) -> None:
    assert _skill("install", "--agent", "gemini", home=tmp_path).returncode == 0
    assert (tmp_path / ".gemini" / "skills" / SKILL_NAME / "SKILL.md").is_file()
    done = _skill("install", "--agent", "nobody", home=tmp_path)
    assert done.returncode == 2 and "invalid choice" in done.stderr
