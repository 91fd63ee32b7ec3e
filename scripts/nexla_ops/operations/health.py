"""Health of every flow (or a selection): status, run freshness, error rate, credentials; optional alert.

How it scales: flows are read page by page from ``GET /flows?include_run_metrics=1`` (each page is
a flow tree carrying the flows' sources, nexsets, sinks, credentials and per-run metrics), so N
flows cost floor(N / per_page) + 1 list calls. Credentials are probed once each, with bounded
concurrency (``client.fan_out``). The only per-flow call is one run-summary read, concurrent and
bounded, for a flow whose latest run wrote no records or reported errors (flow metrics carry no
run status, so a failed run and an idle one look alike). Nothing is fetched per flow in sequence.
A small selection of flow ids or resource ids is fetched directly instead (one call per item).
See :func:`request_bound`.

Verdict rules per flow (the worst rule that fires wins):

* critical: the flow or any of its resources is in ERROR/FAILED; a credential it uses fails its
  probe; the last run failed (errors and no records); the error rate in the window exceeds
  ``critical_error_rate``; the last run is older than ``critical_intervals`` schedule intervals
  (or than 2 x ``max_age`` when ``max_age`` is set).
* warning: the flow is paused (``paused`` setting) or was never activated, or some resource in it
  is paused; the last run is older than ``warn_intervals`` intervals (or ``max_age``); no run yet;
  the error rate exceeds ``warn_error_rate``; fewer records than ``min_records`` in the window.

Exit code: :attr:`HealthReport.exit_code` is 5 when any flow is critical, and also when any flow
is at warning if ``fail_on="warning"``; 1 when the flows pass but a requested alert could not be
delivered; otherwise 0. Warnings alone exit 0 by default so that a paused flow does not page
anyone from cron.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

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
from nexla_ops.operations.metrics import to_datetime
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress
from nexla_ops.redaction import scrub_text

_BAD_STATUSES = {"ERROR", "FAILED", "SUSPENDED"}
_PAUSED_STATUSES = {"PAUSED", "STOPPED"}
_NEW_STATUSES = {"INIT", "DRAFT"}
# Up to this many selected ids are fetched one by one (concurrently) instead of listing every flow.
DIRECT_SELECTION_LIMIT = 20


# -- gathering ----------------------------------------------------------------------------------


class _Inventory:
    """Everything the flow trees told us, merged across pages and indexed by id."""

    def __init__(self) -> None:
        self.roots: dict[int, dict[str, Any]] = {}
        kinds = ("data_sources", "data_sets", "data_sinks", "data_credentials")
        self.objects: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in kinds}
        self.metrics: dict[int, list[dict[str, Any]]] = {}
        self.metrics_seen = False
        # root id -> (status, error message) of its latest run, read from the run summary when the
        # flow metrics could not tell a failed run from an idle one.
        self.last_run_status: dict[int, tuple[str | None, str | None]] = {}

    def add_tree(self, tree: dict[str, Any]) -> list[dict[str, Any]]:
        roots = [node for node in tree.get("flows") or [] if isinstance(node, dict)]
        for node in roots:
            self.roots[int(node["id"])] = node
        for key, index in self.objects.items():
            for item in tree.get(key) or []:
                if isinstance(item, dict) and "id" in item:
                    index[int(item["id"])] = item
        if "metrics" in tree:
            self.metrics_seen = True
            for row in tree.get("metrics") or []:
                if isinstance(row, dict) and row.get("origin_node_id") is not None:
                    self.metrics.setdefault(int(row["origin_node_id"]), []).append(row)
        return roots


async def _list_all_flows(client: Any, request: HealthCheckRequest, inventory: _Inventory, progress: ProgressCallback) -> None:
    page = 1
    previous: set[int] | None = None
    while True:
        tree = await client.get("/flows", params={"include_run_metrics": 1, "page": page, "per_page": request.per_page})
        roots = inventory.add_tree(tree or {})
        ids = {int(node["id"]) for node in roots}
        await progress(ProgressEvent(step="list flows", message=f"page {page}: {len(roots)} flows ({len(inventory.roots)} so far)"))
        if len(roots) < request.per_page:
            return
        if previous is not None and ids == previous:
            raise NexlaError(
                f"GET /flows returned the same flows for pages {page - 1} and {page}; the server ignores paging",
                method="GET",
                path="/flows",
                hint="Select flows with flow ids or a config file instead of checking every flow.",
            )
        previous = ids
        page += 1


async def _fetch_selection(
    client: Any, request: HealthCheckRequest, inventory: _Inventory, progress: ProgressCallback
) -> tuple[set[int], list[str]]:
    """Fetch the selected flows directly; returns (root ids selected, selections not found)."""
    items: list[tuple[str, str]] = [(f"/flows/{fid}", f"flows:{fid}") for fid in request.flow_ids]
    items += [(f"/{ref.kind}/{ref.id}/flow", f"{ref.kind}:{ref.id}") for ref in request.resources]

    async def fetch(item: tuple[str, str]) -> dict[str, Any]:
        return await client.get(item[0], params={"include_run_metrics": 1})

    results = await client.fan_out(fetch, items, concurrency=request.concurrency)
    selected: set[int] = set()
    missing: list[str] = []
    for (_, label), result in zip(items, results, strict=True):
        if isinstance(result, BaseException):
            if getattr(result, "status", None) == 404:
                missing.append(label)
                continue
            raise result
        roots = inventory.add_tree(result or {})
        if not roots:
            missing.append(label)
        selected.update(int(node["id"]) for node in roots)
    await progress(ProgressEvent(step="fetch flows", message=f"{len(selected)} selected flows fetched"))
    return selected, missing


def _walk(node: dict[str, Any]) -> Iterable[dict[str, Any]]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.get("children") or [])


def _node_resource(node: dict[str, Any]) -> tuple[str, int] | None:
    for kind, key in (("data_sources", "data_source_id"), ("data_sets", "data_set_id"), ("data_sinks", "data_sink_id")):
        if node.get(key) is not None:
            return kind, int(node[key])
    return None


def _select_roots(inventory: _Inventory, request: HealthCheckRequest) -> tuple[set[int], list[str]]:
    """Root ids matching the selection in a full listing, plus selections not found."""
    if not request.flow_ids and not request.resources:
        return set(inventory.roots), []
    wanted_nodes = set(request.flow_ids)
    wanted_resources = {(ref.kind, ref.id) for ref in request.resources}
    selected: set[int] = set()
    found_nodes: set[int] = set()
    found_resources: set[tuple[str, int]] = set()
    for root_id, root in inventory.roots.items():
        for node in _walk(root):
            resource = _node_resource(node)
            if node.get("id") in wanted_nodes:
                selected.add(root_id)
                found_nodes.add(int(node["id"]))
            if resource in wanted_resources:
                selected.add(root_id)
                found_resources.add(resource)  # type: ignore[arg-type]
    missing = [f"flows:{fid}" for fid in request.flow_ids if fid not in found_nodes]
    missing += [f"{kind}:{rid}" for kind, rid in sorted(wanted_resources - found_resources)]
    return selected, missing


async def _fill_missing_objects(client: Any, inventory: _Inventory, roots: list[dict[str, Any]], per_page: int) -> None:
    """When trees came without full objects, list sources and sinks page by page (O(N/page) calls)."""
    for kind, key in (("data_sources", "data_source_id"), ("data_sinks", "data_sink_id")):
        needed = {node[key] for root in roots for node in _walk(root) if node.get(key) is not None}
        if needed - set(inventory.objects[kind]):
            async for item in client.paginate(f"/{kind}", per_page=per_page):
                inventory.objects[kind][int(item["id"])] = item


async def _fill_missing_metrics(client: Any, inventory: _Inventory, roots: list[dict[str, Any]], concurrency: int) -> None:
    """When trees came without run metrics, read each flow's run summary (bounded concurrency)."""
    sources = [(int(root["id"]), int(root["data_source_id"])) for root in roots if root.get("data_source_id")]

    async def fetch(item: tuple[int, int]) -> Any:
        return await client.get(f"/data_sources/{item[1]}/metrics/run_summary", params={"groupby": "runId", "size": 100})

    for (root_id, _), body in zip(sources, await client.fan_out(fetch, sources, concurrency=concurrency), strict=True):
        if isinstance(body, BaseException):
            continue
        metrics = (body or {}).get("metrics") or {}
        for row in (metrics.get("data") if isinstance(metrics, dict) else metrics) or []:
            inventory.metrics.setdefault(root_id, []).append(
                {
                    "origin_node_id": root_id,
                    "run_id": row.get("runId"),
                    "records": row.get("records"),
                    "errors": row.get("errors"),
                    "reporting_date": row.get("lastWritten") or row.get("endTime"),
                }
            )


