"""Health of every flow (or a selection): status, run freshness, error rate, credentials; optional alert.

How it scales: every flow the caller can reach (``access_role``, default collaborator) is read
from ``GET /flows`` in pages of 1000 (the flow trees carry the flows' sources, nexsets, sinks and
credentials; flows that never ran are included), then the run metrics from
``GET /flows?include_run_metrics=1`` page by page, stopping once every flow was seen. So N flows
cost ceil(N / 1000) + ceil(N / per_page) list calls. Credentials are probed once each (again at
the end when an outage answered), with bounded concurrency (``client.fan_out``). Flow metrics
carry no run status, so the latest-run status of every flow that ran comes from one call to
Nexla's ``/health/org/flows`` when the server has it; else one run-summary read per flow whose latest run read nothing or reported
errors (the only runs a status-less run summary can say more about), in parallel within the
rate limit. A small selection of flow ids or resource ids is fetched directly instead (one call
per item). See :func:`request_bound`.

Verdict rules per flow (the worst rule that fires wins):

* critical: the flow or any of its resources is in ERROR/FAILED; a credential it uses fails its
  probe (the one rule of :mod:`nexla_ops.domain.probe`); the last run failed (by its status,
  whatever it read; without a status: errors and no records); the error rate in the window exceeds
  ``critical_error_rate``; the last run is older than ``critical_intervals`` schedule intervals
  (or than 2 x ``max_age`` when ``max_age`` is set).
* warning: the flow is paused (``paused`` setting) or was never activated, or some resource in it
  is paused; the last run is older than ``warn_intervals`` intervals (or ``max_age``); no run yet;
  the error rate exceeds ``warn_error_rate``; fewer records than ``min_records`` in the window.
* unknown: a credential could not be probed, or the latest run's status could not be read,
  because the API failed (5xx, 429, timeout, dropped connection, open circuit). An outage is
  never reported as a broken credential, a failed run or a good one.

Exit code: :attr:`HealthReport.exit_code` is 5 when any flow is critical, and also when any flow
is at warning if ``fail_on="warning"``; 6 (retry later, ``retryable: true``) when no flow is
critical but some could not be judged; 1 when the flows pass but a requested alert could not be
delivered; otherwise 0. Warnings alone exit 0 by default so that a paused flow does not page
anyone from cron.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

from nexla_ops.domain import FlowElement, FlowNode, FlowTree, Probe, parse_run_page, probe_verdict, to_datetime
from nexla_ops.domain.flows import BAD_STATUSES, NEW_STATUSES, PAUSED_STATUSES
from nexla_ops.errors import NexlaError
from nexla_ops.operations.health_alert import alert_payload, send_alert, should_alert
from nexla_ops.operations.health_models import (
    VERDICT_RANK,
    AlertOutcome,
    CredentialHealth,
    FlowHealth,
    HealthCheckRequest,
    HealthConfig,
    HealthReport,
    HealthThresholds,
    ResourceRef,
    Verdict,
    load_health_config,
    parse_duration,
    threshold_fields,
)
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress
from nexla_ops.redaction import scrub_text
from nexla_ops.resources import ResourceKind, parse_flow_kind

# Up to this many selected ids are fetched one by one (concurrently) instead of listing every flow.
DIRECT_SELECTION_LIMIT = 20
# The inventory listing carries no run metrics, so it is cheap to read in the largest page the API allows.
INVENTORY_PAGE_SIZE = 1000
# Nexla's monitoring endpoint: latest run per flow in one call (absent on some servers: 404).
HEALTH_FLOWS_PATH = "/health/org/flows"
_RED = {"RED", "UNHEALTHY", "ERROR", "FAILED", "CRITICAL"}


# -- gathering ----------------------------------------------------------------------------------


class _LastRun:
    """What a run-status lookup said about a flow's latest run; ``unreadable`` says why the lookup failed."""

    def __init__(self, run_id: int | None, status: str | None, message: str | None, unreadable: str | None = None) -> None:
        self.run_id = run_id
        self.status = status
        self.message = message
        self.unreadable = unreadable


