"""The committed coverage table is what tools/gen_coverage.py generates from the OpenAPI and the routes."""

from __future__ import annotations

from tools.gen_coverage import TABLE, generate


def test_coverage_table_is_current_and_lists_every_route() -> None:
    # generate() raises when an operation is neither served nor given a reason, or a route the
    # OpenAPI does not describe has no reason: the table can only be regenerated when it is complete.
    text = generate()
    assert TABLE.read_text() == text, "reference/COVERAGE.md is stale: run python tools/gen_coverage.py"
