"""Describe a connector before deploying it: roles, credential fields (which are secret), config keys, formats.

The facts come from ``connectors.json``, shipped with the package and generated from Nexla's
OpenAPI by ``tools/gen_connectors.py`` (which says what the OpenAPI gives and what it does not).
Nothing here calls the API, so it works before any credential or source exists.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, Field

SECRET_HINT = (
    "Never write a secret field's value in a spec or a tool call: give it as {from_env: VAR}, "
    "{from_keyring: NAME} or {from_dotenv: {file, key}}."
)


class ConnectorField(BaseModel):
    name: str
    secret: bool
    required: bool


class ConnectorDescription(BaseModel):
    """One connector, or (no code given) codes by category."""

    connector: str | None = None
    category: str | None = None
    roles: list[str] = Field(default_factory=list)
    fields_known: bool = False
    credential_fields: list[ConnectorField] = Field(default_factory=list)
    source_config: list[str] = Field(default_factory=list)
    sink_config: list[str] = Field(default_factory=list)
    formats: dict[str, list[str]] = Field(default_factory=dict)
    probe: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    connectors: dict[str, list[str]] = Field(default_factory=dict)


@cache
def catalogue() -> dict[str, Any]:
    """The packaged catalogue (read once)."""
    text = resources.files("nexla_ops").joinpath("connectors.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def connector_codes() -> list[str]:
    return sorted(catalogue()["connectors"])


def _unknown(code: str) -> ValueError:
    close = difflib.get_close_matches(code, connector_codes(), n=3, cutoff=0.5)
    also = f" Did you mean {', '.join(close)}?" if close else " Call without a connector to list every code."
    return ValueError(f"connector: {code!r} is not a Nexla connector code.{also}")


def describe_connector(connector: str | None = None, category: str | None = None) -> ConnectorDescription:
    """Describe ``connector`` (a code such as ``s3``); without one, list the codes (of ``category``)."""
    data = catalogue()
    if connector is None:
        grouped: dict[str, list[str]] = {}
        for code, entry in sorted(data["connectors"].items()):
            if category is None or entry["category"] == category:
                grouped.setdefault(entry["category"], []).append(code)
        if not grouped:
            known = sorted({entry["category"] for entry in data["connectors"].values()})
            raise ValueError(f"category: {category!r} has no connectors; use one of {', '.join(known)}")
        return ConnectorDescription(connectors=grouped)
    code = connector.strip().lower()
    entry = data["connectors"].get(code)
    if entry is None:
        raise _unknown(connector)
    kind = entry["category"]
    probe: dict[str, Any] = {"tree": entry["probe_tree"]}
    bodies = data["probe_bodies"]
    if entry["probe_tree"]:
        probe["tree_body"] = bodies["tree"][1] if kind == "database" else bodies["tree"][0]
    probe["sample_body"] = bodies["sample"][0]
    notes = [entry["note"]] if entry.get("note") else []
    if not entry["fields_known"]:
        notes.append("Nexla does not publish this connector's credential fields; copy them from the Nexla UI.")
    notes.append(SECRET_HINT)
    return ConnectorDescription(
        connector=code,
        category=kind,
        roles=entry["roles"],
        fields_known=entry["fields_known"],
        credential_fields=[ConnectorField(**field) for field in entry.get("credential_fields", [])],
        source_config=data["source_config"].get(kind, []) if "source" in entry["roles"] else [],
        sink_config=data["sink_config"].get(kind, []) if "sink" in entry["roles"] else [],
        formats=data["file_formats"] if kind == "file" else {},
        probe=probe,
        note=" ".join(notes),
    )


def secret_fields(connector: str) -> set[str]:
    """Names of the fields of ``connector`` the catalogue marks secret (empty when unknown)."""
    entry = catalogue()["connectors"].get(connector.strip().lower()) or {}
    return {field["name"] for field in entry.get("credential_fields", []) if field["secret"]}


__all__ = ["ConnectorDescription", "ConnectorField", "catalogue", "connector_codes", "describe_connector", "secret_fields"]