async def _fill_last_run_status(client: Any, inventory: _Inventory, roots: list[dict[str, Any]], concurrency: int) -> None:
    """Read the status of each flow's latest run when its metrics leave it open.

    Flow metrics carry records and errors but usually no status: a failed run and an idle run both
    show zero records. Only flows whose latest run wrote nothing or reported errors are looked up,
    one run-summary call each, with bounded concurrency.
    """
    wanted: list[tuple[int, int, int]] = []
    for root in roots:
        runs = {k: v for k, v in _runs(inventory.metrics.get(int(root["id"]), [])).items() if k is not None}
        if not runs or not root.get("data_source_id"):
            continue
        last_id = max(runs)
        last = runs[last_id]
        if last["status"] is None and (last["records"] == 0 or last["errors"] > 0):
            wanted.append((int(root["id"]), int(root["data_source_id"]), last_id))
    if not wanted:
        return

    async def fetch(item: tuple[int, int, int]) -> Any:
        return await client.get(
            f"/data_sources/{item[1]}/metrics/run_summary",
            params={"groupby": "runId", "orderby": "runId", "page": 1, "size": 5},
        )

    for (root_id, _, last_id), body in zip(wanted, await client.fan_out(fetch, wanted, concurrency=concurrency), strict=True):
        if isinstance(body, BaseException):
            continue
        metrics = (body or {}).get("metrics") or {}
        rows = (metrics.get("data") if isinstance(metrics, dict) else metrics) or []
        row = next((r for r in rows if r.get("runId", r.get("run_id")) == last_id), None)
        if row is not None and row.get("status"):
            inventory.last_run_status[root_id] = (str(row["status"]), row.get("error_message"))


