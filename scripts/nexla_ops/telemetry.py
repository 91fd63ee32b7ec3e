"""Optional OpenTelemetry spans for Nexla HTTP calls.

When ``opentelemetry-api`` is importable (the ``mcp`` package depends on it, and the
``otel`` extra names it), every HTTP attempt to the Nexla API is a CLIENT span in the current
trace context: inside the MCP server that is the SDK's ``tools/call`` span, which itself joins
the caller's ``traceparent``. Without a configured SDK the API's no-op tracer makes this free;
without the package it is a plain ``nullcontext``. Span names and attributes carry the method
and path only: never query strings, bodies or headers (tokens live there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    from opentelemetry import trace
except ImportError:  # pragma: no cover - exercised only where the package is absent
    trace = None  # type: ignore[assignment]

_ID = re.compile(r"/\d+(?=/|$)")


def route(path: str) -> str:
    """The path with numeric ids as ``{id}`` (low-cardinality span names)."""
    return _ID.sub("/{id}", path.split("?", 1)[0])


@contextmanager
def http_span(method: str, path: str) -> Iterator[Any]:
    """A CLIENT span for one HTTP attempt; yields the span (or ``None`` without OpenTelemetry)."""
    if trace is None:
        yield None
        return
    tracer = trace.get_tracer("nexla_ops")
    attributes = {"http.request.method": method, "url.path": path.split("?", 1)[0], "nexla.route": route(path)}
    with tracer.start_as_current_span(
        f"{method} {route(path)}", kind=trace.SpanKind.CLIENT, attributes=attributes
    ) as span:
        yield span


def record_status(span: Any, status: int) -> None:
    """Put the response status on ``span``; 4xx/5xx mark it as an error."""
    if span is None:
        return
    span.set_attribute("http.response.status_code", status)
    if status >= 400 and trace is not None:
        span.set_status(trace.StatusCode.ERROR)
