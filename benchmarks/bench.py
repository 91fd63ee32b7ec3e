"""``make bench``: the product measured side by side with the simplest thing that does the same job.

Every figure is a ratio of two measurements taken in the same run on the same machine (ours over
the baseline), so it holds when the machine is slower or busier; absolute seconds are kept in the
JSON for reference only. Sections (``--only`` picks some):

- ``health``: API calls and wall time of ``check_health`` against a minimal hand-written loop
  (token, then the flows listing page by page) at 50, 200 and 1000 idle flows;
- ``lists``: the sandbox's list page time at 1000 flows over the same page at 100
  (``benchmarks/bench_sandbox_lists.py``);
- ``batch``: a batch update of 300 sources against a 50 req/s tenant limit, over the floor 300/50 s;
- ``mcp``: spawn to ``tools/list`` of ``python -m nexla_mcp`` over a bare one-tool ``MCPServer``,
  and the size of the ``tools/list`` answer;
- ``sizes``: bytes the scripts print (``--json``) over the raw API bytes they read;
- ``transform``: the transform engine over the same work hand-written in pyarrow and in polars;
- ``client``: per-call time of ``NexlaClient`` over raw ``httpx``.

Writes ``benchmarks/results/latest.json`` and prints the table (stdout). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sandbox_process import SandboxProcess  # tools/ is not a package

from nexla_ops.client import AsyncNexlaClient, NexlaClient
from nexla_ops.config import Settings

RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
HEALTH_SIZES = (50, 200, 1000)
BATCH_ITEMS = 300
BATCH_LIMIT = 50.0
SECTIONS = ("health", "lists", "batch", "mcp", "sizes", "transform", "client")


@dataclass
class Row:
    """One line of the table: ours / baseline, both in ``unit``."""

    section: str
    name: str
    ours: float
    baseline: float
    unit: str
    baseline_name: str
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("nan")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def settings_for(sandbox: SandboxProcess, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_url": sandbox.base_url, "service_key": sandbox.key, "audit_log_path": None}
    values.update(overrides)
    return Settings.from_env({}, **values)


def script_env(sandbox: SandboxProcess) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXLA_")}
    env.update(NEXLA_API_URL=sandbox.base_url, NEXLA_SERVICE_KEY=sandbox.key, NEXLA_AUDIT_LOG="")
    return env


def bearer(sandbox: SandboxProcess) -> str:
    response = httpx.post(f"{sandbox.base_url}/token", headers={"Authorization": f"Basic {sandbox.key}"})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


async def make_sources(sandbox: SandboxProcess, count: int, prefix: str, credential_id: int | None) -> None:
    """``count`` sources (one idle flow each), created over plain HTTP so the setup is not what is measured."""
    headers = {"Authorization": f"Bearer {bearer(sandbox)}"}
    gate = asyncio.Semaphore(16)
    async with httpx.AsyncClient(base_url=sandbox.base_url + "/", headers=headers, timeout=60) as api:

        async def one(i: int) -> None:
            body: dict[str, Any] = {"name": f"{prefix}{i:05d}", "source_type": "s3",
                                    "source_config": {"path": f"bench/{prefix}{i}/", "file_format": "json"}}
            if credential_id is not None:
                body["data_credentials_id"] = credential_id
            async with gate:
                (await api.post("data_sources", json=body)).raise_for_status()

        await asyncio.gather(*(one(i) for i in range(count)))


def make_credential(sandbox: SandboxProcess) -> int:
    with httpx.Client(base_url=sandbox.base_url + "/", headers={"Authorization": f"Bearer {bearer(sandbox)}"}) as api:
        response = api.post("data_credentials", json={
            "name": "bench-s3", "credentials_type": "s3",
            "credentials": {"region": "us-east-1", "access_key_id": "AKIABENCH", "secret_access_key": "bench-secret"}})
        response.raise_for_status()
        created: int = response.json()["id"]
        return created


# -- health and lists -----------------------------------------------------------------------


def minimal_health_loop(base_url: str, key: str, per_page: int = 100) -> dict[str, int]:
    """What a person would write: one token, the flows listing page by page, a verdict per flow status."""
    verdicts: dict[str, int] = {}
    with httpx.Client(base_url=base_url + "/", timeout=60) as api:
        token = api.post("token", headers={"Authorization": f"Basic {key}"}).json()["access_token"]
        api.headers["Authorization"] = f"Bearer {token}"
        page = 1
        while True:
            body = api.get("flows", params={"page": page, "per_page": per_page}).json()
            flows = body.get("flows", []) if isinstance(body, dict) else body
            for flow in flows:
                status = str(flow.get("status", "")).upper()
                verdict = "healthy" if status == "ACTIVE" else "warning" if status == "PAUSED" else "critical"
                verdicts[verdict] = verdicts.get(verdict, 0) + 1
            if len(flows) < per_page:
                return verdicts
            page += 1


def ours_health(sandbox: SandboxProcess) -> Any:
    from nexla_ops.operations.health import check_health
    from nexla_ops.operations.health_models import HealthCheckRequest

    async def run() -> Any:
        async with AsyncNexlaClient(settings_for(sandbox, rate_limit_per_s=0)) as client:
            return await check_health(client, HealthCheckRequest())

    return asyncio.run(run())


def counted(sandbox: SandboxProcess, work: Callable[[], Any]) -> tuple[float, int]:
    """(wall seconds, API requests the sandbox saw) for one run of ``work``."""
    sandbox.reset_requests()
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    return wall, int(sandbox.requests()["total"])


def bench_health(scratch: Path, runs: int) -> list[Row]:
    rows: list[Row] = []
    with SandboxProcess(scratch / "health", demo=False) as sandbox:
        credential = make_credential(sandbox)
        made = 0
        for size in HEALTH_SIZES:
            say(f"health: {size} idle flows")
            asyncio.run(make_sources(sandbox, size - made, f"bench-flow-{made}-", credential))
            made = size
            checked: list[int] = []
            ours = [counted(sandbox, lambda: checked.append(ours_health(sandbox).flows_checked)) for _ in range(runs)]
            loop = [counted(sandbox, lambda: minimal_health_loop(sandbox.base_url, sandbox.key)) for _ in range(runs)]
            wall_ours = statistics.median(w for w, _ in ours)
            wall_loop = statistics.median(w for w, _ in loop)
            calls_ours, calls_loop = ours[-1][1], loop[-1][1]
            # A check that saw fewer flows than exist is cheap for the wrong reason: say so in the row.
            seen = f"; checked {checked[-1]} of {size} flows" if checked[-1] != size else ""
            rows.append(Row("health", f"health calls, {size} flows", calls_ours, calls_loop, "calls", "minimal loop",
                            note=f"target <= ceil({size}/100)+5 = {-(-size // 100) + 5}{seen}"))
            rows.append(Row("health", f"health wall, {size} flows", wall_ours, wall_loop, "s", "minimal loop",
                            note=f"target <= 2x{seen}"))
    return rows


def bench_lists() -> list[Row]:
    """The sandbox's own list benchmark (benchmarks/bench_sandbox_lists.py): page time at 1000 flows over 100."""
    from bench_sandbox_lists import run as list_pages

    say("lists: sandbox list pages at 100 and 1000 flows")
    report = list_pages((100, 1000))
    return [Row("lists", f"GET /{route} page of 100, 1000 flows", report["flows"]["1000"][route],
                report["flows"]["100"][route], "s", "same page at 100 flows",
                note="~1x when a page costs O(page)") for route in report["ratio"]]


