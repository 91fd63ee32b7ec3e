"""From the authoring operations to the official Jolt transform real Nexla runs.

Each authoring operation becomes the official construct that does the same to a record, when one
exists (the table in TRANSFORMS.md, "What is sent to Nexla"). When one does not, ``to_official``
raises NoOfficialEquivalent listing every such operation, so nothing is sent that real Nexla would
misread.
"""

from __future__ import annotations

from typing import Any

from .errors import TransformSpecError, TransformSpecErrors
from .fields import split
from .limits import Limits
from .official import OfficialTransform, check_official, official_form
from .spec import Compute, Default, Drop, Filter, Flatten, Operation, Rename, Select, Typecast, check_transform

# Authoring cast type -> the Jolt modify function that converts a value the same way.
CAST_FUNCTIONS = {"integer": "=toInteger", "number": "=toDouble", "string": "=toString", "boolean": "=toBoolean"}


class NoOfficialEquivalent(TransformSpecErrors):
    """Authoring operations with no exact official construct; ``errors`` names each (index, kind, why)."""


def to_official(spec: Any, *, limits: Limits | None = None) -> OfficialTransform:
    """The official transform to send for ``spec``.

    ``spec`` in an official form (object with ``transforms``, bare Jolt list, ``{code, code_type}``)
    is checked and returned as it is; in the authoring form each operation is converted. Raises
    TransformSpecErrors for an invalid spec (every mistake listed) and NoOfficialEquivalent for
    valid authoring operations that have no exact official construct (every one listed).
    """
    limits = limits or Limits()
    form = official_form(spec)
    if form is not None:
        problems = check_official(form, limits)[1]
        if problems:
            raise TransformSpecErrors(problems)
        return form
    operations, problems = check_transform(spec, limits=limits)
    if problems:
        raise TransformSpecErrors(problems)
    transforms: list[dict[str, Any]] = []
    missing: list[TransformSpecError] = []
    for op in operations:
        try:
            transforms += convert_operation(op)
        except TransformSpecError as error:
            missing.append(error)
    if missing:
        raise NoOfficialEquivalent(missing)
    return OfficialTransform(transforms=transforms)


def _nested(path: str, leaf: Any) -> dict[str, Any]:
    """``{"a": {"b": leaf}}`` for ``a.b``."""
    node: Any = leaf
    for segment in reversed(split(path)):
        node = {segment: node}
    return node


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _no_equivalent(op: Operation, why: str) -> TransformSpecError:
    return TransformSpecError(f"operations[{op.index}] ({op.name}): no official Nexla equivalent: {why}",
                              operation_index=op.index, field=op.name)


def _flat_target(op: Operation, name: str) -> None:
    if len(split(name)) > 1:
        raise _no_equivalent(op, f"the output name {name!r} holds a dot, which Jolt would read as a nested path")


def convert_operation(op: Operation) -> list[dict[str, Any]]:
    """The official operations doing what ``op`` does; TransformSpecError when there are none."""
    if isinstance(op, Rename):
        removed = [target for target in op.fields.values() if target not in op.fields]
        steps = [{"operation": "remove", "spec": _merge({}, {t: "" for t in removed})}] if removed else []
        shift: dict[str, Any] = {"*": "&"}
        for source, target in op.fields.items():
            _flat_target(op, target)
            segments = split(source)
            _merge(shift, _nested(source, target))
            for depth in range(1, len(segments)):
                # Keep the siblings of a nested field that moves out of its parent.
                parent = ".".join(segments[:depth])
                _merge(shift, _nested(parent, {"*": f"{parent}.&"}))
        return steps + [{"operation": "shift", "spec": shift}]
    if isinstance(op, Select):
        spec: dict[str, Any] = {}
        for name in op.fields:
            _flat_target(op, name)
            _merge(spec, {name: name})
        return [{"operation": "shift", "spec": spec}]
    if isinstance(op, Drop):
        spec = {}
        for name in op.fields:
            _merge(spec, _nested(name, ""))
        return [{"operation": "remove", "spec": spec}]
    if isinstance(op, Default):
        spec = {}
        for name, value in op.values.items():
            _merge(spec, _nested(name, value))
        return [{"operation": "default", "spec": spec}]
    if isinstance(op, Typecast):
        spec = {}
        for name, type_name in op.fields.items():
            function = CAST_FUNCTIONS.get(type_name)
            if function is None:
                raise _no_equivalent(op, f"Jolt has no cast to {type_name} (casts: {', '.join(CAST_FUNCTIONS)})")
            _merge(spec, _nested(name, function))
        return [{"operation": "modify-overwrite-beta", "spec": spec}]
    if isinstance(op, Compute):
        raise _no_equivalent(op, f"the expression {op.text!r} is this product's language; write it as a "
                                 "modify-overwrite-beta function or a nexla.custom script")
    if isinstance(op, Filter):
        raise _no_equivalent(op, "Jolt cannot drop whole records; filter in a nexla.custom script")
    if isinstance(op, Flatten):
        raise _no_equivalent(op, "Jolt cannot turn one record into several; flatten in a nexla.custom script")
    raise _no_equivalent(op, "unknown operation")
