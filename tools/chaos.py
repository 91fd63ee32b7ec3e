"""``make chaos``: deploys, a batch and health checks against a sandbox that faults about 31% of requests.

The drill starts its own sandbox (a subprocess on a free loopback port, demo input files, a
per-key rate limit the client has to learn), injects a fixed, seeded fault mix through
``/_sandbox/faults`` and runs the product's operations through the real client:

1. ``--deploys`` deploys of distinct copies of ``examples/orders_to_parquet.yaml`` (faults on);
2. every deployment applied again with the faults off: does it converge?
3. a fault-free health check (the baseline verdicts), then ``--health`` checks with faults on;
4. a batch update of ``--batch`` sources (faults on), then checked item by item with faults off.

It prints the figures (deploys applied, cleanly rolled back, converged; duplicates and orphans;
batch items done, done twice, failures surfaced; false health verdicts) and writes them as JSON
with ``--json FILE``. It judges nothing: the figures are the result. Fault mix, per request:
5% 502, 5% 503, 5% 504, 10% 429 with ``Retry-After: 1``, 5% dropped connections, and latency
jitter on a quarter of the rest; plus ``--after-commit`` losses when the sandbox offers them.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.errors import NexlaError
from nexla_ops.operations.batch import BatchRequest, run_batch
from nexla_ops.operations.deploy import apply_deployment
from nexla_ops.operations.deploy.spec import FlowSpec, parse_spec
from nexla_ops.operations.health import check_health
from nexla_ops.operations.health_models import HealthCheckRequest, HealthReport

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from sandbox_process import SandboxProcess  # tools/ is not a package

EXAMPLE_SPEC = ROOT / "examples" / "orders_to_parquet.yaml"
PREFIX = "chaos"
BATCH_PREFIX = "chaos-batch-"
SECRET_VAR = "NEXLA_SECRET_DEMO_S3"

# (status, share of all requests); status 0 drops the connection. Shares are of every request, so
# each fault's own probability is its share of what the faults before it left over.
FAULT_MIX: tuple[tuple[int, float], ...] = ((502, 0.05), (503, 0.05), (504, 0.05), (429, 0.10), (0, 0.05))
# Latency jitter on requests no fault above took: (delay seconds, share of all requests).
JITTER: tuple[tuple[float, float], ...] = ((0.02, 0.10), (0.05, 0.10), (0.15, 0.05))


def fault_specs(seed: int, after_commit: float) -> list[dict[str, Any]]:
    """The fault list for ``/_sandbox/faults``, in match order, with the seed on the first."""
    specs: list[dict[str, Any]] = []
    left = 1.0

    def add(spec: dict[str, Any], share: float) -> None:
        nonlocal left
        spec["probability"] = round(min(1.0, share / left), 6)
        specs.append(spec)
        left -= share

    for status, share in FAULT_MIX:
        spec: dict[str, Any] = {"path": "^/", "status": status, "count": None}
        if status == 429:
            spec["retry_after"] = "1"
        add(spec, share)
    if after_commit > 0:
        # The sandbox does the work, then the answer is lost: only creates can be ambiguous this
        # way. Its share is of the creates the faults above let through, so it does not shift the mix.
        specs.append({"method": "POST", "path": "^/(data_sources|data_sets|data_sinks|data_credentials)$",
                      "status": 0, "count": None, "after_commit": True, "probability": after_commit})
    for delay, share in JITTER:
        add({"path": "^/", "status": None, "delay_s": delay, "count": None}, share)
    specs[0]["seed"] = seed
    return specs


# -- helpers --------------------------------------------------------------------------------


async def bounded(items: Iterable[Any], func: Callable[[Any], Awaitable[Any]], concurrency: int) -> list[Any]:
    """``func`` over ``items``, ``concurrency`` at a time; an exception is returned in its item's place."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> Any:
        async with gate:
            try:
                return await func(item)
            except Exception as error:  # noqa: BLE001  (one item's failure is a figure, not the end of the drill)
                return error

    return list(await asyncio.gather(*(one(item) for item in items)))


