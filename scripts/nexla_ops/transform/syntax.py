"""Expression syntax tree produced by the parser; ``column`` is the 1-based source position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Literal:
    """A number, string, boolean or null literal."""

    value: object
    column: int


@dataclass(frozen=True)
class Field:
    """A field reference; ``path`` holds the dot-separated segments (``customer.email``)."""

    path: tuple[str, ...]
    column: int

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Unary:
    """``-x`` (op ``neg``) or ``not x`` (op ``not``)."""

    op: str
    operand: Expression
    column: int


@dataclass(frozen=True)
class Binary:
    """A binary operator: ``or and = != < <= > >= + - * / % ||`` (``==`` is ``=``, ``<>`` is ``!=``)."""

    op: str
    left: Expression
    right: Expression
    column: int


@dataclass(frozen=True)
class InList:
    """``operand [not] in (item, ...)``."""

    operand: Expression
    items: tuple[Expression, ...]
    negated: bool
    column: int


@dataclass(frozen=True)
class IsNull:
    """``operand is [not] null``."""

    operand: Expression
    negated: bool
    column: int


@dataclass(frozen=True)
class Call:
    """A call of a function from the fixed function table; ``name`` is lower case."""

    name: str
    args: tuple[Expression, ...]
    column: int


Expression = Union[Literal, Field, Unary, Binary, InList, IsNull, Call]


def render(node: Expression, *, top: bool = True) -> str:
    """Canonical text of ``node``; inner binary operations are parenthesised so precedence is explicit."""
    if top and isinstance(node, Binary):
        return f"{render(node.left, top=False)} {node.op} {render(node.right, top=False)}"
    if isinstance(node, Literal):
        if node.value is None:
            return "null"
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, str):
            return "'" + node.value.replace("'", "''") + "'"
        return repr(node.value)
    if isinstance(node, Field):
        return ".".join(s if s.isidentifier() else "`" + s.replace("`", "``") + "`" for s in node.path)
    if isinstance(node, Unary):
        return f"-{render(node.operand, top=False)}" if node.op == "neg" else f"not {render(node.operand, top=False)}"
    if isinstance(node, Binary):
        return f"({render(node.left, top=False)} {node.op} {render(node.right, top=False)})"
    if isinstance(node, InList):
        items = ", ".join(render(item) for item in node.items)
        return f"{render(node.operand, top=False)} {'not in' if node.negated else 'in'} ({items})"
    if isinstance(node, IsNull):
        return f"{render(node.operand, top=False)} is {'not null' if node.negated else 'null'}"
    return f"{node.name}({', '.join(render(arg) for arg in node.args)})"


def fields_of(node: Expression) -> set[str]:
    """Every field name ``node`` references."""
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Unary):
        return fields_of(node.operand)
    if isinstance(node, Binary):
        return fields_of(node.left) | fields_of(node.right)
    if isinstance(node, InList):
        return fields_of(node.operand).union(*(fields_of(item) for item in node.items))
    if isinstance(node, IsNull):
        return fields_of(node.operand)
    if isinstance(node, Call):
        return set().union(*(fields_of(arg) for arg in node.args))
    return set()