class _Inventory:
    """The flows seen, as one merged FlowTree, plus latest-run statuses looked up for some of them."""

    def __init__(self) -> None:
        self.tree = FlowTree.parse({})
        self.last_run: dict[int, _LastRun] = {}

    def add(self, body: Any) -> list[FlowNode]:
        page = FlowTree.parse(body)
        self.tree.merge(page)
        return page.flows


async def _list_pages(
    client: Any, inventory: _Inventory, params: dict[str, Any], per_page: int, expected: int | None,
    progress: ProgressCallback,
) -> int:
    """Read ``/flows`` pages into the inventory; stop at a short page or once ``expected`` roots are in."""
    page, seen = 1, 0
    previous: set[int] | None = None
    while True:
        roots = inventory.add(await client.get("/flows", params={**params, "page": page, "per_page": per_page}))
        seen += len(roots)
        ids = {root.id for root in roots}
        await progress(ProgressEvent(step="list flows", message=f"page {page}: {len(roots)} flows"))
        if len(roots) < per_page or (expected is not None and seen >= expected):
            return page
        if previous is not None and ids == previous:
            raise NexlaError(
                f"GET /flows returned the same flows for pages {page - 1} and {page}; the server ignores paging",
                method="GET", path="/flows",
                hint="Select flows with flow ids or a config file instead of checking every flow.",
            )
        previous = ids
        page += 1


async def _list_all_flows(client: Any, request: HealthCheckRequest, inventory: _Inventory, progress: ProgressCallback) -> None:
    """Every flow the caller can reach, without run metrics (see :func:`_list_run_metrics`).

    Real Nexla's ``include_run_metrics=1`` listing leaves out flows that never ran, so the
    inventory (elements, no metrics) is read on its own, in large pages.
    """
    await _list_pages(client, inventory, {"access_role": request.access_role}, INVENTORY_PAGE_SIZE, None, progress)


async def _list_run_metrics(client: Any, request: HealthCheckRequest, inventory: _Inventory, progress: ProgressCallback) -> None:
    """The run metrics of the listed flows that ran; the listing stops as soon as it has seen
    every flow, which saves the empty page an exact multiple would cost."""
    total = len(inventory.tree.flows)
    if total:
        inventory.tree.metrics = []
        params = {"access_role": request.access_role, "include_run_metrics": 1}
        await _list_pages(client, inventory, params, request.per_page, total, progress)


async def _fetch_selection(
    client: Any, request: HealthCheckRequest, inventory: _Inventory, progress: ProgressCallback
) -> tuple[set[int], list[str]]:
    """Fetch the selected flows directly; returns (root ids selected, selections not found)."""
    items: list[tuple[str, str]] = [(f"/flows/{fid}", f"flows:{fid}") for fid in request.flow_ids]
    items += [(f"/{ref.kind}/{ref.id}/flow", f"{ref.kind}:{ref.id}") for ref in request.resources]

    async def fetch(item: tuple[str, str]) -> Any:
        return await client.get(item[0], params={"include_run_metrics": 1})

    results = await client.fan_out(fetch, items, concurrency=request.concurrency)
    selected: set[int] = set()
    missing: list[str] = []
    inventory.tree.metrics = []
    for (_, label), result in zip(items, results, strict=True):
        if isinstance(result, BaseException):
            if getattr(result, "status", None) == 404:
                missing.append(label)
                continue
            raise result
        roots = inventory.add(result)
        if not roots:
            missing.append(label)
        selected.update(root.id for root in roots)
    await progress(ProgressEvent(step="fetch flows", message=f"{len(selected)} selected flows fetched"))
    return selected, missing