def spec_for(template: dict[str, Any], index: int) -> FlowSpec:
    """Deployment number ``index``: every name and the destination path made unique."""
    data = copy.deepcopy(template)
    suffix = f"-{PREFIX}{index:03d}"
    data["name"] = f"{PREFIX}{index:03d}-{data['name']}"
    data["discovery_timeout_s"] = 60
    for part in ("credential", "source"):
        if isinstance(data.get(part), dict):
            data[part]["name"] += suffix
    for group in ("nexsets", "destinations"):
        for item in data.get(group) or []:
            item["name"] += suffix
    for destination in data.get("destinations") or []:
        config = destination.setdefault("config", {})
        config["path"] = f"analytics/{PREFIX}{index:03d}/"
    return parse_spec(data, source=f"chaos deployment {index}")


def names_of(spec: FlowSpec) -> set[str]:
    dumped = spec.model_dump()
    names = {dumped[p]["name"] for p in ("credential", "source") if dumped.get(p)}
    names |= {item["name"] for group in ("nexsets", "destinations") for item in dumped.get(group) or []}
    return names


async def inventory(verifier: AsyncNexlaClient) -> dict[str, list[dict[str, Any]]]:
    kinds = ("data_credentials", "data_sources", "data_sets", "data_sinks")
    return {kind: [row async for row in verifier.paginate(f"/{kind}", per_page=500)] for kind in kinds}


def structure(rows: dict[str, list[dict[str, Any]]], names: set[str]) -> tuple[int, int]:
    """(duplicates, orphans) among resources carrying the drill's names.

    A duplicate is a second resource with a name already seen in the same family. An orphan is a
    resource that hangs from nothing or feeds nothing: a credential no source or sink uses, a source
    without a nexset, a nexset without a destination, a destination whose nexset is gone.
    """
    mine = {kind: [r for r in found if r.get("name") in names] for kind, found in rows.items()}
    duplicates = sum(n - 1 for kind in mine.values() for n in Counter(r["name"] for r in kind).values() if n > 1)
    used_credentials = {r.get("data_credentials_id") for kind in ("data_sources", "data_sinks") for r in rows[kind]}
    set_ids = {r["id"] for r in rows["data_sets"]}
    sources_with_sets = {r.get("data_source_id") for r in rows["data_sets"]}
    sets_with_sinks = {r.get("data_set_id") for r in rows["data_sinks"]}
    orphans = sum(1 for r in mine["data_credentials"] if r["id"] not in used_credentials)
    orphans += sum(1 for r in mine["data_sources"] if r["id"] not in sources_with_sets)
    orphans += sum(1 for r in mine["data_sets"] if r["id"] not in sets_with_sinks)
    orphans += sum(1 for r in mine["data_sinks"] if r.get("data_set_id") not in set_ids)
    return duplicates, orphans


def short_error(error: BaseException) -> str:
    return getattr(error, "kind", None) or type(error).__name__


# -- the drill ------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"seed": args.seed, "fault_mix": {
        "5xx (502/503/504)": 0.15, "429 (Retry-After 1)": 0.10, "dropped connection": 0.05,
        "latency jitter": sum(s for _, s in JITTER), "after_commit": args.after_commit}}
    os.environ.setdefault(SECRET_VAR, "chaos-demo-secret-value")
    template = yaml.safe_load(EXAMPLE_SPEC.read_text())
    with tempfile.TemporaryDirectory(prefix="nexla-chaos-") as scratch, \
            SandboxProcess(Path(scratch) / "sandbox", rate_limit=args.rate_limit) as sandbox:
        settings = Settings.from_env({}, api_url=sandbox.base_url, service_key=sandbox.key,
                                     audit_log_path=str(Path(scratch) / "audit.jsonl"))
        # The drill checks the product with a client of its own: another process would start with
        # its own circuit breaker, and the figures must not depend on the state the faults left in
        # the product's. "localhost" is the same sandbox under another URL, so another breaker.
        later = settings.model_copy(update={"api_url": sandbox.base_url.replace("127.0.0.1", "localhost")})
        async with AsyncNexlaClient(settings) as client, AsyncNexlaClient(later) as verifier:
            await drill(args, sandbox, client, verifier, template, figures)
    return figures


async def stable_truth(verifier: AsyncNexlaClient, request: HealthCheckRequest, tries: int = 5) -> HealthReport:
    """A fault-free check whose verdicts a second one confirms: flows still running after the deploys
    would otherwise change their truth under the faulted checks."""
    report = await check_health(verifier, request)
    for _ in range(tries):
        await asyncio.sleep(1)
        again = await check_health(verifier, request)
        if verdicts_of(again) == verdicts_of(report):
            return again
        report = again
    return report


