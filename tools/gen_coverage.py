"""Generate ``reference/COVERAGE.md``: every operation of Nexla's OpenAPI, served by the sandbox or not.

``python tools/gen_coverage.py`` rewrites the table; ``--check`` exits 1 when the committed file
differs. An operation counts as served when a route of the sandbox's Starlette table matches its
method and path (path parameters filled with sample values, ``?expand=1`` paths as the plain path).
Routes the OpenAPI does not describe are listed too, each with the reason the sandbox serves it;
a route with no such reason is an error, so the table can never silently miss one.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route

REPO = Path(__file__).resolve().parent.parent
OPENAPI = REPO / "reference" / "nexla-openapi.json"
TABLE = REPO / "reference" / "COVERAGE.md"
PREFIX = "/nexla-api"
METHODS = ("get", "post", "put", "delete", "patch")

# Families the sandbox does not emulate, by first path segment: one line each on why.
NOT_EMULATED = {
    "api_auth_configs": "org SSO/SAML settings: an identity-provider integration with nothing to run locally",
    "approval_requests": "marketplace approval workflow; neither the product nor its flows use it",
    "attribute_transforms": "per-attribute reusable transforms; the product only uses record transforms",
    "data_schemas": "schema templates; sandbox nexsets carry their own output_schema",
    "doc_containers": "documentation containers; the product does not use them",
    "gen_ai_integration_configs": "GenAI provider settings (keys to external LLM services)",
    "gen_ai_org_settings": "GenAI provider settings (keys to external LLM services)",
    "marketplace": "data marketplace domains and items; the product does not publish data products",
    "self_signup_blocked_domains": "self-service sign-up administration for Nexla staff",
    "self_signup_requests": "self-service sign-up administration for Nexla staff",
    "signup": "self-service sign-up of new accounts",
}

# Single operations the sandbox does not emulate, by "METHOD path" as the OpenAPI spells it.
NOT_EMULATED_OPERATIONS = {
    "GET /orgs/{org_id}/auth_settings": "org SSO/SAML settings: an identity-provider integration",
    "PUT /orgs/{org_id}/auth_settings/{auth_setting_id}": "org SSO/SAML settings: an identity-provider integration",
}

# Routes beyond the OpenAPI: (regex on "METHOD path" as the sandbox spells it, why it is served).
# The first matching rule gives the reason; nexla-sdk 1.0.8 is the official SDK the product's users run.
BEYOND_OPENAPI = [
    (r"\w+ /_sandbox/", "operator endpoints (faults, rate limit, counters, runs): not part of Nexla's API"),
    (r"GET /openapi\.json$", "the sandbox's own route table as an OpenAPI document"),
    (r"GET /data_(sources|sets|sinks)/\{id:int\}/(flow/)?(metrics|logs)(/run_summary)?$",
     "nexla-sdk 1.0.8 metrics/logs spellings per resource type (metrics.get_*, flows.get_logs_for_resource)"),
    (r"GET /data_flows/data_(sets|sinks)/", "nexla-sdk 1.0.8 metrics spelling for nexsets and sinks"),
    (r"\w+ /\w+/\{id:int\}/accessors$", "the generic accessor routes, served for every resource kind the SDK shares"),
    (r"GET /(flows|transforms|attribute_transforms|runtimes)/\{id:int\}/audit_log$",
     "nexla-sdk 1.0.8 get_audit_log"),
    (r"GET /orgs/\{id:int\}/\{resource_type\}/audit_log$", "nexla-sdk 1.0.8 get_resource_audit_log"),
    (r"POST /(data_credentials|attribute_transforms)/\{id:int\}/copy$", "nexla-sdk 1.0.8 copy on every resource"),
    (r"(GET|DELETE) /data_(sets|sinks)/\{id:int\}/flow$", "flows.get_by_resource / delete_by_resource for every flow kind"),
    (r"POST /projects/\{id:int\}/flows/search$", "nexla-sdk 1.0.8 projects.search_flows"),
    (r"GET /orgs(/\{id:int\})?/account_summary$", "nexla-sdk 1.0.8 organizations.get_(current_)account_summary"),
    (r"POST /orgs/\{id:int\}/members$", "nexla-sdk 1.0.8 organizations.replace_members"),
    (r"GET /async_tasks/\{id:int\}/download$", "nexla-sdk 1.0.8 async_tasks download"),
    (r"PUT /orgs/\{id:int\}/members/(activate|deactivate)$", "nexla-sdk 1.0.8 organizations.(de)activate_members"),
    (r"GET /health/", "Nexla monitoring endpoint nexla-sdk 1.0.8 calls (flows.get_*health*)"),
    (r"POST /flows/\{id:int\}/logs_v2$", "Nexla monitoring endpoint nexla-sdk 1.0.8 calls (flows.search_flow_logs)"),
    (r"GET /flows/\{id:int\}/run_status/", "Nexla monitoring endpoint nexla-sdk 1.0.8 calls (flows.get_run_status)"),
    (r"GET /data_flows/metrics/active_flows_metrics$", "nexla-sdk 1.0.8 flows.get_active_flows_metrics"),
    (r"PUT /flows/\{id:int\}$", "flow update in Nexla's admin code (name, description)"),
    (r"(POST|PUT) /(flows|data_sources)/\{id:int\}/run_now$", "run_now actions in Nexla's admin code (flows, data sources)"),
    (r"(GET|POST) /data_sets/\{id:int\}/docs$", "nexla-sdk 1.0.8 nexsets.list_docs / update_docs"),
]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    sample_paths: tuple[str, ...]
    query: str

    @property
    def family(self) -> str:
        return self.path.strip("/").split("/")[0].split("?")[0]


def load_openapi(path: Path = OPENAPI) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` pointers until a concrete node."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def sample_values(document: dict[str, Any], parameter: dict[str, Any]) -> list[str]:
    """Values that fill a path parameter for route matching: every enum value, else an integer."""
    schema = resolve(document, parameter.get("schema") or {})
    return [str(value) for value in schema["enum"]] if schema.get("enum") else ["1"]


def path_parameters(document: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    item = document["paths"][path]
    found = [resolve(document, p) for p in item.get("parameters", []) + item[method].get("parameters", [])]
    return [p for p in found if p.get("in") == "path"]


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation, in the order of the OpenAPI's paths."""
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            plain, _, query = path.partition("?")
            parameters = path_parameters(document, path, method)
            samples = []
            for values in itertools.product(*(sample_values(document, p) for p in parameters)):
                sample = plain
                for parameter, value in zip(parameters, values, strict=True):
                    sample = sample.replace("{" + parameter["name"] + "}", value)
                samples.append(sample)
            found.append(Operation(method.upper(), path, item[method]["operationId"], tuple(samples), query))
    return found


