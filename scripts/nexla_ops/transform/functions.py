"""The fixed function table of the expression language: names, arities and literal-only arguments.

The parser checks every call against this table, so an unknown function or a wrong argument count
is rejected before any data is read. Evaluation lives in ``evaluate.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FunctionSpec:
    """``literal_args`` maps an argument position to the literal kind it must be (``int``/``str``)."""

    name: str
    min_args: int
    max_args: int | None
    summary: str
    literal_args: dict[int, type] = field(default_factory=dict)


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in (
        FunctionSpec("lower", 1, 1, "lower case"),
        FunctionSpec("upper", 1, 1, "upper case"),
        FunctionSpec("trim", 1, 1, "strip leading and trailing whitespace"),
        FunctionSpec("length", 1, 1, "characters in a string, or elements in an array"),
        FunctionSpec("concat", 1, None, "join the arguments as strings; null arguments are skipped"),
        FunctionSpec(
            "substring", 2, 3, "substring(s, start, len): 1-based start, optional length", {1: int, 2: int}
        ),
        FunctionSpec("replace", 3, 3, "replace(s, old, new): every occurrence", {1: str, 2: str}),
        FunctionSpec("coalesce", 1, None, "the first non-null argument"),
        FunctionSpec("abs", 1, 1, "absolute value"),
        FunctionSpec("round", 1, 2, "round(x, n): n decimals (default 0), halves away from zero", {1: int}),
        FunctionSpec("to_string", 1, 1, "the value as a string"),
        FunctionSpec("to_number", 1, 1, "a string as a number (a record error when it is not one)"),
        FunctionSpec("starts_with", 2, 2, "starts_with(s, prefix)", {1: str}),
        FunctionSpec("ends_with", 2, 2, "ends_with(s, suffix)", {1: str}),
        FunctionSpec("contains", 2, 2, "contains(s, part)", {1: str}),
        FunctionSpec("if", 3, 3, "if(condition, then, else): else when the condition is false or null"),
    )
}
