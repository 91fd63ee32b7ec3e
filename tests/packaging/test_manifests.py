"""The distribution manifests: valid JSON naming the same skill, server, package and version."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from nexla_mcp import __version__
from nexla_mcp.skill_bundle import SKILL_NAME

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _json(name: str) -> dict:
    return json.loads((REPO / name).read_text(encoding="utf-8"))


def test_versions_agree_everywhere() -> None:
    plugin, marketplace = _json(".claude-plugin/plugin.json"), _json(".claude-plugin/marketplace.json")
    versions = {
        "pyproject": PROJECT["version"], "nexla_mcp": __version__, "plugin": plugin["version"],
        "marketplace entry": marketplace["plugins"][0]["version"], "bundle": _json("manifest.json")["version"],
        "server.json": _json("server.json")["version"], "server.json package": _json("server.json")["packages"][0]["version"],
    }
    assert set(versions.values()) == {PROJECT["version"]}, versions


def test_plugin_bundles_the_skill_and_the_server() -> None:
    plugin = _json(".claude-plugin/plugin.json")
    assert plugin["name"] == SKILL_NAME
    for folder in plugin["skills"]:
        skill = (REPO / ".claude-plugin").parent / folder
        assert f"name: {SKILL_NAME}\n" in (skill / "SKILL.md").read_text()
    (server,) = plugin["mcpServers"].values()
    assert server["args"][-1] in PROJECT["scripts"] and "${CLAUDE_PLUGIN_ROOT}" in server["args"]
    assert server["env"]["NEXLA_SERVICE_KEY"] == "${NEXLA_SERVICE_KEY}"  # passed through, never written down


def test_marketplace_lists_the_plugin_from_this_repository() -> None:
    marketplace = _json(".claude-plugin/marketplace.json")
    (entry,) = marketplace["plugins"]
    assert entry["name"] == SKILL_NAME and entry["source"] == "./"
    assert {"name", "owner", "plugins"} <= marketplace.keys()


def test_bundle_keeps_the_key_as_a_sensitive_setting() -> None:
    manifest = _json("manifest.json")
    assert manifest["name"] == SKILL_NAME and manifest["server"]["type"] == "uv"
    assert (REPO / manifest["server"]["entry_point"]).is_file()
    assert manifest["server"]["mcp_config"]["args"][-1] in PROJECT["scripts"]
    env = manifest["server"]["mcp_config"]["env"]
    key = re.fullmatch(r"\$\{user_config\.(\w+)\}", env["NEXLA_SERVICE_KEY"])
    assert key is not None
    setting = manifest["user_config"][key.group(1)]
    assert setting["sensitive"] is True and setting["required"] is True
    for value in env.values():
        name = re.fullmatch(r"\$\{user_config\.(\w+)\}", value)
        assert name is not None and name.group(1) in manifest["user_config"], value


def test_registry_entry_names_the_pypi_package_and_the_readme_carries_its_marker() -> None:
    entry = _json("server.json")
    (package,) = entry["packages"]
    assert package["registryType"] == "pypi" and package["identifier"] == PROJECT["name"]
    assert package["transport"] == {"type": "stdio"}
    # uvx runs the command named like the package.
    assert PROJECT["name"] in PROJECT["scripts"] and package["runtimeHint"] == "uvx"
    assert len(entry["description"]) <= 100 and re.fullmatch(r"[\w.-]+/[\w.-]+", entry["name"])
    variables = {variable["name"]: variable for variable in package["environmentVariables"]}
    assert variables["NEXLA_SERVICE_KEY"]["isSecret"] is True
    flags = {argument["name"] for argument in package["packageArguments"]}
    help_text = (REPO / "server" / "nexla_mcp" / "__main__.py").read_text()
    assert all(f'"{flag}"' in help_text for flag in flags)
    assert f"mcp-name: {entry['name']}" in (REPO / PROJECT["readme"]).read_text()
