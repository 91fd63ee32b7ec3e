"""Lists the packages behind pyproject's package-dir mapping (find cannot follow renamed folders)."""

from pathlib import Path

from setuptools import setup

ROOTS = {"nexla_ops": "scripts/nexla_ops", "nexla_mcp": "server", "nexla_sandbox": "sandbox"}


def _packages() -> list[str]:
    found = ["nexla_scripts"]
    for name, folder in ROOTS.items():
        base = Path(folder)
        for init in sorted(base.rglob("__init__.py")):
            relative = init.parent.relative_to(base).parts
            found.append(".".join((name, *relative)))
    return found


setup(packages=_packages(), package_data={"nexla_sandbox": ["*.json"], "nexla_mcp": ["*.json", "*.md"]})