def _select_roots(inventory: _Inventory, request: HealthCheckRequest) -> tuple[set[int], list[str]]:
    """Root ids matching the selection in a full listing, plus selections not found."""
    tree = inventory.tree
    if not request.flow_ids and not request.resources:
        return {root.id for root in tree.flows}, []
    selected: set[int] = set()
    missing: list[str] = []
    for fid in request.flow_ids:
        root = tree.root_of(fid)
        if root is None:
            missing.append(f"flows:{fid}")
        else:
            selected.add(root.id)
    for ref in request.resources:
        roots = tree.roots_with(parse_flow_kind(ref.kind), ref.id)
        if not roots:
            missing.append(f"{ref.kind}:{ref.id}")
        selected.update(root.id for root in roots)
    return selected, missing


async def _fill_missing_objects(client: Any, inventory: _Inventory, roots: list[FlowNode], per_page: int) -> None:
    """When trees came without full objects, list sources and sinks page by page (O(N/page) calls)."""
    for kind in (ResourceKind.SOURCES, ResourceKind.DESTINATIONS):
        needed = {res[1] for root in roots for node in root.walk() if (res := node.resource) and res[0] == kind}
        have = {item.id for item in getattr(inventory.tree, kind.value)}
        if needed - have:
            extra = [FlowElement.model_validate(item) async for item in client.paginate(kind.path, per_page=per_page)]
            getattr(inventory.tree, kind.value).extend(item for item in extra if item.id not in have)


def _runs_of(inventory: _Inventory, root: FlowNode) -> dict[int | None, dict[str, Any]]:
    """The flow's metric rows collapsed per run id: records, errors and the latest reporting time."""
    runs: dict[int | None, dict[str, Any]] = {}
    for row in inventory.tree.metrics_of(root):
        run = runs.setdefault(row.run_id, {"records": 0, "errors": 0, "at": None, "status": None})
        run["records"] += row.records
        run["errors"] += row.errors
        moment = to_datetime(row.reporting_date)
        if moment and (run["at"] is None or moment > run["at"]):
            run["at"] = moment
        run["status"] = row.status or run["status"]
    return runs


def _open_last_runs(inventory: _Inventory, roots: list[FlowNode], *, suspicious_only: bool) -> list[tuple[FlowNode, int]]:
    """(root, latest run id) of flows whose latest run has no status in the flow metrics.

    Flow metrics carry records and errors but no status: a failed run and an idle one both show
    zero records, and a run that failed (at a sink, say) may still have read records without a
    single record error. ``suspicious_only`` keeps the runs that read nothing or reported errors:
    the only ones a run summary (which has no status either) can say more about.
    """
    wanted = []
    for root in roots:
        runs = {k: v for k, v in _runs_of(inventory, root).items() if k is not None}
        if not runs or root.data_source_id is None:
            continue
        last_id = max(runs)
        last = runs[last_id]
        if last["status"] is None and (not suspicious_only or last["records"] == 0 or last["errors"] > 0):
            wanted.append((root, last_id))
    return wanted


def _first(row: dict[str, Any], *keys: str) -> Any:
    return next((row[key] for key in keys if row.get(key) is not None), None)


async def _health_endpoint(
    client: Any, inventory: _Inventory, wanted: list[tuple[FlowNode, int]], access_role: str
) -> bool:
    """Latest-run health of every flow from Nexla's monitoring endpoint; False when it is not served.

    Rows are read in either spelling: nexla-sdk's (``origin_node_id``, ``healthStatus``
    GREEN/YELLOW/RED, ``latestRunId``, ``errorSummary``) or snake_case (``flow_id``,
    ``health_status`` HEALTHY/WARNING/UNHEALTHY, ``last_run_id``, ``last_run_status``).
    """
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        try:
            body = await client.get(HEALTH_FLOWS_PATH, params={
                "page": page, "size": INVENTORY_PAGE_SIZE, "access_role": access_role})
        except NexlaError as error:
            if error.status in (404, 405, 501) and page == 1:
                return False
            raise
        found = body.get("data", body.get("flows")) if isinstance(body, dict) else body
        found = [row for row in found or [] if isinstance(row, dict)]
        rows += found
        meta = body.get("meta") if isinstance(body, dict) else None
        pages = _first(meta, "pages_count", "page_count", "pageCount") if isinstance(meta, dict) else None
        if len(found) < INVENTORY_PAGE_SIZE or (pages is not None and page >= int(pages)):
            break
        page += 1
    by_origin = {int(node): row for row in rows if str(node := _first(row, "origin_node_id", "flow_id")).isdigit()}
    for root, last_id in wanted:
        row = by_origin.get(root.id)
        if row is None:
            continue
        run_id = _first(row, "latestRunId", "latest_run_id", "last_run_id")
        if run_id is not None and int(run_id) != last_id:
            continue
        health = str(_first(row, "healthStatus", "health_status") or "").upper()
        status = _first(row, "last_run_status", "latestRunStatus") or ("FAILED" if health in _RED else "SUCCESS")
        summary = _first(row, "errorSummary", "error_summary", "error_message")
        inventory.last_run[root.id] = _LastRun(last_id, str(status), scrub_text(str(summary)) if summary else None)
    return True