# -- batch, result sizes, client overhead ------------------------------------------------------


def bench_batch(sandbox: SandboxProcess, concurrency: int | None = None) -> list[Row]:
    """One batch update of every bench source at the tenant limit; ``None`` keeps the batch's default concurrency."""
    from nexla_ops.operations.batch import BatchRequest, run_batch

    label = "default concurrency" if concurrency is None else f"concurrency {concurrency}"
    say(f"batch: {BATCH_ITEMS} updates at {BATCH_LIMIT:g} req/s, {label}")
    options: dict[str, Any] = {} if concurrency is None else {"concurrency": concurrency}
    sandbox.set_rate_limit(BATCH_LIMIT)
    try:
        async def run() -> Any:
            # Default settings: the client learns the tenant's limit by itself.
            async with AsyncNexlaClient(settings_for(sandbox)) as client:
                return await run_batch(client, BatchRequest(
                    operation="update", resource_type="data_sources", name_contains="bench-batch-",
                    set={"description": f"bench {time.time()}"}, preview=False, max_items=1000, **options))

        sandbox.reset_requests()
        started = time.perf_counter()
        result = asyncio.run(run())
        wall = time.perf_counter() - started
        seen = sandbox.requests()
    finally:
        sandbox.set_rate_limit(None)
    floor = BATCH_ITEMS / BATCH_LIMIT
    capacity = raw_put_wall(sandbox, concurrency or 4)
    return [Row("batch", f"batch of {BATCH_ITEMS} updates at {BATCH_LIMIT:g} req/s, {label}", wall, floor, "s",
                f"rate-limit floor {BATCH_ITEMS}/{BATCH_LIMIT:g}",
                note=f"target <= 1.15x; {result.failed} failed, {seen['by_status'].get('429', 0)} answers 429; "
                     f"unpaced raw PUTs take {capacity:.1f} s here",
                extra={"failed": result.failed, "succeeded": result.succeeded, "requests": seen["total"],
                       "by_status": seen["by_status"], "unpaced_raw_puts_s": round(capacity, 2)})]