def flat_routes(table: list[BaseRoute], base: str = "") -> list[tuple[str, Route]]:
    """(full path, route) for every route under ``table``, mounts flattened."""
    found: list[tuple[str, Route]] = []
    for item in table:
        if isinstance(item, Mount):
            found += flat_routes(list(item.routes), base + item.path)
        elif isinstance(item, Route):
            found.append((base + item.path, item))
    return found


def api_routes(app: Any) -> list[tuple[str, str, Route]]:
    """(method, path after the prefix, route) for every API route of the app."""
    found = []
    for path, route in flat_routes(list(app.routes)):
        if not path.startswith(PREFIX + "/"):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, path[len(PREFIX):], route))
    return found


def serving_routes(app: Any, operation: Operation) -> list[tuple[str, str]]:
    """(method, path) of the sandbox route answering each sample path of ``operation`` (first wins, as in routing)."""
    found = []
    for sample in operation.sample_paths:
        # Routes under the prefix mount match on the path after the prefix, as Mount hands it to them.
        scope = {"type": "http", "method": operation.method, "path": sample, "root_path": ""}
        for method, path, route in api_routes(app):
            match, _ = route.matches(scope)
            if match is Match.FULL and method == operation.method:
                found.append((method, path))
                break
    return found


def reason_not_emulated(operation: Operation) -> str | None:
    return NOT_EMULATED_OPERATIONS.get(f"{operation.method} {operation.path}") or NOT_EMULATED.get(operation.family)


