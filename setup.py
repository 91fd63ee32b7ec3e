"""Packages the three import roots and bundles the skill documents into ``nexla_mcp``.

Each root folder is named as it is imported (``scripts/nexla_ops``, ``server/nexla_mcp``,
``sandbox/nexla_sandbox``); the scripts folder stays ``scripts/`` because the skill bundle runs
its files by path, so it is installed as ``nexla_scripts`` for the console entry points.
The wheel carries the five skill documents and ``examples/`` under ``nexla_mcp/skill/`` so an
installed server serves them as resources and ``nexla-mcp skill install`` can assemble the skill
folder without a checkout (see ``server/nexla_mcp/skill_bundle.py``).
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
ROOTS = {"nexla_ops": "scripts/nexla_ops", "nexla_mcp": "server/nexla_mcp", "nexla_sandbox": "sandbox/nexla_sandbox"}
SKILL_DOCUMENTS = ("SKILL.md", "REFERENCE.md", "TRANSFORMS.md", "ACCESS_CONTROL.md", "EXAMPLES.md")


def _packages() -> list[str]:
    found = ["nexla_scripts"]
    for name, folder in ROOTS.items():
        base = ROOT / folder
        for init in sorted(base.rglob("__init__.py")):
            relative = init.parent.relative_to(base).parts
            found.append(".".join((name, *relative)))
    return found


class BuildWithSkill(build_py):
    """Copies the skill documents next to the built ``nexla_mcp`` package."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "nexla_mcp" / "skill"
        target.mkdir(parents=True, exist_ok=True)
        for name in SKILL_DOCUMENTS:
            shutil.copy2(ROOT / name, target / name)
        examples = target / "examples"
        if examples.exists():
            shutil.rmtree(examples)
        shutil.copytree(ROOT / "examples", examples)


setup(
    packages=_packages(),
    package_dir={"nexla_scripts": "scripts", **ROOTS},
    package_data={"nexla_sandbox": ["*.json"], "nexla_mcp": ["*.json", "ui/*"], "nexla_ops": ["connectors.json"]},
    cmdclass={"build_py": BuildWithSkill},
)