def raw_put_wall(sandbox: SandboxProcess, concurrency: int) -> float:
    """Seconds for the same PUTs with plain httpx, no limit anywhere: what the machine allows at all.

    When this alone exceeds the floor, the batch row measures the sandbox's speed, not the pacing.
    """
    headers = {"Authorization": f"Bearer {bearer(sandbox)}"}

    async def run() -> float:
        gate = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(base_url=sandbox.base_url + "/", headers=headers, timeout=60) as api:
            rows = [r for page in (1, 2, 3, 4) for r in (await api.get(
                "data_sources", params={"page": page, "per_page": 100})).json()
                    if str(r.get("name", "")).startswith("bench-batch-")]

            async def put(row: dict[str, Any]) -> None:
                async with gate:
                    (await api.put(f"data_sources/{row['id']}", json={"description": "raw"})).raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(put(row) for row in rows))
            return time.perf_counter() - started

    return asyncio.run(run())


def raw_bytes(sandbox: SandboxProcess, path: str, per_page: int, pages: int | None = None) -> int:
    total = 0
    with httpx.Client(base_url=sandbox.base_url + "/", headers={"Authorization": f"Bearer {bearer(sandbox)}"}) as api:
        page = 1
        while pages is None or page <= pages:
            response = api.get(path, params={"page": page, "per_page": per_page})
            response.raise_for_status()
            total += len(response.content)
            body = response.json()
            items = body.get("flows", []) if isinstance(body, dict) else body
            if len(items) < per_page:
                break
            page += 1
    return total


def script_bytes(sandbox: SandboxProcess, *args: str) -> int:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=script_env(sandbox), capture_output=True,
                          timeout=300, check=False)
    if done.returncode not in (0, 5):
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return len(done.stdout)


def bench_sizes(sandbox: SandboxProcess) -> list[Row]:
    say("sizes: script output against the API bytes it reads")
    listing = script_bytes(sandbox, "scripts/list_resources.py", "sources", "--json", "--limit", "100")
    health = script_bytes(sandbox, "scripts/health_check.py", "--json")
    return [
        Row("sizes", "list_resources.py sources --json --limit 100", listing,
            raw_bytes(sandbox, "data_sources", 100, pages=1), "bytes", "raw GET /data_sources page"),
        Row("sizes", f"health_check.py --json, {BATCH_ITEMS} flows", health,
            raw_bytes(sandbox, "flows", 100), "bytes", "raw GET /flows pages"),
    ]


