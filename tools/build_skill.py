"""Assemble the installable skill folder and its ``.skill`` archive.

``python tools/build_skill.py [DEST]`` writes ``DEST/nexla-data-flows-operator/`` (SKILL.md, the
reference files, ``scripts/`` with the shared library, and ``examples/``) and
``DEST/nexla-data-flows-operator.skill`` (a zip of that folder). DEST defaults to ``dist``.
The assembly lives in ``nexla_mcp.skill_bundle`` so an installed wheel can do the same with
``nexla-mcp skill install``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "server"), str(REPO / "scripts")]

from nexla_mcp.skill_bundle import DOCUMENTS, SKILL_NAME, build_archive, build_skill_dir  # noqa: E402

__all__ = ["DOCUMENTS", "SKILL_NAME", "build_archive", "build_skill_dir"]


def main(argv: list[str]) -> int:
    dest = Path(argv[0]) if argv else REPO / "dist"
    archive = build_archive(dest)
    print(archive)
    print(f"install: nexla-mcp skill install (or copy {dest / SKILL_NAME} into ~/.claude/skills/)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