def _unreadable(inventory: _Inventory, wanted: list[tuple[FlowNode, int]], error: BaseException) -> None:
    """The lookup failed: these flows' latest-run status is unknown, not assumed (see :func:`_judge`)."""
    why = error.message if isinstance(error, NexlaError) else type(error).__name__
    for root, last_id in wanted:
        inventory.last_run[root.id] = _LastRun(last_id, None, None, unreadable=why)


async def _fill_last_run_status(
    client: Any, inventory: _Inventory, roots: list[FlowNode], concurrency: int, access_role: str
) -> None:
    """Look up the latest run's status of the flows that ran: every one of them through the
    monitoring endpoint (one call) when served, else one run-summary read per flow whose run read
    nothing or reported errors, in parallel within the client's rate limit. A lookup that fails
    leaves those flows' status unknown (an outage must not read as a failed or a good run)."""
    wanted = _open_last_runs(inventory, roots, suspicious_only=False)
    if not wanted:
        return
    try:
        if await _health_endpoint(client, inventory, wanted, access_role):
            return
    except NexlaError as error:
        _unreadable(inventory, wanted, error)
        return
    wanted = _open_last_runs(inventory, roots, suspicious_only=True)

    async def fetch(item: tuple[FlowNode, int]) -> Any:
        return await client.get(
            f"/data_sources/{item[0].data_source_id}/metrics/run_summary",
            params={"groupby": "runId", "orderby": "runId", "page": 1, "size": 5},
        )

    for (root, last_id), body in zip(wanted, await client.fan_out(fetch, wanted, concurrency=concurrency), strict=True):
        if isinstance(body, BaseException):
            _unreadable(inventory, [(root, last_id)], body)
            continue
        run = next((r for r in parse_run_page(body).runs if r.run_id == last_id), None)
        # Real run summaries carry no status: errors and nothing read there is a failed run.
        status = run.status or ("FAILED" if run.failed else None) if run is not None else None
        if run is not None and status:
            inventory.last_run[root.id] = _LastRun(last_id, status, run.error_message)


async def _probe_all(
    client: Any, inventory: _Inventory, users: dict[int, list[int]], concurrency: int, progress: ProgressCallback
) -> dict[int, CredentialHealth]:
    ids = sorted(users)
    if not ids:
        return {}
    await progress(ProgressEvent(step="probe credentials", message=f"probing {len(ids)} credentials", current=0, total=len(ids)))

    async def probe(cred_id: int) -> Any:
        return await client.get(f"/data_credentials/{cred_id}/probe")

    results = dict(zip(ids, await client.fan_out(probe, ids, concurrency=concurrency), strict=True))
    # A probe the outage answered (after the client's own retries) is asked once more, after the
    # others: a short outage in the middle of a check should not leave a credential unknown.
    again = [i for i in ids if (v := probe_verdict(i, results[i])).verdict == "unknown" and v.retryable]
    if again:
        results.update(zip(again, await client.fan_out(probe, again, concurrency=concurrency), strict=True))
    out: dict[int, CredentialHealth] = {}
    for cred_id, result in results.items():
        element = inventory.tree.element(ResourceKind.CREDENTIALS, cred_id)
        verdict: Probe = probe_verdict(cred_id, result)
        out[cred_id] = CredentialHealth(
            id=cred_id, name=element.name if element else None, ok=verdict.passed, verdict=verdict.verdict,
            retryable=verdict.retryable, message=verdict.message, used_by_flows=users[cred_id],
        )
    await progress(ProgressEvent(step="probe credentials", message="done", current=len(ids), total=len(ids)))
    return out


