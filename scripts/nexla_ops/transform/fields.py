"""Reading, writing and removing (possibly nested) fields of an Arrow table by dotted path."""

from __future__ import annotations

import pyarrow as pa
from .compute import pc

from .evaluate import resolve_path


def split(path: str) -> list[str]:
    return path.split(".")


def get_field(table: pa.Table, path: str) -> pa.Array | None:
    """The values at ``path`` (exact column name first, then nested struct fields), or None."""
    return resolve_path(table, split(path))


def _struct_prefix(table: pa.Table, path: str) -> tuple[str, list[str]] | None:
    """The longest column that is a struct prefix of ``path`` and the remaining segments."""
    segments = split(path)
    for cut in range(len(segments) - 1, 0, -1):
        name = ".".join(segments[:cut])
        if name in table.column_names and pa.types.is_struct(table.schema.field(name).type):
            return name, segments[cut:]
    return None


def _rebuild(struct: pa.Array, segments: list[str], child: pa.Array | None) -> pa.Array | None:
    """``struct`` with the field at ``segments`` replaced by ``child`` (removed when None)."""
    data_type = struct.type
    names = [data_type.field(i).name for i in range(data_type.num_fields)]
    children = [pc.struct_field(struct, [i]) for i in range(data_type.num_fields)]
    head = segments[0]
    if len(segments) > 1:
        if head not in names or not pa.types.is_struct(data_type.field(head).type):
            return None
        position = names.index(head)
        nested = _rebuild(children[position], segments[1:], child)
        if nested is None:
            return None
        children[position] = nested
    elif head in names:
        position = names.index(head)
        if child is None:
            del names[position], children[position]
        else:
            children[position] = child
    elif child is not None:
        names.append(head)
        children.append(child)
    else:
        return None
    mask = pc.is_null(struct)
    if not names:
        return pa.StructArray.from_arrays([], fields=[], mask=mask) if len(struct) else pa.array([], pa.struct([]))
    return pa.StructArray.from_arrays(children, names=names, mask=mask)


def _column(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def set_field(table: pa.Table, path: str, values: pa.Array) -> pa.Table:
    """``table`` with ``values`` at ``path``: an existing column in place, a field inside an
    existing struct, or else a new top-level column named ``path`` at the end."""
    if path in table.column_names:
        return table.set_column(table.column_names.index(path), path, values)
    found = _struct_prefix(table, path)
    if found is not None:
        name, rest = found
        rebuilt = _rebuild(_column(table, name), rest, values)
        if rebuilt is not None:
            return table.set_column(table.column_names.index(name), name, rebuilt)
    return table.append_column(path, values)


def remove_field(table: pa.Table, path: str) -> pa.Table:
    """``table`` without the field at ``path``; unchanged when there is none."""
    if path in table.column_names:
        return table.remove_column(table.column_names.index(path))
    found = _struct_prefix(table, path)
    if found is not None:
        name, rest = found
        rebuilt = _rebuild(_column(table, name), rest, None)
        if rebuilt is not None:
            return table.set_column(table.column_names.index(name), name, rebuilt)
    return table