def verdicts_of(report: HealthReport) -> dict[int, str]:
    return {flow.flow_id: flow.verdict for flow in report.flows}


async def health_checks(args: argparse.Namespace, sandbox: SandboxProcess, settings: Settings,
                        verifier: AsyncNexlaClient, faults: list[dict[str, Any]]) -> dict[str, Any]:
    """``--health`` checks under faults, each held to the fault-free verdicts.

    A check is *right* when every flow has its fault-free verdict; *unknown* when it said, for some
    flows or as a whole, that the API failed and a retry is needed (honest: exit 6, retryable);
    otherwise *false*: a flow judged other than its truth and not unknown, a flow left out, an
    exit code that is neither the truth's nor 6, or an error that does not say "retry".
    The truth is read before and after the checks; a flow whose truth changed in between (a run
    finishing late) may have either verdict, and how many did so is a figure of its own.
    """
    request = HealthCheckRequest()
    before = await stable_truth(verifier, request)
    install_faults(sandbox, faults)
    started = time.monotonic()

    async def one(_: int) -> HealthReport:
        # Each check is its own cron run: a client of its own (its own token, rate limiter and
        # rate-limit bucket at the server), meeting the faults from its first request.
        async with AsyncNexlaClient(settings) as client:
            return await check_health(client, request)

    reports = await bounded(range(args.health), one, args.health_concurrency)
    checks_s = time.monotonic() - started
    sandbox.clear_faults()
    after = await check_health(verifier, request)
    truth = verdicts_of(before)
    later = verdicts_of(after)
    allowed = {fid: {verdict, later.get(fid, verdict), "unknown"} for fid, verdict in truth.items()}
    exits = {before.exit_code, after.exit_code, 6}
    right = unknown = false_checks = false_verdicts = 0
    kinds: Counter[str] = Counter()
    unknowns: Counter[str] = Counter()
    for report in reports:
        if isinstance(report, BaseException):
            honest = isinstance(report, NexlaError) and report.retryable
            unknown += honest
            if honest:
                unknowns[f"raised {short_error(report)}"] += 1
            false_checks += not honest
            if not honest:
                kinds[f"raised {short_error(report)}"] += 1
            continue
        seen = verdicts_of(report)
        wrong = [(fid, verdict) for fid, verdict in seen.items() if fid in truth and verdict not in allowed[fid]]
        left_out = [fid for fid in truth if fid not in seen]
        kinds.update(f"{truth[fid]}->{verdict}" for fid, verdict in wrong)
        kinds.update("left out" for _ in left_out)
        bad_exit = report.exit_code not in exits
        if bad_exit:
            kinds[f"exit {report.exit_code}"] += 1
        false_verdicts += len(wrong) + len(left_out)
        if wrong or left_out or bad_exit:
            false_checks += 1
        elif "unknown" in seen.values():
            unknown += 1
            unknowns.update(unknown_kind(reason) for flow in report.flows if flow.verdict == "unknown"
                            for reason in flow.reasons[:1])
        else:
            right += 1
    return {"checks": args.health, "right": right, "unknown": unknown, "false_checks": false_checks,
            "false_verdicts": false_verdicts, "false_kinds": dict(kinds), "unknown_kinds": dict(unknowns),
            "flows_per_check": len(truth),
            "truth": dict(Counter(truth.values())),
            "truth_drifted": sum(1 for fid, verdict in truth.items() if later.get(fid, verdict) != verdict),
            "checks_wall_s": round(checks_s, 1)}


def unknown_kind(reason: str) -> str:
    """What an unknown verdict was about ("credential ... could not be probed" -> "credential probe")."""
    if reason.startswith("credential"):
        return "credential probe"
    if reason.startswith("last run"):
        return "last-run status"
    return reason.split(":")[0][:40]


def install_faults(sandbox: SandboxProcess, specs: list[dict[str, Any]]) -> list[str]:
    """Install the fault mix; returns the faults this sandbox cannot inject (left out, and named)."""
    answers = sandbox.add_faults(specs)
    unsupported = [spec for spec, answer in zip(specs, answers, strict=True)
                   if spec.get("after_commit") and "after_commit" not in answer]
    if not unsupported:
        return []
    # An older sandbox ignores the unknown field and would drop the connection *before* the work.
    sandbox.clear_faults()
    sandbox.add_faults([spec for spec in specs if not spec.get("after_commit")])
    return [f"after-commit losses on {spec['method']} {spec['path']}" for spec in unsupported]