def beyond_reason(method: str, path: str) -> str | None:
    return next((why for pattern, why in BEYOND_OPENAPI if re.match(pattern, f"{method} {path}")), None)


def build_app(scratch: Path) -> Any:
    from nexla_sandbox.app import create_app

    return create_app(scratch)


def coverage(app: Any, document: dict[str, Any]) -> tuple[list[tuple[Operation, str | None]], list[tuple[str, str, str]]]:
    """(operation, sandbox route or None) for every operation, and (method, path, reason) beyond the OpenAPI.

    Raises ValueError for an operation the sandbox neither serves nor gives a reason for, and for
    a route the OpenAPI does not describe and no reason covers.
    """
    rows: list[tuple[Operation, str | None]] = []
    claimed: set[tuple[str, str]] = set()
    missing = []
    for operation in operations(document):
        served = serving_routes(app, operation)
        if not served and operation.family not in NOT_EMULATED and reason_not_emulated(operation) is None:
            missing.append(f"{operation.method} {operation.path}")
        claimed.update(served)
        rows.append((operation, f"{served[0][0]} {served[0][1]}" if served else None))
    extras = []
    unexplained = []
    for method, path, _ in api_routes(app):
        if (method, path) in claimed:
            continue
        why = beyond_reason(method, path)
        if why is None:
            unexplained.append(f"{method} {path}")
        else:
            extras.append((method, path, why))
    if missing or unexplained:
        raise ValueError("coverage table incomplete: "
                         + "; ".join([f"not served and no reason: {m}" for m in missing]
                                     + [f"route beyond the OpenAPI with no reason: {u}" for u in unexplained]))
    return rows, extras


def render(rows: list[tuple[Operation, str | None]], extras: list[tuple[str, str, str]]) -> str:
    served = sum(1 for _, route in rows if route)
    lines = [
        "# Sandbox coverage of Nexla's OpenAPI",
        "",
        "Generated by `tools/gen_coverage.py` from `reference/nexla-openapi.json` and the sandbox's route",
        "table; `tests/contract/test_coverage.py` fails when this file is stale. Do not edit by hand.",
        "",
        (f"{len(rows)} operations: {served} served, {len(rows) - served} not emulated. "
         f"{len(extras)} sandbox routes lie beyond the OpenAPI."),
        "",
        "| Method | Path | operationId | Sandbox |",
        "|---|---|---|---|",
    ]
    for operation, route in rows:
        cell = f"served (`{route.split(' ', 1)[1]}`)" if route else f"not emulated: {reason_not_emulated(operation)}"
        lines.append(f"| {operation.method} | `{operation.path}` | {operation.operation_id} | {cell} |")
    lines += ["", "## Sandbox routes beyond the OpenAPI", "", "| Method | Path | Why |", "|---|---|---|"]
    lines += [f"| {method} | `{path}` | {why} |" for method, path, why in sorted(extras, key=lambda e: (e[1], e[0]))]
    return "\n".join(lines) + "\n"


def generate() -> str:
    with tempfile.TemporaryDirectory(prefix="nexla-coverage-") as scratch:
        app = build_app(Path(scratch))
        try:
            return render(*coverage(app, load_openapi()))
        finally:
            app.state.store.db.close()


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        if not TABLE.exists() or TABLE.read_text() != text:
            print(f"{TABLE.relative_to(REPO)} is stale: run python tools/gen_coverage.py", file=sys.stderr)
            return 1
        return 0
    TABLE.write_text(text)
    print(f"wrote {TABLE.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