def _credential_ids(inventory: _Inventory, root: dict[str, Any]) -> list[int]:
    ids: set[int] = set()
    for node in _walk(root):
        resource = _node_resource(node)
        if resource is None or resource[0] == "data_sets":
            continue
        item = inventory.objects[resource[0]].get(resource[1]) or {}
        cred = item.get("data_credentials_id") or (item.get("data_credentials") or {}).get("id")
        if isinstance(cred, int):
            ids.add(cred)
    return sorted(ids)


async def _probe_all(
    client: Any, inventory: _Inventory, users: dict[int, list[int]], concurrency: int, progress: ProgressCallback
) -> dict[int, CredentialHealth]:
    ids = sorted(users)
    if not ids:
        return {}
    await progress(ProgressEvent(step="probe credentials", message=f"probing {len(ids)} credentials", current=0, total=len(ids)))

    async def probe(cred_id: int) -> Any:
        return await client.get(f"/data_credentials/{cred_id}/probe")

    results = await client.fan_out(probe, ids, concurrency=concurrency)
    out: dict[int, CredentialHealth] = {}
    for cred_id, result in zip(ids, results, strict=True):
        name = (inventory.objects["data_credentials"].get(cred_id) or {}).get("name")
        if isinstance(result, BaseException):
            message = result.message if isinstance(result, NexlaError) else type(result).__name__
            ok = False
        else:
            body = result if isinstance(result, dict) else {}
            status = str(body.get("status") or "success").lower()
            # "success" with connection_verified false means accepted but not checkable (e.g. an
            # unsupported connector): not a failure.
            ok = status in {"ok", "success", "verified"}
            message = scrub_text(str(body.get("message") or status))
        out[cred_id] = CredentialHealth(id=cred_id, name=name, ok=ok, message=message, used_by_flows=users[cred_id])
    await progress(ProgressEvent(step="probe credentials", message="done", current=len(ids), total=len(ids)))
    return out


