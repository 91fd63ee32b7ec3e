"""The skill's documents by section, a table of contents, and a cookbook of complete specs.

A whole reference document is tens of kilobytes; a model usually needs one section. Every
heading (level 2 and below, outside code fences) is addressable as
``nexla://docs/<DOCUMENT>#<slug>`` where the slug is the heading's GitHub-style anchor (the same
anchors the documents link to, e.g. ``REFERENCE.md#deploy-spec``). A section runs to the next
heading of the same or a higher level. ``nexla://docs/index`` lists the sections of every
document with their sizes; ``nexla://docs/cookbook`` gathers every complete deployment spec the
documents and ``examples/`` hold, so a model can start from a whole, working spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.resources import FunctionResource

from .documents import DOCUMENTS, find_document, search_dirs

SECTION_TEMPLATE = "nexla://docs/{document}#{section}"
INDEX_URI = "nexla://docs/index"
COOKBOOK_URI = "nexla://docs/cookbook"

_HEADING = re.compile(r"^(#{2,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_HEREDOC = re.compile(r"cat > \S+ <<'?(\w+)'?\n(.*?)\n\1\n", re.S)
_FENCED = re.compile(r"```(?:yaml|yml|json)[^\n]*\n(.*?)```", re.S)


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    slug: str
    text: str


def slugify(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    plain = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", title).strip().lower()
    return re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")


def sections(text: str) -> list[Section]:
    """Every heading of level 2+ outside code fences, each with its text up to the next peer heading."""
    lines = text.splitlines(keepends=True)
    headings: list[tuple[int, int, str]] = []
    fenced = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line.rstrip("\n"))
        if match:
            headings.append((number, len(match.group(1)), match.group(2)))
    found: list[Section] = []
    seen: dict[str, int] = {}
    for index, (start, level, title) in enumerate(headings):
        end = next((line for line, peer, _ in headings[index + 1 :] if peer <= level), len(lines))
        slug = slugify(title)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.append(Section(level, title, f"{slug}-{count}" if count else slug, "".join(lines[start:end])))
    return found


def _document_text(document: str) -> str:
    names = [doc.filename for doc in DOCUMENTS]
    path = find_document(document) if document in names else None
    if path is None:
        raise ResourceError(f"no document {document!r}: use one of {', '.join(names)} (see {INDEX_URI})")
    return path.read_text(encoding="utf-8")


def read_section(document: str, section: str) -> str:
    """The text of one section; raises ResourceError naming the document's sections otherwise."""
    found = sections(_document_text(document))
    for item in found:
        if item.slug == section:
            return item.text
    top = ", ".join(item.slug for item in found if item.level == 2)
    raise ResourceError(f"{document} has no section {section!r}; its sections: {top} (see {INDEX_URI})")


def _size(text: str) -> str:
    size = len(text.encode())
    return f"{size / 1000:.1f} KB" if size >= 1000 else f"{size} B"


def table_of_contents() -> str:
    """Markdown: each document, then its level-2 sections as links with their sizes."""
    out = [
        "# Skill documents by section",
        "",
        f"Read one section with its URI ({SECTION_TEMPLATE}); deeper headings work the same way, "
        f"slugged like GitHub anchors. Whole documents: nexla://skill/<DOCUMENT>. "
        f"Complete specs to start from: {COOKBOOK_URI}.",
    ]
    for doc in DOCUMENTS:
        path = find_document(doc.filename)
        if path is None:
            continue
        text = path.read_text(encoding="utf-8")
        out += ["", f"## {doc.filename} ({_size(text)}): {doc.description}"]
        for item in sections(text):
            if item.level == 2:
                out.append(f"- [{item.title}](nexla://docs/{doc.filename}#{item.slug}) {_size(item.text)}")
    return "\n".join(out) + "\n"


def _is_spec(data: object) -> bool:
    return isinstance(data, dict) and {"name", "source", "destinations"} <= data.keys()


def _spec_blocks(text: str) -> list[tuple[str, str]]:
    """(section title, YAML/JSON text) for every block of ``text`` that is a complete spec."""
    import yaml

    found = []
    for item in sections(text):
        own = item.text
        for match in [*_HEREDOC.finditer(own), *_FENCED.finditer(own)]:
            body = match.group(match.lastindex or 1)
            try:
                data = yaml.safe_load(body)
            except yaml.YAMLError:
                continue
            if _is_spec(data):
                found.append((item.title, body.strip("\n")))
    return found


def cookbook() -> str:
    """Every complete deployment spec in ``examples/`` and the documents, once each, with where it is from."""
    # Imported on first read: yaml is not needed to start the server.
    import yaml

    entries: list[tuple[str, str]] = []
    examples = next((folder / "examples" for folder in search_dirs() if (folder / "examples").is_dir()), None)
    for example in sorted(examples.glob("*.y*ml")) if examples else []:
        text = example.read_text(encoding="utf-8")
        if _is_spec(yaml.safe_load(text)):
            entries.append((f"examples/{example.name}", text.strip("\n")))
    for doc in DOCUMENTS:
        path = find_document(doc.filename)
        if path is not None:
            entries += [(f"{doc.filename}: {title}", body) for title, body in _spec_blocks(path.read_text("utf-8"))]
    seen: set[str] = set()
    out = [
        "# Cookbook: complete deployment specs",
        "",
        "Each spec below is complete and matches nexla://deploy/spec-schema.json; change names, paths and "
        "ids to yours. Secrets are {from_env: VAR} references, never values. Then validate_deployment, "
        "plan_deployment, apply_deployment.",
    ]
    for origin, body in entries:
        key = re.sub(r"\s+", " ", body)
        if key in seen:
            continue
        seen.add(key)
        out += ["", f"## {origin}", "", "```yaml", body, "```"]
    return "\n".join(out) + "\n"


def register_sections(server: MCPServer) -> None:
    """The section template, the table of contents and the cookbook."""
    server.resource(
        SECTION_TEMPLATE, name="doc-section", title="One section of a skill document", mime_type="text/markdown",
        description=f"A section of SKILL.md, REFERENCE.md, TRANSFORMS.md, ACCESS_CONTROL.md or EXAMPLES.md by its "
        f"anchor, e.g. nexla://docs/REFERENCE.md#deploy-spec. Sections and sizes: {INDEX_URI}.",
    )(read_section)
    server.add_resource(FunctionResource(
        uri=INDEX_URI, name="docs-index", title="Skill documents: table of contents", mime_type="text/markdown",
        description="Every section of the skill documents with its URI and size: read only what you need.",
        fn=table_of_contents,
    ))
    server.add_resource(FunctionResource(
        uri=COOKBOOK_URI, name="cookbook", title="Cookbook of complete flow specs", mime_type="text/markdown",
        description="Complete, valid deployment specs to start from (S3 JSON to Parquet, fan-out into a project, ...).",
        fn=cookbook,
    ))

