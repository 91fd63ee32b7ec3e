"""The skill's documents as MCP resources, read from disk when a client asks.

Looked up, in order: ``$NEXLA_SKILL_DIR``, ``skill/`` inside the package (where the wheel
bundles them, see ``setup.py``), and the repository root when running from a checkout.
Only documents that exist are listed, so a partial install still serves what it has.
The JSON Schema of a deployment spec is served too, generated from the spec models.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import FileResource, FunctionResource

PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Document:
    filename: str
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"nexla://skill/{self.filename}"


DOCUMENTS = (
    Document("SKILL.md", "Nexla skill", "How to operate Nexla data flows: workflows, scripts, safety rules."),
    Document("REFERENCE.md", "Reference", "Configuration, exit codes, flow spec format, every script and tool."),
    Document("TRANSFORMS.md", "Transforms", "The transform spec: operations, expressions, examples."),
    Document("ACCESS_CONTROL.md", "Access control", "Roles, accessors (users, teams, orgs) and sharing rules."),
    Document("EXAMPLES.md", "Examples", "End-to-end examples: deploy, monitor, triage, rotate."),
)


def search_dirs() -> list[Path]:
    dirs = [Path(os.environ["NEXLA_SKILL_DIR"])] if os.environ.get("NEXLA_SKILL_DIR") else []
    return [*dirs, PACKAGE_DIR / "skill", PACKAGE_DIR.parents[1]]


def find_document(filename: str) -> Path | None:
    """The first existing copy of ``filename`` in :func:`search_dirs`, or ``None``."""
    for folder in search_dirs():
        candidate = folder / filename
        if candidate.is_file():
            return candidate
    return None


def register_documents(server: MCPServer) -> list[str]:
    """Add every document found as a resource; returns the URIs added."""
    added = []
    for doc in DOCUMENTS:
        path = find_document(doc.filename)
        if path is None:
            continue
        server.add_resource(
            FileResource(
                uri=doc.uri, name=doc.filename, title=doc.title, description=doc.description,
                mime_type="text/markdown", path=path,
            )
        )
        added.append(doc.uri)
    return added


SPEC_SCHEMA_URI = "nexla://deploy/spec-schema.json"


def spec_schema() -> dict[str, object]:
    """The spec's JSON Schema; the deploy code is imported only when a client reads it."""
    from nexla_ops.operations.deploy import spec_json_schema

    return spec_json_schema()


def register_spec_schema(server: MCPServer) -> None:
    """Serve the deployment spec's JSON Schema (what apply_deployment and friends accept)."""
    server.add_resource(
        FunctionResource(
            uri=SPEC_SCHEMA_URI, name="spec-schema.json", title="Flow deployment spec schema",
            description="JSON Schema of the flow spec taken by validate/plan/apply/destroy_deployment.",
            mime_type="application/json", fn=spec_schema,
        )
    )
