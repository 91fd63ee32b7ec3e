"""`make demo`: the whole product, end to end, on the local sandbox, driven the way an agent drives it.

It starts the sandbox on a free loopback port with generated order files, starts the MCP server
(`python -m nexla_mcp`) as a subprocess and talks to it over stdio with the `mcp` package's
client, then walks the guide's story: orient, plan and apply the orders pipeline, run it, and
look at health, metrics, logs and access. It prints a short transcript, says where the output
files are, stops everything it started, and exits non-zero if any step fails.

The demo may start the sandbox; the server it drives reaches the sandbox only over HTTP.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sandbox.testing import SandboxHandle, running_sandbox

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "examples" / "orders_to_parquet.yaml"


class StepFailed(RuntimeError):
    """A demo step did not do what it should; the message says which and why."""


def say(text: str = "") -> None:
    print(text, flush=True)


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


class Demo:
    def __init__(self, client: Client, sandbox: SandboxHandle) -> None:
        self.client = client
        self.sandbox = sandbox
        self.step = 0

    async def call(self, title: str, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        self.step += 1
        say(f"\n[{self.step}] {title}  (tool: {tool})")
        messages: list[str] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            if message:
                messages.append(message)

        result = await self.client.call_tool(tool, arguments or {}, progress_callback=on_progress)
        if result.is_error:
            raise StepFailed(f"{tool} failed: {_text(result)[:1500]}")
        for message in messages:
            say(f"    .. {message}")
        return result.structured_content or {}


def _new_orders_arrive(data_dir: Path, orders: list[dict[str, Any]], count: int = 25) -> int:
    """Write a fresh file of orders, as an upstream system would, so the run has new input."""
    fresh = [{**order, "order_id": f"{order['order_id']}-B"} for order in orders[:count]]
    target = data_dir / "s3" / "ingest" / "orders" / "orders-late-batch.ndjson"
    target.write_text("".join(json.dumps(order) + "\n" for order in fresh))
    return len(fresh)


async def _story(demo: Demo, sandbox: SandboxHandle, demo_orders: list[dict[str, Any]]) -> None:
    orient = await demo.call("Check the connection and see what exists", "quickstart")
    identity = orient.get("identity", {})
    say(f"    signed in as {identity.get('email')} ({identity.get('org_name')}) at {orient.get('api_url')}")
    say(f"    resources: {orient.get('counts')}")

    spec = str(SPEC)
    plan = await demo.call("Plan the guide's pipeline (dry run: nothing changes)", "plan_deployment", {"spec": spec})
    for change in plan.get("changes", []):
        say(f"    {change.get('action'):9} {change.get('kind'):17} {change.get('name')}")

    applied = await demo.call("Apply it: create, discover, activate, verify", "apply_deployment", {"spec": spec})
    if applied.get("status") not in ("applied", "unchanged"):
        raise StepFailed(f"apply ended {applied.get('status')}: {applied.get('error')}")
    source_id, flow_id = applied["source_id"], applied["flow_id"]
    for ref in applied.get("resources", []):
        say(f"    {ref['kind']:17} {ref['id']:>4}  {ref.get('name')}")
    sink_id = next(ref["id"] for ref in applied["resources"] if ref["kind"] == "data_sinks")

    arrived = _new_orders_arrive(sandbox.data_dir, demo_orders)
    demo.step += 1
    say(f"\n[{demo.step}] {arrived} new orders land in ingest/orders/; run the flow now")
    say("    (sandbox operator control; real Nexla runs on the source's schedule)")
    run = sandbox.control.post(f"/sources/{source_id}/run")
    if run.status_code != 200:
        raise StepFailed(f"run trigger answered {run.status_code}: {run.text[:500]}")
    outcome = run.json()
    say(
        f"    run {outcome['run_id']}: {outcome['status']}, {outcome['records_in']} records in, "
        f"{outcome['records_out']} out, {outcome['errors']} errors"
    )

    health = await demo.call("Health check over every flow", "check_health")
    for flow in health.get("flows", []):
        reasons = "; ".join(flow.get("reasons", [])) or "all checks passed"
        say(f"    flow {flow.get('flow_id')} {flow.get('name')}: {flow.get('verdict')} ({reasons})")

    daily = await demo.call("Daily metrics of the destination", "get_daily_metrics", {"kind": "data_sinks", "id": sink_id})
    for day in daily.get("days", []):
        say(f"    {day.get('date')}: {day.get('records')} records, {day.get('size')} bytes, {day.get('errors')} errors")

    runs = await demo.call("Per-run summaries of the flow", "get_run_summaries", {"kind": "data_sources", "id": source_id})
    for row in runs.get("runs", [])[:5]:
        say(f"    run {row.get('run_id')}: {row.get('status')}, {row.get('records')} records, {row.get('errors')} errors")

    logs = await demo.call("Last log lines of the flow", "get_logs", {"kind": "data_sources", "id": source_id, "tail": 5})
    for line in logs.get("entries", []):
        say(f"    {line.get('level'):5} {line.get('resource_type')}/{line.get('resource_id')}: {line.get('message')}")

    access = await demo.call("Who can access the flow's source", "list_access", {"kind": "data_sources", "id": source_id})
    for accessor in access.get("accessors", []):
        who = accessor.get("email") or accessor.get("name") or accessor.get("id")
        say(f"    {accessor.get('type')} {who}: {', '.join(accessor.get('access_roles', []))}")

    outputs = sorted((sandbox.data_dir / "s3" / "analytics" / "orders").glob("*.parquet"))
    if not outputs:
        raise StepFailed("the run wrote no Parquet file")
    say(f"\nFlow {flow_id} is live. Output files ({len(outputs)}):")
    for path in outputs:
        say(f"    {path}")


async def main_async(work_dir: Path) -> None:
    data_dir = work_dir / "sandbox-data"
    data_dir.mkdir(parents=True)
    demo_data = write_demo_data(data_dir)
    say("Nexla data flows operator: demo on the local sandbox")
    say(f"    {len(demo_data.orders)} demo orders written to {data_dir / 's3' / 'ingest' / 'orders'}")
    with running_sandbox(data_dir) as sandbox:
        say(f"    sandbox API at {sandbox.base_url}")
        env = {
            **{key: value for key, value in os.environ.items() if not key.startswith("NEXLA_")},
            "NEXLA_API_URL": sandbox.base_url,
            "NEXLA_SERVICE_KEY": sandbox.service_key,
            "NEXLA_AUDIT_LOG": str(work_dir / "audit.jsonl"),
            "NEXLA_SECRET_DEMO_S3": "demo-secret-not-real",
        }
        server = StdioServerParameters(command=sys.executable, args=["-m", "nexla_mcp"], env=env, cwd=str(REPO))
        failure: StepFailed | None = None
        async with AsyncExitStack() as stack:
            client = await stack.enter_async_context(Client(server))
            tools = await client.list_tools()
            say(f"    MCP server up over stdio with {len(tools.tools)} tools")
            try:
                await _story(Demo(client, sandbox), sandbox, demo_data.orders)
            except StepFailed as error:
                failure = error
        if failure is not None:
            raise failure
        say(f"\nAudit log of every change: {work_dir / 'audit.jsonl'}")


def main() -> int:
    keep = os.environ.get("DEMO_DIR")
    work_dir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="nexla-demo-"))
    try:
        anyio.run(main_async, work_dir)
    except StepFailed as failure:
        say(f"\nDEMO FAILED: {failure}")
        return 1
    say("\nDemo finished: everything it started has stopped. Files stay in " + str(work_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