# -- judging ------------------------------------------------------------------------------------


def _schedule(source: dict[str, Any]) -> str | None:
    config = source.get("source_config") or {}
    candidates = [
        config.get("start.cron"),
        (config.get("start") or {}).get("cron") if isinstance(config.get("start"), dict) else None,
        config.get("cron"),
        config.get("schedule"),
        source.get("poll_schedule") if isinstance(source.get("poll_schedule"), str) else None,
        (source.get("poll_schedule") or {}).get("cron") if isinstance(source.get("poll_schedule"), dict) else None,
    ]
    return next((c for c in candidates if isinstance(c, str) and croniter.is_valid(c)), None)


def _interval_s(cron: str, now: datetime) -> float:
    it = croniter(cron, now)
    latest = it.get_prev(datetime)
    before = it.get_prev(datetime)
    return max((latest - before).total_seconds(), 1.0)


def _runs(rows: list[dict[str, Any]]) -> dict[int | None, dict[str, Any]]:
    """Metric rows collapsed per run id: records, errors and the latest reporting time."""
    runs: dict[int | None, dict[str, Any]] = {}
    for row in rows:
        run_id = row.get("run_id", row.get("runId"))
        key = int(run_id) if run_id is not None else None
        run = runs.setdefault(key, {"records": 0, "errors": 0, "at": None, "status": None})
        run["records"] += int(row.get("records") or 0)
        run["errors"] += int(row.get("errors") or 0)
        moment = to_datetime(row.get("reporting_date") or row.get("lastWritten"))
        if moment and (run["at"] is None or moment > run["at"]):
            run["at"] = moment
        run["status"] = row.get("status") or run["status"]
    return runs


