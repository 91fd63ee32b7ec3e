"""Errors raised by operations themselves (as opposed to the API): refusals of unsafe requests.

An :class:`OperationRefused` means nothing was changed: the operation declined because the request
was unsafe or incomplete (delete without confirmation, removing the last owner, ...). It is a
``ValueError``, so scripts exit with the usage code (2); ``hint`` says what to do instead.
"""

from __future__ import annotations

from typing import Any


class OperationRefused(ValueError):
    """The operation declined to act; nothing was changed.

    ``reason`` says why (one sentence, no secrets); ``hint`` says how to proceed.
    """

    def __init__(self, reason: str, *, hint: str = "") -> None:
        self.reason = reason
        self.hint = hint
        super().__init__(f"{reason} {hint}".strip())

    @property
    def message(self) -> str:
        return self.reason

    @property
    def exit_code(self) -> int:
        """Scripts exit with the usage code: the request has to change before it can succeed."""
        return 2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description for ``--json`` output and MCP tool errors (the one error document)."""
        from nexla_ops.domain.errors import error_document

        return error_document(self).as_json()


__all__ = ["OperationRefused"]