def bench_client(sandbox: SandboxProcess, calls: int = 300, rounds: int = 3) -> list[Row]:
    say(f"client: {calls} calls through NexlaClient and raw httpx")
    token = bearer(sandbox)

    def ours() -> float:
        with NexlaClient(settings_for(sandbox, rate_limit_per_s=0, access_token=token, service_key=None)) as client:
            client.get("/teams")
            started = time.perf_counter()
            for _ in range(calls):
                client.get("/teams")
            return (time.perf_counter() - started) / calls

    def raw() -> float:
        with httpx.Client(base_url=sandbox.base_url + "/", headers={
                "Authorization": f"Bearer {token}", "Accept": "application/vnd.nexla.api.v1+json"}) as api:
            api.get("teams").json()
            started = time.perf_counter()
            for _ in range(calls):
                response = api.get("teams")
                response.raise_for_status()
                response.json()
            return (time.perf_counter() - started) / calls

    pairs = [(ours(), raw()) for _ in range(rounds)]
    return [Row("client", "per-call time, GET /teams", statistics.median(p[0] for p in pairs),
                statistics.median(p[1] for p in pairs), "s", "raw httpx")]


# -- MCP cold start ---------------------------------------------------------------------------

BARE_SERVER = """
from mcp.server.mcpserver import MCPServer
server = MCPServer("bare")
@server.tool()
def ping() -> str:
    return "pong"
server.run()
"""


