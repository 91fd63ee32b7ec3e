"""Validation of the transform object into typed operations."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, Union

from .errors import ExpressionSyntaxError, TransformSpecError, TransformSpecErrors
from .limits import Limits
from .parser import parse_expression
from .syntax import Expression

SUPPORTED_VERSIONS = (1, 2)
CAST_TYPES = ("string", "integer", "number", "boolean", "timestamp", "date")


@dataclass(frozen=True)
class Flatten:
    index: int
    path: str
    alias: str | None
    name: str = "flatten"


@dataclass(frozen=True)
class Rename:
    index: int
    fields: dict[str, str]
    name: str = "rename"


@dataclass(frozen=True)
class Compute:
    index: int
    expression: Expression
    text: str
    target: str
    name: str = "compute"


@dataclass(frozen=True)
class Filter:
    index: int
    condition: Expression
    text: str
    name: str = "filter"


@dataclass(frozen=True)
class Typecast:
    index: int
    fields: dict[str, str]
    name: str = "typecast"


@dataclass(frozen=True)
class Select:
    index: int
    fields: list[str]
    name: str = "select"


@dataclass(frozen=True)
class Drop:
    index: int
    fields: list[str]
    name: str = "drop"


@dataclass(frozen=True)
class Default:
    index: int
    values: dict[str, Any]
    name: str = "default"


Operation = Union[Flatten, Rename, Compute, Filter, Typecast, Select, Drop, Default]

# operation name -> (required keys, optional keys); "description" is allowed everywhere.
_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "flatten": (("path",), ("alias",)),
    "rename": (("fields",), ()),
    "compute": (("expression", "as"), ()),
    "filter": (("condition",), ()),
    "typecast": (("fields",), ()),
    "select": (("fields",), ()),
    "drop": (("fields",), ()),
    "default": (("values",), ()),
}
_ALIASES = {"map": "rename"}


def validate_transform(spec: dict, *, limits: Limits | None = None) -> None:
    """Raise TransformSpecError (naming the operation index and key) unless ``spec`` is a valid transform.

    Checks the object shape, the version (1 or 2, default 1), every operation name and its keys,
    the parameter types, and parses every expression. With several mistakes the error is a
    TransformSpecErrors listing every one.
    """
    parse_transform(spec, limits=limits)


def parse_transform(spec: dict, *, limits: Limits | None = None) -> list[Operation]:
    """The typed operations of a valid transform object; raises TransformSpecError(s) otherwise."""
    operations, problems = check_transform(spec, limits=limits)
    if problems:
        raise TransformSpecErrors(problems)
    return operations


def check_transform(spec: Any, *, limits: Limits | None = None) -> tuple[list[Operation], list[TransformSpecError]]:
    """The operations that are valid and every mistake found (one per operation, plus the object's own)."""
    limits = limits or Limits()
    if not isinstance(spec, dict):
        return [], [TransformSpecError(
            f'transform must be an object like {{"version": 1, "operations": [...]}}, got {type(spec).__name__}'
        )]
    problems: list[TransformSpecError] = []
    unknown = sorted(set(spec) - {"version", "operations", "description"})
    if unknown:
        problems.append(TransformSpecError(
            f"transform has unknown key(s) {', '.join(map(repr, unknown))} (allowed: version, operations)",
            field=unknown[0],
        ))
    version = spec.get("version", 1)
    if isinstance(version, bool) or version not in SUPPORTED_VERSIONS:
        problems.append(TransformSpecError(f"transform version must be 1 or 2, got {version!r}", field="version"))
    raw_operations = spec.get("operations")
    if not isinstance(raw_operations, list):
        problems.append(TransformSpecError(
            "transform needs an 'operations' list, got "
            f"{type(raw_operations).__name__ if 'operations' in spec else 'nothing'}",
            field="operations",
        ))
        return [], problems
    operations: list[Operation] = []
    for index, raw in enumerate(raw_operations):
        try:
            operations.append(_operation(index, raw, limits))
        except TransformSpecError as error:
            problems.append(error)
    return operations, problems


def _expression_depth(tree: Expression) -> int:
    deepest, pending = 0, [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        for item in dataclasses.fields(node):
            value = getattr(node, item.name)
            for child in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(child):
                    pending.append((child, depth + 1))  # type: ignore[arg-type]
    return deepest


def _nesting(text: str) -> int:
    """The deepest parenthesis nesting of ``text`` outside string literals."""
    deepest = depth = 0
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    return deepest


def _operation(index: int, raw: Any, limits: Limits) -> Operation:
    if not isinstance(raw, dict):
        raise TransformSpecError(
            f"operations[{index}]: must be an object with an 'operation' key, got {type(raw).__name__}",
            operation_index=index,
        )
    name = raw.get("operation")
    if not isinstance(name, str) or _ALIASES.get(name, name) not in _KEYS:
        raise TransformSpecError(
            f"operations[{index}]: unknown operation {name!r} (supported: {', '.join(_KEYS)})",
            operation_index=index,
            field="operation",
        )
    name = _ALIASES.get(name, name)
    required, optional = _KEYS[name]

    def fail(message: str, key: str | None) -> TransformSpecError:
        return TransformSpecError(f"operations[{index}] ({name}): {message}", operation_index=index, field=key)

    # Unknown keys first: a misspelt key ("conditon") is then named, with the likely intended one.
    extra = sorted(set(raw) - {"operation", "description", *required, *optional})
    if extra:
        allowed = (*required, *optional)
        guess = get_close_matches(extra[0], allowed, n=1)
        did_you_mean = f"; did you mean {guess[0]!r}?" if guess else ""
        raise fail(f"unknown key {extra[0]!r}{did_you_mean} (allowed: {', '.join(allowed)})", extra[0])
    for key in required:
        if key not in raw:
            raise fail(f"missing required key '{key}'", key)

    def name_value(key: str, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise fail(f"{where} must be a non-empty field name, got {value!r}", key)
        return value

    def expression(key: str) -> tuple[Expression, str]:
        text = raw[key]
        if not isinstance(text, str):
            raise fail(f"'{key}' must be an expression string, got {type(text).__name__}", key)
        if len(text) > limits.max_literal_chars:
            raise fail(f"the {key} is {len(text)} characters, over the limit of {limits.max_literal_chars}", key)
        if _nesting(text) > limits.max_expression_depth:
            raise fail(f"the {key} nests parentheses deeper than the limit of {limits.max_expression_depth}", key)
        try:
            parsed = parse_expression(text)
            depth = _expression_depth(parsed)
        except ExpressionSyntaxError as error:
            raise fail(f"{error} in {key} {text[:200]!r}", key) from None
        except RecursionError:
            depth = limits.max_expression_depth + 1
        if depth > limits.max_expression_depth:
            raise fail(f"the {key} is nested {depth} levels deep, over the limit of {limits.max_expression_depth}",
                       key)
        return parsed, text

    def mapping(key: str) -> dict:
        value = raw[key]
        if not isinstance(value, dict) or not value:
            raise fail(f"'{key}' must be a non-empty object, got {value!r}", key)
        for field_name in value:
            name_value(key, field_name, f"every key of '{key}'")
        return value

    def name_list(key: str) -> list[str]:
        value = raw[key]
        if not isinstance(value, list) or not value:
            raise fail(f"'{key}' must be a non-empty list of field names, got {value!r}", key)
        return [name_value(key, item, f"'{key}[{i}]'") for i, item in enumerate(value)]

    if name == "flatten":
        alias = raw.get("alias")
        if alias is not None:
            name_value("alias", alias, "'alias'")
        return Flatten(index, name_value("path", raw["path"], "'path'"), alias)
    if name == "rename":
        fields = mapping("fields")
        targets: dict[str, str] = {}
        for source, target in fields.items():
            name_value("fields", target, f"the new name for {source!r}")
            if target in targets:
                raise fail(f"{source!r} and {targets[target]!r} are both renamed to {target!r}", "fields")
            targets[target] = source
        return Rename(index, dict(fields))
    if name == "compute":
        parsed, text = expression("expression")
        return Compute(index, parsed, text, name_value("as", raw["as"], "'as'"))
    if name == "filter":
        parsed, text = expression("condition")
        return Filter(index, parsed, text)
    if name == "typecast":
        fields = mapping("fields")
        for field_name, type_name in fields.items():
            if type_name not in CAST_TYPES:
                raise fail(
                    f"cannot cast {field_name!r} to {type_name!r} (types: {', '.join(CAST_TYPES)})", "fields"
                )
        return Typecast(index, dict(fields))
    if name == "select":
        return Select(index, name_list("fields"))
    if name == "drop":
        return Drop(index, name_list("fields"))
    values = dict(mapping("values"))
    for field_name, value in values.items():
        size = len(json.dumps(value, default=str))
        if size > limits.max_literal_chars:
            raise fail(f"the default for {field_name!r} is {size} characters, over the limit of "
                       f"{limits.max_literal_chars}", "values")
    return Default(index, values)
