"""OpenTelemetry: a tool call joins the caller's trace, and each Nexla HTTP call is a child span without secrets.

Run in a subprocess so the global tracer provider set here does not leak into other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"

SCRIPT = f"""
import asyncio, json
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
from mcp import Client
from nexla_mcp.app import build_server
from nexla_ops.config import Settings

async def main():
    async with Client(build_server(settings=Settings.from_env())) as client:
        result = await client.call_tool("quickstart", {{}}, meta={{"traceparent": "00-{TRACE_ID}-{PARENT_ID}-01"}})
        assert not result.is_error
    spans = [{{"name": s.name, "kind": s.kind.name, "trace": format(s.context.trace_id, "032x"),
              "id": format(s.context.span_id, "016x"), "parent": format(s.parent.span_id, "016x") if s.parent else None,
              "attributes": dict(s.attributes or {{}})}} for s in exporter.get_finished_spans()]
    print(json.dumps(spans))
asyncio.run(main())
"""


def test_tool_and_http_spans_join_the_callers_trace(sandbox_env: dict[str, str]) -> None:
    env = {**sandbox_env, "PYTHONPATH": os.pathsep.join(str(REPO / p) for p in ("server", "scripts", "sandbox"))}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    spans = json.loads(done.stdout.strip().splitlines()[-1])
    (tool,) = [span for span in spans if span["name"] == "tools/call quickstart"]
    assert tool["trace"] == TRACE_ID and tool["parent"] == PARENT_ID and tool["kind"] == "SERVER"
    http = [span for span in spans if span["kind"] == "CLIENT"]
    assert http, spans
    assert all(span["trace"] == TRACE_ID for span in http)
    by_id = {span["id"]: span for span in spans}

    def under_tool(span: dict) -> bool:
        while span["parent"] in by_id:
            span = by_id[span["parent"]]
        return span is tool

    assert all(under_tool(span) for span in http)
    for span in http:
        assert {"http.request.method", "http.response.status_code", "url.path"} <= span["attributes"].keys()
        assert span["name"] == f'{span["attributes"]["http.request.method"]} {span["attributes"]["nexla.route"]}'
        assert not any(part.isdigit() for part in span["name"].split("/")), span["name"]
    everything = json.dumps(spans)
    assert sandbox_env["NEXLA_SERVICE_KEY"] not in everything
