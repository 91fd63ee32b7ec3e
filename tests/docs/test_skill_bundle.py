"""The skill folder, as installed, is a valid Agent Skill and every file its documents name exists."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from skills_ref import validate

from tests.docs.recipes import REPO

sys.path.insert(0, str(REPO / "tools"))
from build_skill import DOCUMENTS, SKILL_NAME, build_archive  # noqa: E402

_NAMED_FILE = re.compile(r"(?<![\w/.-])((?:scripts|examples)/[\w./-]+\.(?:py|ya?ml|json|ndjson|csv)|[A-Z_]+\.md)\b")


def _frontmatter(text: str) -> dict:
    assert text.startswith("---\n"), "SKILL.md must open with YAML frontmatter"
    return yaml.safe_load(text.split("---\n", 2)[1])


def test_installed_folder_validates_with_skills_ref(tmp_path: Path) -> None:
    archive = build_archive(tmp_path)
    folder = tmp_path / SKILL_NAME
    assert folder.is_dir() and archive.is_file()
    assert validate(folder) == []
    with zipfile.ZipFile(archive) as bundle:
        names = set(bundle.namelist())
    assert f"{SKILL_NAME}/SKILL.md" in names
    assert f"{SKILL_NAME}/scripts/nexla_ops/client/__init__.py" in names


def test_frontmatter_uses_only_spec_keys_and_limits() -> None:
    text = (REPO / "SKILL.md").read_text()
    meta = _frontmatter(text)
    assert set(meta) <= {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
    assert meta["name"] == SKILL_NAME
    assert 0 < len(meta["description"]) <= 1024
    assert "<" not in meta["description"] and ">" not in meta["description"]
    assert len(text.splitlines()) < 500


def test_every_file_the_documents_name_exists() -> None:
    missing = []
    for document in (*DOCUMENTS, "README.md"):
        for name in sorted(set(_NAMED_FILE.findall((REPO / document).read_text()))):
            if not (REPO / name).exists():
                missing.append(f"{document} names {name}")
    assert missing == []


def test_every_script_runs_from_the_installed_folder(tmp_path: Path) -> None:
    """A script runs from the bundle folder with only the dependencies installed (no repo on the path)."""
    build_archive(tmp_path)
    folder = tmp_path / SKILL_NAME
    scripts = sorted(p for p in (folder / "scripts").glob("*.py") if p.name != "__init__.py")
    assert len(scripts) >= 10
    for script in scripts:
        done = subprocess.run(
            [sys.executable, str(script), "--help"], cwd=folder, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"{script.name}: {done.stderr[-1500:]}"
        assert "examples:" in done.stdout
