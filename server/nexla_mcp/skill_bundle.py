"""The installable skill folder, assembled from a checkout or from the installed wheel.

The folder holds SKILL.md, the reference documents, ``scripts/`` (the command-line scripts with
the shared ``nexla_ops`` library inside, so ``python scripts/NAME.py`` runs from the folder) and
``examples/``. In a checkout every part is read from the repository; in an installed wheel the
documents and examples come from ``nexla_mcp/skill/`` (bundled by ``setup.py``) and the scripts
from the installed ``nexla_scripts`` and ``nexla_ops`` packages, so ``nexla-mcp skill install``
works without a checkout.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .documents import DOCUMENTS as SERVED_DOCUMENTS
from .documents import find_document, search_dirs

SKILL_NAME = "nexla-data-flows-operator"
DOCUMENTS = tuple(doc.filename for doc in SERVED_DOCUMENTS)
_IGNORED = ("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")

# Personal skills folders of the agents that read Agent Skills (each then holds <name>/SKILL.md).
AGENT_SKILL_DIRS: dict[str, str] = {
    "claude": "~/.claude/skills",
    "codex": "~/.agents/skills",
    "copilot": "~/.copilot/skills",
    "gemini": "~/.gemini/skills",
    "opencode": "~/.config/opencode/skills",
}


class SkillInstallError(RuntimeError):
    """The skill cannot be assembled or installed where asked; nothing was written."""


@dataclass(frozen=True)
class SkillSources:
    """Where each part of the skill folder is read from."""

    documents: dict[str, Path]
    examples: Path
    scripts: Path
    library: Path


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_sources() -> SkillSources:
    """The parts of the skill as found here; raises :class:`SkillInstallError` naming what is missing."""
    documents = {name: path for name in DOCUMENTS if (path := find_document(name)) is not None}
    examples = next((folder / "examples" for folder in search_dirs() if (folder / "examples").is_dir()), None)
    scripts = _package_dir("nexla_scripts")
    library = _package_dir("nexla_ops")
    missing = [name for name in DOCUMENTS if name not in documents]
    if examples is None:
        missing.append("examples/")
    if scripts is None:
        missing.append("scripts/ (package nexla_scripts)")
    if library is None:
        missing.append("nexla_ops")
    if missing or examples is None or scripts is None or library is None:
        raise SkillInstallError(
            "the skill is incomplete here, missing: " + ", ".join(missing)
            + " (reinstall nexla-data-flows-operator, or run from a checkout)"
        )
    return SkillSources(documents=documents, examples=examples, scripts=scripts, library=library)


def build_skill_dir(dest: Path, sources: SkillSources | None = None) -> Path:
    """Write ``dest/nexla-data-flows-operator/`` (replacing an older copy) and return its path."""
    sources = sources or find_sources()
    target = dest / SKILL_NAME
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, path in sources.documents.items():
        shutil.copy2(path, target / name)
    shutil.copytree(sources.examples, target / "examples", ignore=shutil.ignore_patterns(*_IGNORED))
    # In a checkout the library already sits inside scripts/; installed, it is a sibling package.
    shutil.copytree(sources.scripts, target / "scripts", ignore=shutil.ignore_patterns(*_IGNORED, "nexla_ops"))
    shutil.copytree(sources.library, target / "scripts" / "nexla_ops", ignore=shutil.ignore_patterns(*_IGNORED))
    return target


def build_archive(dest: Path) -> Path:
    """Build the folder and zip it as ``<dest>/nexla-data-flows-operator.skill``."""
    folder = build_skill_dir(dest)
    archive = dest / f"{SKILL_NAME}.skill"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(dest))
    return archive


def skills_dir_for(agent: str) -> Path:
    """The personal skills folder of ``agent`` (one of :data:`AGENT_SKILL_DIRS`)."""
    try:
        return Path(os.path.expanduser(AGENT_SKILL_DIRS[agent]))
    except KeyError:
        raise SkillInstallError(
            f"unknown agent {agent!r}: use one of {', '.join(AGENT_SKILL_DIRS)} or --target DIR"
        ) from None


def install_skill(*, agent: str = "claude", target: Path | None = None) -> Path:
    """Copy the skill into ``target`` (a skills folder) or the agent's; returns the skill's folder.

    An existing copy of this skill is replaced; any other non-empty folder of the same name is
    left alone and reported, so an install never overwrites something it did not write.
    """
    skills_dir = target.expanduser() if target is not None else skills_dir_for(agent)
    existing = skills_dir / SKILL_NAME
    if existing.exists() and any(existing.iterdir()) and not (existing / "SKILL.md").is_file():
        raise SkillInstallError(f"{existing} exists and is not this skill; move it away or choose --target")
    sources = find_sources()
    skills_dir.mkdir(parents=True, exist_ok=True)
    return build_skill_dir(skills_dir, sources)
