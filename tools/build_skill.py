"""Assemble the installable skill folder and its ``.skill`` archive.

``python tools/build_skill.py [DEST]`` writes ``DEST/nexla-data-flows-operator/`` (SKILL.md, the
reference files, ``scripts/`` with the shared library, and ``examples/``) and
``DEST/nexla-data-flows-operator.skill`` (a zip of that folder). DEST defaults to ``dist``.
Copy the folder into an agent's skills directory, e.g. ``~/.claude/skills/``.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

SKILL_NAME = "nexla-data-flows-operator"
REPO = Path(__file__).resolve().parent.parent
DOCUMENTS = ("SKILL.md", "REFERENCE.md", "TRANSFORMS.md", "ACCESS_CONTROL.md", "EXAMPLES.md")
FOLDERS = ("scripts", "examples")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")


def build_skill_dir(dest: Path) -> Path:
    """Write the skill folder under ``dest`` (replacing an older one) and return its path."""
    target = dest / SKILL_NAME
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in DOCUMENTS:
        shutil.copy2(REPO / name, target / name)
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, target / folder, ignore=_IGNORED)
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


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else REPO / "dist"
    archive = build_archive(dest)
    print(archive)
    print(f"install: copy {dest / SKILL_NAME} into your agent's skills folder (e.g. ~/.claude/skills/)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
