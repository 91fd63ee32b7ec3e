"""Publish smaller JSON Schemas in ``tools/list`` without changing what they accept.

pydantic's schemas carry a lot that costs a model's context and tells it nothing: a ``title`` on
every property that repeats its name (``"flow_id"`` -> ``"Flow Id"``), ``default`` values on
result fields (a result always carries every field), ``anyOf: [{X}, {"type": "null"}]`` for every
optional value, and ``$defs`` entries used exactly once. The rewrites here only touch annotation
keywords or swap a construct for an equivalent one, so any instance valid against the original
schema is valid against the published one, and the reverse:

- both sides: ``title`` keywords dropped (property names and descriptions stay);
- results only: ``default`` dropped, nullable ``anyOf`` folded into ``"type": [T, "null"]``,
  definitions referenced once inlined at their single use, the description of an ``enum``
  dropped (its values say what it holds; one such enum repeated across tools cost a kilobyte), and
  type-level descriptions (class docstrings of the result, list items and ``$defs``) dropped, while
  every property keeps its own description.

Input schemas keep ``default`` (a model needs to know what it may omit) and ``anyOf`` (some clients
turn tool inputs into function declarations that do not accept a list of types).
"""

from __future__ import annotations

import copy
from typing import Any

_DEFS_PREFIX = "#/$defs/"
# Keywords whose value is a map from names to subschemas (the names are data, not keywords).
_ANNOTATIONS = {"title", "description", "default", "examples"}
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")


def _walk(schema: Any, visit: Any) -> Any:
    """Apply ``visit`` to every subschema, children first; returns the rewritten schema."""
    if isinstance(schema, list):
        return [_walk(item, visit) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _walk(sub, visit) for name, sub in value.items()}
        elif key in ("enum", "const", "default", "examples", "required"):
            out[key] = value
        else:
            out[key] = _walk(value, visit)
    return visit(out)


def _drop_titles(node: dict[str, Any]) -> dict[str, Any]:
    if isinstance(node.get("title"), str):
        node.pop("title")
    return node


def _drop_defaults(node: dict[str, Any]) -> dict[str, Any]:
    node.pop("default", None)
    return node


def _drop_enum_descriptions(node: dict[str, Any]) -> dict[str, Any]:
    if isinstance(node.get("enum"), list):
        node.pop("description", None)
    return node


def _fold_nullable(node: dict[str, Any]) -> dict[str, Any]:
    """``{"anyOf": [{"type": T, ...}, {"type": "null"}], ...}`` -> ``{"type": [T, "null"], ...}``.

    Only when the non-null branch has a plain string ``type`` and no key the outer schema also
    sets, so the merged keywords mean exactly what they meant inside the branch (type-specific
    keywords such as ``minimum`` or ``items`` do not apply to null).
    """
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2 or {"type": "null"} not in options:
        return node
    other = options[0] if options[1] == {"type": "null"} else options[1]
    if not isinstance(other, dict) or not isinstance(other.get("type"), str) or other["type"] == "null":
        return node
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    if set(rest) & set(other):
        return node
    return {**rest, **other, "type": [other["type"], "null"]}


def _count_refs(schema: Any, counts: dict[str, int]) -> None:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            name = ref.removeprefix(_DEFS_PREFIX)
            counts[name] = counts.get(name, 0) + 1
        for value in schema.values():
            _count_refs(value, counts)
    elif isinstance(schema, list):
        for item in schema:
            _count_refs(item, counts)


def _inline_single_use_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace each ``$ref`` to a definition used exactly once with the definition itself.

    An inlined definition is expanded the same way, so a chain of single-use definitions ends up
    nested at its one point of use. A definition on a reference cycle reachable from the root is
    referenced at least twice (from the root side and from the cycle), so it stays in ``$defs``.
    """
    defs = schema.get("$defs")
    if not defs:
        return schema
    counts: dict[str, int] = {}
    _count_refs(schema, counts)
    single = {name for name in defs if counts.get(name, 0) == 1 and not _refers_to(defs[name], name)}
    if not single:
        return schema

    def inline(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        name = ref.removeprefix(_DEFS_PREFIX) if isinstance(ref, str) else None
        if name not in single:
            return node
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        definition = _walk(defs[name], inline)
        if set(siblings) & set(definition) - _ANNOTATIONS:
            return {**siblings, "allOf": [definition]}
        # The use site's description is the more specific one.
        return {**definition, **siblings}

    body = _walk({key: value for key, value in schema.items() if key != "$defs"}, inline)
    remaining = {name: _walk(d, inline) for name, d in defs.items() if name not in single}
    return {**body, "$defs": remaining} if remaining else body


def _refers_to(schema: Any, name: str) -> bool:
    counts: dict[str, int] = {}
    _count_refs(schema, counts)
    return name in counts


def compact_input_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's input schema without ``title`` noise (see module doc)."""
    return _walk(copy.deepcopy(schema), _drop_titles)


def _drop_type_descriptions(schema: Any, *, is_property: bool = False) -> Any:
    """Result schemas keep what a field means (a property's description) but not a class docstring
    repeated wherever the type appears (the result itself, ``$defs``, list items, enum types)."""
    if isinstance(schema, list):
        return [_drop_type_descriptions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str) and not is_property:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _drop_type_descriptions(sub, is_property=key == "properties") for name, sub in value.items()}
        elif key in ("enum", "const", "default", "examples", "required"):
            out[key] = value
        else:
            out[key] = _drop_type_descriptions(value)
    return out


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A tool's output schema without titles, defaults, type-level descriptions, nullable ``anyOf`` or
    single-use ``$defs``."""

    def strip(node: dict[str, Any]) -> dict[str, Any]:
        return _drop_enum_descriptions(_drop_defaults(_drop_titles(node)))

    lean = _drop_type_descriptions(copy.deepcopy(schema))
    return _walk(_inline_single_use_defs(_walk(lean, strip)), _fold_nullable)
