"""Bounds on the work one transform call may do, shared by every form of transform.

The engine runs specs written by whoever calls it (an MCP tool caller, a sandbox API client), so
each bound is enforced before or while the work happens, never after memory is already spent.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from .errors import TransformSpecError

MAX_EXPRESSION_DEPTH = 64
MAX_LITERAL_CHARS = 65_536
MAX_SPEC_DEPTH = 64
# Records deeper than this are refused before any recursive walk (Arrow, Jolt, JSON) can overflow the stack.
MAX_RECORD_DEPTH = 64
MAX_SPEC_CHARS = 1_000_000
MAX_RECORD_BYTES = 1_048_576
MAX_BATCH_BYTES = 256 * 1_048_576
MAX_SECONDS = 60.0
SCRIPT_SECONDS = 10.0
SCRIPT_MEMORY_BYTES = 512 * 1_048_576

# Running a nexla.custom script executes code chosen by the caller of the engine; only an operator
# who trusts those callers turns it on, through this variable.
RUN_SCRIPTS_VARIABLE = "NEXLA_TRANSFORM_RUN_SCRIPTS"


@dataclass(frozen=True)
class Limits:
    """The bounds of one call; TRANSFORMS.md ("Limits") explains each one."""

    max_expression_depth: int = MAX_EXPRESSION_DEPTH
    max_literal_chars: int = MAX_LITERAL_CHARS
    max_spec_depth: int = MAX_SPEC_DEPTH
    max_spec_chars: int = MAX_SPEC_CHARS
    max_record_bytes: int = MAX_RECORD_BYTES
    max_batch_bytes: int = MAX_BATCH_BYTES
    max_seconds: float = MAX_SECONDS
    run_scripts: bool = False
    script_seconds: float = SCRIPT_SECONDS
    script_memory_bytes: int = SCRIPT_MEMORY_BYTES

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, with nexla.custom python scripts run only when the operator set the variable."""
        return cls(run_scripts=os.environ.get(RUN_SCRIPTS_VARIABLE, "").strip().lower() in ("1", "true", "yes"))


class TransformLimitError(TransformSpecError):
    """A bound of ``Limits`` was exceeded by the whole call (time, batch size)."""


class Deadline:
    """The end of a call's time budget; ``check`` raises once it has passed."""

    def __init__(self, limits: Limits) -> None:
        self.seconds = limits.max_seconds
        self.ends = time.monotonic() + limits.max_seconds

    def check(self, where: str, index: int | None = None) -> None:
        if time.monotonic() > self.ends:
            raise TransformLimitError(
                f"{where}: the transform took longer than its limit of {self.seconds:g} s", operation_index=index
            )