# -- judging ------------------------------------------------------------------------------------


def _schedule(source: FlowElement | None) -> str | None:
    if source is None:
        return None
    config = source.source_config or {}
    poll = source.poll_schedule
    candidates = [
        config.get("start.cron"),
        (config.get("start") or {}).get("cron") if isinstance(config.get("start"), dict) else None,
        config.get("cron"),
        config.get("schedule"),
        poll if isinstance(poll, str) else None,
        poll.get("cron") if isinstance(poll, dict) else None,
    ]
    return next((c for c in candidates if isinstance(c, str) and croniter.is_valid(c)), None)


def _interval_s(cron: str, now: datetime) -> float:
    it = croniter(cron, now)
    latest = it.get_prev(datetime)
    before = it.get_prev(datetime)
    return max((latest - before).total_seconds(), 1.0)


def _judge(
    root: FlowNode,
    inventory: _Inventory,
    thresholds: HealthThresholds,
    credentials: dict[int, CredentialHealth],
    now: datetime,
) -> FlowHealth:
    tree = inventory.tree
    source = tree.source_of(root)
    status = tree.status_of(root)
    findings: list[tuple[Verdict, str]] = []

    def find(verdict: Verdict, reason: str) -> None:
        findings.append((verdict, reason))

    if status in BAD_STATUSES:
        find("critical", f"flow status is {status}")
    elif status in PAUSED_STATUSES:
        find(thresholds.paused, "flow is paused")
    elif status in NEW_STATUSES:
        find("warning", f"flow was never activated (status {status})")

    paused, errored = [], []
    for node in root.walk():
        resource = node.resource
        if resource is None or node is root:
            continue
        label = f"{resource[0].value}/{resource[1]}"
        if node.state in BAD_STATUSES:
            errored.append(label)
        elif node.state in PAUSED_STATUSES and status not in PAUSED_STATUSES:
            paused.append(label)
    if errored:
        find("critical", f"resources in ERROR: {', '.join(errored)}")
    if paused:
        find("warning", f"resources paused in an active flow: {', '.join(paused)}")

    cred_ids = tree.credential_ids(root)
    for cred_id in cred_ids:
        probe = credentials.get(cred_id)
        if probe is None:
            continue
        if probe.verdict == "failed":
            find("critical", f"credential {cred_id} failed its probe: {probe.message}")
        elif probe.verdict == "unknown" and probe.retryable:
            find("unknown", f"credential {cred_id} could not be probed now (retry later): {probe.message}")

    runs = _runs_of(inventory, root)
    numbered = {run_id: run for run_id, run in runs.items() if run_id is not None}
    last_id = max(numbered) if numbered else None
    last_at = max((run["at"] for run in runs.values() if run["at"]), default=None)
    window_start = now - timedelta(seconds=thresholds.window_s)
    in_window = [run for run in runs.values() if run["at"] is not None and run["at"] >= window_start]
    records = sum(run["records"] for run in in_window)
    errors = sum(run["errors"] for run in in_window)
    rate = errors / (records + errors) if records + errors else None

    if last_id is not None:
        last = numbered[last_id]
        looked_up = inventory.last_run.get(root.id)
        last_status = str(last["status"] or (looked_up.status if looked_up else None) or "").upper()
        message = looked_up.message if looked_up else None
        if not last_status and looked_up is not None and looked_up.unreadable:
            # The status lookup failed: neither "failed" nor "fine" may be guessed from the counts.
            find("unknown", f"last run {last_id}: its status could not be read now (retry later): "
                            f"{scrub_text(looked_up.unreadable)}")
        # A failed run is critical whatever it read; without any status, errors and nothing read is a failure.
        elif last_status in BAD_STATUSES or (not last_status and last["errors"] and not last["records"]):
            detail = f": {scrub_text(message)}" if message else f" ({last['errors']} errors, {last['records']} records)"
            find("critical", f"last run {last_id} failed{detail}")
    if rate is not None and rate > thresholds.critical_error_rate:
        find("critical", f"error rate {rate:.1%} in the window is above {thresholds.critical_error_rate:.1%}")
    elif rate is not None and rate > thresholds.warn_error_rate:
        find("warning", f"error rate {rate:.1%} in the window is above {thresholds.warn_error_rate:.1%}")
    if thresholds.min_records is not None and records < thresholds.min_records:
        find("warning", f"{records} records in the window, fewer than the minimum {thresholds.min_records}")

    cron = _schedule(source)
    interval = _interval_s(cron, now) if cron else None
    age = (now - last_at).total_seconds() if last_at else None
    running = status not in PAUSED_STATUSES | NEW_STATUSES
    if age is not None and running:
        if thresholds.max_age_s is not None:
            if age > 2 * thresholds.max_age_s:
                find("critical", f"last run {_human(age)} ago, more than twice the max age {_human(thresholds.max_age_s)}")
            elif age > thresholds.max_age_s:
                find("warning", f"last run {_human(age)} ago, more than the max age {_human(thresholds.max_age_s)}")
        elif interval is not None:
            if age > thresholds.critical_intervals * interval:
                find("critical", f"last run {_human(age)} ago: {age / interval:.1f} schedule intervals ({cron})")
            elif age > thresholds.warn_intervals * interval:
                find("warning", f"last run {_human(age)} ago: {age / interval:.1f} schedule intervals ({cron})")
    elif last_at is None and running:
        find("warning", "no run recorded yet (the flow never ran)")

    verdict: Verdict = max((v for v, _ in findings), key=lambda v: VERDICT_RANK[v], default="healthy")
    return FlowHealth(
        flow_id=root.id,
        name=root.name or (source.name if source else None),
        status=status,
        verdict=verdict,
        reasons=[reason for v, reason in sorted(findings, key=lambda f: -VERDICT_RANK[f[0]]) if v != "healthy"],
        source_id=root.data_source_id,
        schedule=cron,
        expected_interval_s=interval,
        last_run_at=last_at,
        last_run_id=last_id,
        age_s=age,
        runs_in_window=len(in_window),
        records_in_window=records,
        errors_in_window=errors,
        error_rate=rate,
        paused_resources=paused,
        errored_resources=errored,
        credential_ids=cred_ids,
    )


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


