"""Output schema inference and drift detection."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


def infer_schema(table: pa.Table) -> dict:
    """A JSON-Schema-like description of ``table``: ``{"type": "object", "properties": {...}}``.

    Types are string, integer, number, boolean, object (with ``properties``), array (with
    ``items``) and null (a field that was null in every record). Timestamps and dates are strings
    with ``format`` ``date-time`` / ``date``. Flattened columns keep their dotted names.
    """
    return {"type": "object", "properties": {f.name: _field_schema(f.type) for f in table.schema}}


def _field_schema(data_type: pa.DataType) -> dict:
    if pa.types.is_struct(data_type):
        return {
            "type": "object",
            "properties": {data_type.field(i).name: _field_schema(data_type.field(i).type)
                           for i in range(data_type.num_fields)},
        }
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type) or pa.types.is_fixed_size_list(data_type):
        return {"type": "array", "items": _field_schema(data_type.value_type)}
    if pa.types.is_integer(data_type):
        return {"type": "integer"}
    if pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return {"type": "number"}
    if pa.types.is_boolean(data_type):
        return {"type": "boolean"}
    if pa.types.is_timestamp(data_type):
        return {"type": "string", "format": "date-time"}
    if pa.types.is_date(data_type):
        return {"type": "string", "format": "date"}
    if pa.types.is_null(data_type):
        return {"type": "null"}
    if pa.types.is_map(data_type):
        return {"type": "object"}
    return {"type": "string"}


@dataclass(frozen=True)
class SchemaDiff:
    """Dotted field paths added, removed, and retyped as ``(path, old_type, new_type)``."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    retyped: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.retyped)

    def summary(self) -> str:
        """One line for a drift log, e.g. ``added: a, b; retyped: qty integer -> string``."""
        parts = []
        if self.added:
            parts.append("added: " + ", ".join(self.added))
        if self.removed:
            parts.append("removed: " + ", ".join(self.removed))
        if self.retyped:
            parts.append("retyped: " + ", ".join(f"{p} {old} -> {new}" for p, old, new in self.retyped))
        return "; ".join(parts) or "no change"


def diff_schemas(old: dict | None, new: dict) -> SchemaDiff:
    """What changed from ``old`` to ``new`` (both as from ``infer_schema``); ``old=None`` adds everything.

    Nested object properties and array item properties are named with dots (``customer.email``,
    ``line_items.sku``). A field that was or becomes ``null`` (no values seen) is not reported as
    retyped, since a sparse field says nothing about its type.
    """
    before = _flatten(old or {"type": "object", "properties": {}})
    after = _flatten(new)
    added = [path for path in after if path not in before]
    removed = [path for path in before if path not in after]
    retyped = [
        (path, before[path], after[path])
        for path in after
        if path in before and before[path] != after[path] and "null" not in (before[path], after[path])
    ]
    return SchemaDiff(added=added, removed=removed, retyped=retyped)


def _label(schema: dict) -> str:
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = "|".join(str(k) for k in kind)
    return f"{kind}({schema['format']})" if schema.get("format") else str(kind)


def _flatten(schema: dict, prefix: str = "") -> dict[str, str]:
    """Every dotted path in ``schema`` mapped to its type label."""
    paths: dict[str, str] = {}
    for name, child in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if not isinstance(child, dict):
            continue
        paths[path] = _label(child)
        if child.get("type") == "object":
            paths.update(_flatten(child, path + "."))
        items = child.get("items")
        if child.get("type") == "array" and isinstance(items, dict):
            paths[path] = f"array<{_label(items)}>"
            if items.get("type") == "object":
                paths.update(_flatten(items, path + "."))
    return paths