def _judge(
    root: dict[str, Any],
    inventory: _Inventory,
    thresholds: HealthThresholds,
    credentials: dict[int, CredentialHealth],
    now: datetime,
) -> FlowHealth:
    flow_id = int(root["id"])
    source_id = root.get("data_source_id")
    source = inventory.objects["data_sources"].get(int(source_id)) if source_id else None
    status = str(root.get("status") or (source or {}).get("status") or "").upper() or None
    findings: list[tuple[Verdict, str]] = []

    def find(verdict: Verdict, reason: str) -> None:
        findings.append((verdict, reason))

    if status in _BAD_STATUSES:
        find("critical", f"flow status is {status}")
    elif status in _PAUSED_STATUSES:
        find(thresholds.paused, "flow is paused")
    elif status in _NEW_STATUSES:
        find("warning", f"flow was never activated (status {status})")

    paused, errored = [], []
    for node in _walk(root):
        resource = _node_resource(node)
        if resource is None or node is root:
            continue
        node_status = str(node.get("status") or "").upper()
        label = f"{resource[0]}/{resource[1]}"
        if node_status in _BAD_STATUSES:
            errored.append(label)
        elif node_status in _PAUSED_STATUSES and status not in _PAUSED_STATUSES:
            paused.append(label)
    if errored:
        find("critical", f"resources in ERROR: {', '.join(errored)}")
    if paused:
        find("warning", f"resources paused in an active flow: {', '.join(paused)}")

    cred_ids = _credential_ids(inventory, root)
    for cred_id in cred_ids:
        probe = credentials.get(cred_id)
        if probe is not None and not probe.ok:
            find("critical", f"credential {cred_id} failed its probe: {probe.message}")

    runs = _runs(inventory.metrics.get(flow_id, []))
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
        looked_up, message = inventory.last_run_status.get(flow_id, (None, None))
        last_status = str(last["status"] or looked_up or "").upper()
        if last_status in _BAD_STATUSES or (not last_status and last["errors"] and not last["records"]):
            detail = f": {scrub_text(message)}" if message else f" ({last['errors']} errors, {last['records']} records)"
            find("critical", f"last run {last_id} failed{detail}")
    if rate is not None and rate > thresholds.critical_error_rate:
        find("critical", f"error rate {rate:.1%} in the window is above {thresholds.critical_error_rate:.1%}")
    elif rate is not None and rate > thresholds.warn_error_rate:
        find("warning", f"error rate {rate:.1%} in the window is above {thresholds.warn_error_rate:.1%}")
    if thresholds.min_records is not None and records < thresholds.min_records:
        find("warning", f"{records} records in the window, fewer than the minimum {thresholds.min_records}")

    cron = _schedule(source or {})
    interval = _interval_s(cron, now) if cron else None
    age = (now - last_at).total_seconds() if last_at else None
    running = status not in _PAUSED_STATUSES | _NEW_STATUSES
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
        find("warning", "no run recorded yet")

    verdict: Verdict = max((v for v, _ in findings), key=lambda v: VERDICT_RANK[v], default="healthy")
    return FlowHealth(
        flow_id=flow_id,
        name=root.get("name") or (source or {}).get("name"),
        status=status,
        verdict=verdict,
        reasons=[reason for v, reason in sorted(findings, key=lambda f: -VERDICT_RANK[f[0]]) if v != "healthy"],
        source_id=int(source_id) if source_id else None,
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
    if 0 < selection_size <= DIRECT_SELECTION_LIMIT:
        selected, missing = await _fetch_selection(client, request, inventory, progress)
    else:
        await _list_all_flows(client, request, inventory, progress)
        selected, missing = _select_roots(inventory, request)
    roots = [inventory.roots[root_id] for root_id in sorted(selected)]
    await _fill_missing_objects(client, inventory, roots, request.per_page)
    if roots and not inventory.metrics_seen:
        await _fill_missing_metrics(client, inventory, roots, request.concurrency)
    await _fill_last_run_status(client, inventory, roots, request.concurrency)

    users: dict[int, list[int]] = {}
    for root in roots:
        for cred_id in _credential_ids(inventory, root):
            users.setdefault(cred_id, []).append(int(root["id"]))
    credentials = (
        await _probe_all(client, inventory, users, request.concurrency, progress) if request.thresholds.probe_credentials else {}
    )

    flows = []
    for root in roots:
        thresholds = request.thresholds
        override = request.overrides.get(int(root["id"]))
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
    )
    tally = ", ".join(f"{counts.get(verdict, 0)} {verdict}" for verdict in ("critical", "warning", "healthy"))
    await progress(ProgressEvent(step="verdict", message=f"{overall} ({tally})"))
    if request.alert_webhook is not None and should_alert(request.alert_on, overall):
        url = request.alert_webhook.get_secret_value()
        report.alert = await send_alert(url, alert_payload(report))
        await progress(ProgressEvent(step="alert", message="delivered" if report.alert.delivered else str(report.alert.error)))
    elif request.alert_webhook is not None:
        report.alert = AlertOutcome(attempted=False)
    return report


def request_bound(flows: int, per_page: int, credentials: int, suspicious_runs: int = 0, constant: int = 3) -> int:
    """The upper bound on API requests of a full check: the flow-list pages (one more when N is a
    multiple of per_page), one probe per distinct credential, one run-summary read per flow whose
    latest run wrote nothing or reported errors, plus ``constant`` (authentication)."""
    return math.floor(flows / per_page) + 1 + credentials + suspicious_runs + constant


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