async def spawn_to_tools_list(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds from spawn to the tools/list answer, tools, bytes of that answer)."""
    from mcp import Client, StdioServerParameters

    started = time.perf_counter()
    params = StdioServerParameters(command=command[0], args=command[1:], env=env, cwd=str(ROOT))
    async with Client(params) as client:
        tools = await client.list_tools()
        elapsed = time.perf_counter() - started
    return elapsed, len(tools.tools), len(tools.model_dump_json(by_alias=True, exclude_none=True))


def bench_mcp(sandbox: SandboxProcess, runs: int) -> list[Row]:
    say("mcp: spawn to tools/list, ours and a bare MCPServer")
    env = script_env(sandbox)
    ours_command = [sys.executable, "-m", "nexla_mcp"]
    bare_command = [sys.executable, "-c", BARE_SERVER]
    asyncio.run(spawn_to_tools_list(ours_command, env))  # warm the file cache for both sides alike
    asyncio.run(spawn_to_tools_list(bare_command, env))
    pairs = [(asyncio.run(spawn_to_tools_list(ours_command, env)), asyncio.run(spawn_to_tools_list(bare_command, env)))
             for _ in range(runs)]
    ours_s = statistics.median(p[0][0] for p in pairs)
    bare_s = statistics.median(p[1][0] for p in pairs)
    tools, size = pairs[-1][0][1], pairs[-1][0][2]
    return [
        Row("mcp", "MCP cold start, spawn to tools/list", ours_s, bare_s, "s", "bare one-tool MCPServer",
            note="target <= 1.3x"),
        Row("mcp", f"tools/list bytes per tool ({tools} tools, {size / 1024:.1f} KB in all)", size / tools,
            pairs[-1][1][2], "bytes", "bare server's one tool", extra={"tools": tools, "bytes": size}),
    ]


# -- transform --------------------------------------------------------------------------------


def bench_transform(orders: int, runs: int) -> list[Row]:
    import pyarrow.compute as pc

    from bench_transform import SPEC, build_orders
    from nexla_ops.transform import apply_transform

    say(f"transform: {orders:,} orders through the engine, pyarrow and polars")
    table = build_orders(orders)

    def hand_arrow() -> int:
        items = table.column("line_items").combine_chunks()
        parents = pc.list_parent_indices(items)
        flat = pc.list_flatten(items)
        rows = table.drop_columns(["line_items"]).take(parents)
        sku, qty, price = (flat.field(name) for name in ("sku", "qty", "price"))
        keep = pc.and_(pc.not_equal(rows.column("status"), "CANCELLED"), pc.greater(qty, 0))
        rows = rows.append_column("sku", sku).append_column("qty", qty).append_column("line_items.price", price)
        rows = rows.filter(keep)
        total = pc.round(pc.multiply(rows.column("line_items.price"), rows.column("qty")), 2)
        email = pc.utf8_lower(pc.utf8_trim_whitespace(pc.struct_field(rows.column("customer"), [0])))
        created = pc.strptime(rows.column("created_at"), format="%Y-%m-%dT%H:%M:%SZ", unit="us")
        rows = rows.append_column("total", total).append_column("email", email)
        rows = rows.set_column(rows.schema.get_field_index("created_at"), "created_at", created)
        return rows.num_rows

    def engine() -> int:
        return apply_transform(SPEC, table).table.num_rows

    measured: dict[str, tuple[float, int]] = {}

    def timed(name: str, work: Callable[[], int]) -> None:
        results: list[int] = []

        def once() -> float:
            started = time.perf_counter()
            results.append(work())
            return time.perf_counter() - started

        measured[name] = (median_of(runs, once), results[-1])

    timed("engine", engine)
    timed("pyarrow", hand_arrow)
    rows = [Row("transform", f"transform engine, {orders:,} orders", measured["engine"][0], measured["pyarrow"][0],
                "s", "hand-written pyarrow", note=f"{measured['engine'][1]:,} vs {measured['pyarrow'][1]:,} rows out")]
    try:
        import polars as pl
    except ImportError:
        say("transform: polars is not installed (pip install -e '.[bench]'); its row is left out")
        return rows
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)

    def hand_polars() -> int:
        out = (
            frame.explode("line_items")
            .with_columns(pl.col("line_items").struct.field("sku").alias("sku"),
                          pl.col("line_items").struct.field("qty").alias("qty"),
                          pl.col("line_items").struct.field("price").alias("price"))
            .filter((pl.col("status") != "CANCELLED") & (pl.col("qty") > 0))
            .with_columns((pl.col("price") * pl.col("qty")).round(2).alias("total"),
                          pl.col("customer").struct.field("email").str.strip_chars().str.to_lowercase().alias("email"),
                          pl.col("created_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ"))
            .drop("line_items")
        )
        return out.height

    timed("polars", hand_polars)
    rows.append(Row("transform", f"transform engine, {orders:,} orders", measured["engine"][0], measured["polars"][0],
                    "s", "hand-written polars", note=f"{measured['polars'][1]:,} rows out"))
    return rows


# -- report -----------------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "bytes":
        return f"{value / 1024:.1f} KB"
    return f"{value:g}"


def table(rows: list[Row]) -> str:
    header = ("measure", "ratio", "ours", "baseline", "vs", "note")
    cells = [(r.name, f"{r.ratio:.2f}x", fmt(r.ours, r.unit), fmt(r.baseline, r.unit), r.baseline_name, r.note)
             for r in rows]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(c).ljust(w) for c, w in zip(cell, widths, strict=True)) + " |" for cell in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated sections ({', '.join(SECTIONS)})")
    parser.add_argument("--runs", type=int, default=3, help="repetitions per measurement (median kept)")
    parser.add_argument("--orders", type=int, default=200_000, help="orders for the transform section")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    # A terminated run still stops the sandbox it started (the with-blocks unwind on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sections = set(SECTIONS if not args.only else args.only.split(","))
    unknown = sections - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="nexla-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        if "health" in sections:
            rows += bench_health(scratch, args.runs)
        if "lists" in sections:
            rows += bench_lists()
        if sections & {"batch", "mcp", "sizes", "client"}:
            with SandboxProcess(scratch / "batch", demo=False) as sandbox:
                asyncio.run(make_sources(sandbox, BATCH_ITEMS, "bench-batch-", make_credential(sandbox)))
                if "batch" in sections:
                    rows += bench_batch(sandbox)
                    # With more in flight, latency stops mattering and only the limiter paces the batch.
                    rows += bench_batch(sandbox, concurrency=16)
                if "sizes" in sections:
                    rows += bench_sizes(sandbox)
                if "client" in sections:
                    rows += bench_client(sandbox)
                if "mcp" in sections:
                    rows += bench_mcp(sandbox, args.runs + 2)
    if "transform" in sections:
        rows += bench_transform(args.orders, args.runs)
    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "wall_s": round(time.perf_counter() - started, 1),
        "rows": [{**asdict(r), "ratio": round(r.ratio, 3)} for r in rows],
        "table": table(rows),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(report["table"])
    say(f"bench: {report['wall_s']} s; results in {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
