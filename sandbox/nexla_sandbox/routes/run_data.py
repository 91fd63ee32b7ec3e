"""Run data routes: samples, daily/run/flow metrics, run logs, run-now and the webhook.

Shapes follow Nexla's OpenAPI (`reference/nexla-openapi.json`); the rules are in
``nexla_sandbox.backend.metrics`` and ``nexla_sandbox.backend.webhooks``. The webhook is served at the
server root and authenticates with the source's key, not a bearer token.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from nexla_sandbox.backend import metrics, webhooks
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import flag, integer, page_window
from nexla_sandbox.routes.common import Ctx, route


def day(query: Any, name: str, required: bool) -> date | None:
    raw = query.get(name)
    if not raw:
        if required:
            raise bad_request(f"Query parameter '{name}' is required (YYYY-MM-DD)", name)
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise bad_request(f"Query parameter '{name}' must be a date like 2025-01-31", name) from None


def required_int(query: Any, name: str) -> int:
    value = integer(query, name, None)
    if value is None:
        raise bad_request(f"Query parameter '{name}' is required"
                          + (" (epoch milliseconds)" if name == "from" else ""), name)
    return value


def samples(ctx: Ctx) -> list[dict]:
    """Sample records of a nexset (``count``, ``include_metadata``; ``live`` is accepted: samples are always live)."""
    flag(ctx.query, "live")
    return metrics.samples(ctx, ctx.id(), integer(ctx.query, "count", 10, minimum=1) or 10,
                           flag(ctx.query, "include_metadata"))


def daily(ctx: Ctx) -> dict:
    """Records, size and errors per day (``from`` required, ``to`` optional)."""
    start = day(ctx.query, "from", True)
    assert start is not None  # required=True raises instead of answering None
    return metrics.daily(ctx, ctx.extras["kind"], ctx.id(), start, day(ctx.query, "to", False))


def run_summary(ctx: Ctx) -> dict:
    """One row per run, newest first (``orderby`` runId or lastWritten; ``page``, ``size``)."""
    page, size = page_window(ctx.query, "size")
    return metrics.run_summary(ctx, ctx.extras["kind"], ctx.id(), page, size, ctx.query.get("orderby") or "runId")


def flow_metrics(ctx: Ctx) -> dict:
    """Per-resource totals of the flow over a page of its runs (``from``, ``to``, ``page``, ``per_page``)."""
    page, per_page = page_window(ctx.query)
    return metrics.flow_metrics(ctx, ctx.extras["kind"], ctx.id(), day(ctx.query, "from", False),
                                day(ctx.query, "to", False), page, per_page)


def logs(ctx: Ctx) -> dict:
    """A run's log entries (``run_id`` and ``from`` in epoch ms required; ``to``, ``page``, ``per_page``)."""
    page, per_page = page_window(ctx.query)
    return metrics.logs(ctx, ctx.extras["kind"], ctx.id(), required_int(ctx.query, "run_id"),
                        required_int(ctx.query, "from"), integer(ctx.query, "to", None), page, per_page)


def run_now(ctx: Ctx) -> dict:
    """Run a source's flow now and answer the finished run."""
    return metrics.run_now(ctx, ctx.id())


def presented_key(request: Request) -> str | None:
    key = request.query_params.get("api_key")
    if key:
        return key
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            return base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


async def webhook(request: Request) -> JSONResponse:
    """Nexla's send_one_record / send_many_records: a record (JSON or XML) or a JSON array of records."""
    query = request.query_params
    body = await request.body()
    try:
        accepted = await run_in_threadpool(
            webhooks.push, request.app.state.runtime, request.path_params["id"], presented_key(request), body,
            request.headers.get("content-type", ""),
            headers=dict(request.headers) if flag(query, "include_headers") else None,
            url_params=dict(query) if flag(query, "include_url_params") else None,
            force_schema_detection=flag(query, "force_schema_detection"))
    except webhooks.SourceNotActive as refused:
        return JSONResponse({"error": str(refused)}, status_code=500)
    return JSONResponse({"datasetId": accepted["dataset_id"], "processed": accepted["processed"]})


def routes() -> list[BaseRoute]:
    table: list[BaseRoute] = [
        route("/data_sets/{id:int}/samples", samples, ["GET"]),
        route("/_sandbox/sources/{id:int}/run", run_now, ["POST"]),
    ]
    for kind in metrics.RESOURCE_TYPES:
        table += [
            route(f"/{kind}/{{id:int}}/metrics", daily, ["GET"], kind=kind),
            route(f"/{kind}/{{id:int}}/metrics/run_summary", run_summary, ["GET"], kind=kind),
            route(f"/data_flows/{kind}/{{id:int}}/metrics", flow_metrics, ["GET"], kind=kind),
            route(f"/data_flows/{kind}/{{id:int}}/logs", logs, ["GET"], kind=kind),
            # nexla-sdk 1.0.8 (flows.get_metrics/get_logs, metrics.get_flow_metrics/get_flow_logs) uses these paths.
            route(f"/{kind}/{{id:int}}/flow/metrics", flow_metrics, ["GET"], kind=kind),
            route(f"/{kind}/{{id:int}}/flow/logs", logs, ["GET"], kind=kind),
        ]
    return table


def webhook_routes() -> list[BaseRoute]:
    """Routes served at the server root."""
    return [Route("/webhook/{id:int}", webhook, methods=["POST"])]