# -- the operation ------------------------------------------------------------------------------


async def check_health(
    client: Any, request: HealthCheckRequest, progress: ProgressCallback = no_progress
) -> HealthReport:
    """Check the selected flows (default: all) and return per-flow verdicts with reasons.

    See the module docstring for the rules, the exit code and the request-count bound. When
    ``alert_webhook`` is set and the overall verdict reaches ``alert_on``, a JSON summary is
    POSTed to it; a failed alert is reported in ``alert`` and never hides the verdict.
    """
    now = datetime.now(UTC)
    inventory = _Inventory()
    selection_size = len(request.flow_ids) + len(request.resources)
    direct = 0 < selection_size <= DIRECT_SELECTION_LIMIT
    if direct:
        selected, missing = await _fetch_selection(client, request, inventory, progress)
    else:
        await _list_all_flows(client, request, inventory, progress)
        selected, missing = _select_roots(inventory, request)
    roots = sorted((root for root in inventory.tree.flows if root.id in selected), key=lambda root: root.id)
    await _fill_missing_objects(client, inventory, roots, request.per_page)

    users: dict[int, list[int]] = {}
    for root in roots:
        for cred_id in inventory.tree.credential_ids(root):
            users.setdefault(cred_id, []).append(root.id)

    async def runs() -> None:
        if not direct:
            await _list_run_metrics(client, request, inventory, progress)
        await _fill_last_run_status(client, inventory, roots, request.concurrency, request.access_role)

    async def probes() -> dict[int, CredentialHealth]:
        if not request.thresholds.probe_credentials:
            return {}
        return await _probe_all(client, inventory, users, request.concurrency, progress)

    # The probes need only the inventory: they run while the run metrics and statuses are read,
    # so a check takes the longer of the two, not their sum (under 429s and backoffs, seconds).
    probing = asyncio.ensure_future(probes())
    try:
        await runs()
    except BaseException:
        probing.cancel()
        raise
    credentials = await probing

    flows = []
    for root in roots:
        thresholds = request.thresholds
        override = request.overrides.get(root.id)
        if override:
            thresholds = HealthThresholds.model_validate({**thresholds.model_dump(), **threshold_fields(override)})
        flows.append(_judge(root, inventory, thresholds, credentials, now))
    counts = {verdict: sum(1 for flow in flows if flow.verdict == verdict) for verdict in VERDICT_RANK}
    overall: Verdict = max((flow.verdict for flow in flows), key=lambda v: VERDICT_RANK[v], default="healthy")
    if missing and overall == "healthy":
        overall = "warning"
    flows.sort(key=lambda flow: (-VERDICT_RANK[flow.verdict], flow.flow_id))
    report = HealthReport(
        checked_at=now,
        overall=overall,
        fail_on=request.fail_on,
        counts=counts,
        flows_checked=len(flows),
        flows=flows[: request.max_flows_listed],
        truncated=len(flows) > request.max_flows_listed,
        missing=missing,
        credentials=sorted(credentials.values(), key=lambda c: c.id),
        thresholds=request.thresholds,
        retryable=any(flow.verdict == "unknown" for flow in flows),
    )
    tally = ", ".join(f"{counts.get(verdict, 0)} {verdict}" for verdict in ("critical", "unknown", "warning", "healthy"))
    await progress(ProgressEvent(step="verdict", message=f"{overall} ({tally})"))
    if request.alert_webhook is not None and should_alert(request.alert_on, overall):
        url = request.alert_webhook.get_secret_value()
        report.alert = await send_alert(url, alert_payload(report))
        await progress(ProgressEvent(step="alert", message="delivered" if report.alert.delivered else str(report.alert.error)))
    elif request.alert_webhook is not None:
        report.alert = AlertOutcome(attempted=False)
    return report


def request_bound(
    flows: int, per_page: int, credentials: int, suspicious_runs: int = 0, constant: int = 1, ran_flows: int = 0
) -> int:
    """The upper bound on API requests of a full check: the inventory pages, the run-metrics pages
    (the metrics listing stops once it has seen every flow), one probe per distinct credential,
    the latest-run lookups (one monitoring call when any flow ran, ``ran_flows``; when the server
    lacks it, also one run-summary read per flow whose run read nothing or reported errors:
    ``suspicious_runs``), plus ``constant`` (authentication)."""
    inventory_pages = math.floor(flows / INVENTORY_PAGE_SIZE) + 1
    metric_pages = max(1, math.ceil(flows / per_page)) if flows else 0
    lookups = 0 if not (ran_flows or suspicious_runs) else 1 + suspicious_runs
    return inventory_pages + metric_pages + credentials + lookups + constant


__all__ = [
    "AlertOutcome",
    "CredentialHealth",
    "FlowHealth",
    "HealthCheckRequest",
    "HealthConfig",
    "HealthReport",
    "HealthThresholds",
    "ResourceRef",
    "alert_payload",
    "check_health",
    "load_health_config",
    "parse_duration",
    "request_bound",
    "send_alert",
]
