"""``/limits``, docs recommendations, flow audit logs and the OpenAPI document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from nexla_sandbox.backend.flows import anchor_of_node
from nexla_sandbox.params import paginate
from nexla_sandbox.routes.common import Ctx, route
from nexla_sandbox.state import audit
from nexla_sandbox.state.flows import FlowIndex

# Nexla sorts endpoints into cost classes, each with its own per-second and per-day limit. The sandbox
# counts every request in ``common`` (its one rate limit, ``PUT /_sandbox/rate_limit``, sets that
# per-second limit); the other classes show fixed limits with nothing counted against them.
SECOND_LIMITS = {"common": 100, "light": 200, "medium": 20, "high": 5}
DAY_LIMITS = {"common": 500_000, "light": 1_000_000, "medium": 100_000, "high": 10_000}


def limits(ctx: Ctx) -> dict:
    """Rate limits and the caller's usage: ``{second: {common, light, medium, high: {limit, count}}, day: {...}}``."""
    controls = ctx.request.app.state.controls
    per_second, per_day = controls.usage(ctx.request.headers.get("authorization", ""))
    rate = controls.rate_limit
    second = {name: {"limit": limit, "count": 0} for name, limit in SECOND_LIMITS.items()}
    day = {name: {"limit": limit, "count": 0} for name, limit in DAY_LIMITS.items()}
    second["common"] = {"limit": int(rate["requests_per_second"]) if rate else SECOND_LIMITS["common"],
                        "count": per_second}
    day["common"]["count"] = per_day
    return {"second": second, "day": day}


def describe_schema(schema: dict | None) -> str:
    properties = (schema or {}).get("properties") or {}
    if not properties:
        return "Its schema is not known yet (activate the flow to detect it)."
    fields = ", ".join(f"{name} ({(spec or {}).get('type', 'any')})" for name, spec in sorted(properties.items()))
    return f"It has {len(properties)} fields: {fields}."


def data_set_docs(ctx: Ctx) -> dict:
    """A generated, deterministic description of a nexset (admin role)."""
    record = ctx.access.require(ctx.user, "data_sets", ctx.id(), "update")
    origin = f"derived from nexset {record['parent_data_set_id']}" if record.get("parent_data_set_id") \
        else f"detected from source {record.get('data_source_id')}"
    transform = " through an inline transform" if record.get("transform") else \
        (f" through transform {record['transform_id']}" if record.get("transform_id") else "")
    text = f"Nexset '{record.get('name')}' is {origin}{transform}. {describe_schema(record.get('output_schema'))}"
    return {"recommendation": text, "status": "success"}


def flow_docs(ctx: Ctx) -> dict:
    """A generated, deterministic description of a flow (admin role)."""
    _, _, root = anchor_of_node(ctx, ctx.id())
    ctx.access.check(ctx.user, "data_sources", root, "update", shown_kind="flows")
    members = FlowIndex.build(ctx.store).members("data_sources", root)
    sinks = ", ".join(f"'{s.get('name')}' ({s.get('sink_type')})" for s in members["data_sinks"]) or "no destination yet"
    text = (f"Flow {root['flow_node_id']} reads source '{root.get('name')}' ({root.get('source_type')}), "
            f"produces {len(members['data_sets'])} nexset(s) and writes to {sinks}. Status: {root.get('status')}.")
    return {"recommendation": text, "status": "success"}


def flow_audit_log(ctx: Ctx) -> list[dict]:
    """Audit entries of every resource of the flow, newest first."""
    _, _, root = anchor_of_node(ctx, ctx.id())
    ctx.access.check(ctx.user, "data_sources", root, "read", shown_kind="flows")
    members = FlowIndex.build(ctx.store).members("data_sources", root)
    found = [e for kind, records in members.items() for r in records for e in audit.entries(ctx.store, kind, r["id"])]
    return paginate(sorted(found, key=lambda e: -e["id"]), ctx.query)


def openapi_document(routes: list[BaseRoute], prefix: str) -> dict:
    """An OpenAPI 3 document assembled from the route table (summaries from handler docstrings)."""
    paths: dict[str, dict] = {}

    def walk(table: list[BaseRoute], base: str) -> None:
        for item in table:
            if isinstance(item, Mount):
                walk(list(item.routes), base + item.path)
            elif isinstance(item, Route):
                path = (base + item.path).replace(":int}", "}")
                for method in sorted((item.methods or set()) - {"HEAD"}):
                    summary = (item.endpoint.__doc__ or item.name or "").strip().splitlines()[0] if (item.endpoint.__doc__ or item.name) else ""
                    params = [{"name": p.split(":")[0], "in": "path", "required": True, "schema": {"type": "integer" if ":int" in p else "string"}}
                              for p in _placeholders(base + item.path)]
                    paths.setdefault(path, {})[method.lower()] = {
                        "summary": summary, "parameters": params,
                        "responses": {"200": {"description": "OK"}, "400": {"description": "Invalid input"},
                                      "401": {"description": "Missing or invalid bearer token"},
                                      "403": {"description": "Role too low"}, "404": {"description": "Not found"}},
                    }

    walk(routes, "")
    return {"openapi": "3.0.3",
            "info": {"title": "Nexla sandbox API", "version": "1",
                     "description": "Local Nexla-compatible API. Authenticate with POST /token (Basic <service key>)."},
            "servers": [{"url": prefix}], "paths": dict(sorted(paths.items())),
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}]}


def _placeholders(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


async def openapi(request: Request) -> Response:
    """This API's OpenAPI document."""
    return JSONResponse(request.app.state.openapi)


def routes() -> list[Route]:
    return [route("/limits", limits, ["GET"]),
            route("/data_sets/{id:int}/docs/recommendation", data_set_docs, ["POST"]),
            route("/flows/{id:int}/docs/recommendation", flow_docs, ["POST"]),
            route("/flows/{id:int}/audit_log", flow_audit_log, ["GET"]),
            Route("/openapi.json", openapi, methods=["GET"])]