async def drill(args: argparse.Namespace, sandbox: SandboxProcess, client: AsyncNexlaClient,
                verifier: AsyncNexlaClient, template: dict[str, Any],
                figures: dict[str, Any]) -> None:
    faults = fault_specs(args.seed, args.after_commit)
    begun = time.monotonic()

    def say(message: str) -> None:
        if not args.quiet:
            print(f"[{time.monotonic() - begun:6.1f} s] {message}", file=sys.stderr, flush=True)

    # 1. deploys under faults
    specs = [spec_for(template, i) for i in range(args.deploys)]
    refused = install_faults(sandbox, faults)
    figures["faults_refused_by_sandbox"] = refused
    say(f"deploys: {args.deploys} under faults" + (f" (sandbox refused: {refused})" if refused else ""))
    started = time.monotonic()
    first = await bounded(specs, lambda spec: apply_deployment(client, spec), args.concurrency)
    deploy_s = time.monotonic() - started
    sandbox.clear_faults()
    outcomes = Counter(r.status if not isinstance(r, Exception) else f"raised {short_error(r)}" for r in first)
    rows = await inventory(verifier)
    present = {r.get("name") for kind in rows.values() for r in kind}
    clean_rollbacks = 0
    for spec, result in zip(specs, first, strict=True):
        if isinstance(result, Exception) or result.status != "rolled_back":
            continue
        undone = result.rollback is not None and not result.rollback.not_undone
        if undone and not (names_of(spec) & present):
            clean_rollbacks += 1

    # 2. converge with faults off
    say("deploys: re-applied with faults off")
    # A later run (a fresh process, a fresh breaker) applies the same specs.
    again = await bounded(specs, lambda spec: apply_deployment(verifier, spec), args.concurrency)
    converged = sum(1 for r in again if not isinstance(r, Exception) and r.status in ("applied", "unchanged"))
    all_names = set().union(*(names_of(spec) for spec in specs)) if specs else set()
    duplicates, orphans = structure(await inventory(verifier), all_names)
    figures["deploys"] = {
        "total": args.deploys,
        "applied": outcomes.get("applied", 0) + outcomes.get("unchanged", 0),
        "rolled_back_cleanly": clean_rollbacks,
        "rolled_back_with_leftovers": outcomes.get("rolled_back", 0) - clean_rollbacks,
        "other": {k: v for k, v in outcomes.items() if k not in ("applied", "unchanged", "rolled_back")},
        "converged_on_reapply": converged,
        "duplicates": duplicates,
        "orphans": orphans,
        "wall_s": round(deploy_s, 1),
    }

    # 3. health: the fault-free verdicts are the truth the faulted checks are held to
    say(f"health: baseline, then {args.health} checks under faults")
    started = time.monotonic()
    figures["health"] = await health_checks(args, sandbox, client.settings, verifier, faults)
    figures["health"]["wall_s"] = round(time.monotonic() - started, 1)

    # 4. batch under faults, then every item checked with faults off. The items are made first,
    # without faults: the drill measures the batch, not their creation.
    say(f"batch: {args.batch} sources made, then updated under faults")
    await bounded(range(args.batch), lambda i: verifier.post(
        "/data_sources", json={"name": f"{BATCH_PREFIX}{i:04d}", "source_type": "s3",
                               "source_config": {"path": f"chaos/batch/{i}/"}}), 8)
    marker = f"chaos-run-{args.seed}-{secrets.token_hex(3)}"
    install_faults(sandbox, faults)
    started = time.monotonic()
    try:
        batch = await run_batch(client, BatchRequest(
            operation="update", resource_type="data_sources", name_contains=BATCH_PREFIX,
            set={"description": marker}, preview=False, concurrency=args.concurrency, max_items=max(1000, args.batch)))
        surfaced: int | str = batch.failed
    except NexlaError as error:
        surfaced = f"the batch raised {short_error(error)}"
    batch_s = time.monotonic() - started
    sandbox.clear_faults()
    say("batch: every item checked with faults off")
    sources = [r for r in (await inventory(verifier))["data_sources"] if str(r.get("name", "")).startswith(BATCH_PREFIX)]
    done = sum(1 for r in sources if r.get("description") == marker)

    async def updates(source: dict[str, Any]) -> int:
        entries = await verifier.get(f"/data_sources/{source['id']}/audit_log")
        # The items are fresh (a create, nothing since), so every update event is the batch's doing;
        # the sandbox records one per PUT it processed, even a replay that changed nothing.
        return sum(1 for e in entries or [] if isinstance(e, dict) and e.get("event") == "update")

    counts = [n for n in await bounded(sources, updates, 8) if isinstance(n, int)]
    figures["batch"] = {"items": args.batch, "done": done, "done_twice": sum(1 for n in counts if n > 1),
                        # How many items the audit log shows updated at all: proof the count above can see.
                        "audited": sum(1 for n in counts if n >= 1),
                        "failures_surfaced": surfaced, "wall_s": round(batch_s, 1)}
    figures["client"] = {"learned_rate_per_s": round(client.pipeline.limiter.rate_per_s, 1),
                         "throttles_seen": getattr(client.pipeline.limiter, "throttles", None),
                         "breaker": client.pipeline.breaker.state}
    figures["sandbox_statuses"] = sandbox.requests().get("by_status", {})
    figures["wall_s"] = round(time.monotonic() - begun, 1)
    say("done")


