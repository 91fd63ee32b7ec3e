"""Errors raised for invalid transform specs and expressions."""

from __future__ import annotations


class TransformSpecError(ValueError):
    """A transform spec or expression is invalid; raised before any record is touched.

    ``operation_index`` is the position in ``operations`` (``None`` for problems with the transform
    object itself or for a bare expression), ``field`` is the key of the operation that is wrong
    (``condition``, ``fields``...). ``str(error)`` is the whole actionable message, for example
    ``operations[3] (filter): unexpected token ')' at column 14 in condition "a = )"``.
    """

    def __init__(self, message: str, *, operation_index: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation_index = operation_index
        self.field = field


class ExpressionSyntaxError(TransformSpecError):
    """An expression does not parse; ``column`` is the 1-based position of the problem."""

    def __init__(self, reason: str, column: int) -> None:
        super().__init__(f"{reason} at column {column}")
        self.reason = reason
        self.column = column


class TransformSpecErrors(TransformSpecError):
    """Several static mistakes found in one pass; ``errors`` holds each (the first one's index and field
    are this error's), ``str(error)`` lists them all, one per line."""

    def __init__(self, errors: list[TransformSpecError]) -> None:
        first = errors[0]
        message = first.message if len(errors) == 1 else (
            f"{len(errors)} problems:\n" + "\n".join(f"- {error.message}" for error in errors))
        super().__init__(message, operation_index=first.operation_index, field=first.field)
        self.errors = list(errors)