def print_table(figures: dict[str, Any]) -> None:
    d, b, h = figures["deploys"], figures["batch"], figures["health"]
    rows = [
        ("deploys applied under faults", f"{d['applied']} / {d['total']}"),
        ("deploys cleanly rolled back", f"{d['rolled_back_cleanly']} / {d['total']}"),
        ("deploys rolled back leaving resources", str(d["rolled_back_with_leftovers"])),
        ("deploys ending otherwise", json.dumps(d["other"]) if d["other"] else "0"),
        ("converged on re-apply (faults off)", f"{d['converged_on_reapply']} / {d['total']}"),
        ("duplicates", str(d["duplicates"])),
        ("orphans", str(d["orphans"])),
        ("batch items done", f"{b['done']} / {b['items']}"),
        ("batch items done twice", f"{b['done_twice']} (audit log shows {b['audited']} updated)"),
        ("batch failures surfaced", str(b["failures_surfaced"])),
        ("health checks right", f"{h['right']} / {h['checks']}"),
        ("health checks unknown (retryable)", str(h["unknown"]) + (f" {json.dumps(h['unknown_kinds'])}" if h["unknown_kinds"] else "")),
        ("health checks false", str(h["false_checks"])),
        ("false health verdicts", str(h["false_verdicts"]) + (f" {json.dumps(h['false_kinds'])}" if h["false_kinds"] else "")),
        ("flows per check (fault-free verdicts)", f"{h['flows_per_check']} {json.dumps(h['truth'])}"
         + (f", {h['truth_drifted']} changed during the checks" if h["truth_drifted"] else "")),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"chaos drill, seed {figures['seed']}: 15% 5xx, 10% 429, 5% dropped, jitter"
          f"{', after-commit losses' if figures['fault_mix']['after_commit'] and not figures['faults_refused_by_sandbox'] else ''}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    if figures["faults_refused_by_sandbox"]:
        print(f"  (not injected, unsupported by this sandbox: {'; '.join(figures['faults_refused_by_sandbox'])})")
    print(f"  wall: {figures['wall_s']} s in all; deploys {d['wall_s']} s, health {h['wall_s']} s, batch {b['wall_s']} s; "
          f"client: {json.dumps(figures['client'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--deploys", type=int, default=100)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--health", type=int, default=50)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=8, help="deploys at once, batch concurrency")
    parser.add_argument("--health-concurrency", type=int, default=8, help="health checks at once (each its own client)")
    parser.add_argument("--rate-limit", type=float, default=100, help="the sandbox's per-key limit (req/s; 0: none)")
    parser.add_argument("--after-commit", type=float, default=0.03,
                        help="share of creates whose answer is lost after the sandbox committed them")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--verbose", action="store_true", help="also show every retry the client makes")
    args = parser.parse_args(argv)
    # A terminated run still stops the sandbox it started (the with-blocks unwind on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.verbose:
        # Thousands of retries are the point of the drill; the figures say what they achieved.
        logging.getLogger("nexla_ops.client").setLevel(logging.ERROR)
    figures = asyncio.run(run(args))
    print_table(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
