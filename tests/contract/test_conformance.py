"""Every operation the sandbox serves answers in the shape Nexla's official OpenAPI documents.

One sandbox per module, seeded with the guide's deployed pipeline (credential, source, detected
and transformed nexsets, sink) that has run once, plus one of every other resource the
operations name. Each served operation is called with valid input and must answer 200 with a
body that validates against the operation's 200 schema (see tests/contract/openapi.py for how
the document is read). Operations that delete run last and on resources made for them, so the
order of the others does not matter.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema.exceptions import ValidationError, best_match
from nexla_ops.operations.deploy import apply_deployment
from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sandbox.testing import SandboxHandle, running_sandbox

from tests.contract import openapi
from tests.helpers.deploy import SECRET_ENV, client_for, control, make_spec
from tools.gen_coverage import Operation, build_app, operations, serving_routes


def served_operations() -> list[Operation]:
    with tempfile.TemporaryDirectory(prefix="nexla-contract-") as scratch:
        app = build_app(Path(scratch))
        try:
            found = [op for op in operations(openapi.DOCUMENT) if serving_routes(app, op)]
        finally:
            app.state.store.db.close()
    # Deletes last (the bulk ones after the single ones), everything else in the document's order.
    return sorted(found, key=lambda op: (op.method == "DELETE", op.path.endswith("/all")))


# Answers known not to validate yet, each with why: the test fails when one starts validating
# (strict xfail), so this list only shrinks.
SDK_TASKS = ("nexla-sdk 1.0.8 parses tasks with an integer id, a string error, started_at/finished_at and "
             "a {url} download link; the OpenAPI's AsyncTask has a string id, an object error and neither")
PROBE_OUTPUT = "the sample's output.response is an object; every documented output form has a string"
FLOW_ENVELOPE = ("the flow envelope lists condensed resources (additionalProperties: false) and object "
                 "template_config; the sandbox lists full resource objects with null template_config")
SDK_CODE_ROLES = "nexla-sdk 1.0.8 models access_roles on code containers as an object; the OpenAPI as a list"
SDK_PROJECT_FLOWS = ("nexla-sdk 1.0.8 notes the live API answers project flow edits with a list of project "
                     "flows; the OpenAPI documents the flow envelope")
NONCONFORMING = {
    "POST /async_tasks": SDK_TASKS, "GET /async_tasks/{task_id}": SDK_TASKS,
    "POST /async_tasks/{task_id}/acknowledge": "answers {status: ok}; the OpenAPI answers the AsyncTask",
    "GET /async_tasks/{task_id}/download_link": SDK_TASKS, "POST /async_tasks/{task_id}/rerun": SDK_TASKS,
    "POST /data_credentials/{credential_id}/probe/sample": PROBE_OUTPUT,
    **{f"{method} {path}": SDK_CODE_ROLES for method, path in (
        ("POST", "/attribute_transforms"), ("GET", "/attribute_transforms/{attribute_transform_id}"),
        ("PUT", "/attribute_transforms/{attribute_transform_id}"), ("POST", "/code_containers"),
        ("GET", "/code_containers/{code_container_id}"), ("PUT", "/code_containers/{code_container_id}"),
        ("POST", "/code_containers/{code_container_id}/copy"), ("POST", "/transforms"),
        ("GET", "/transforms/{transform_id}"), ("PUT", "/transforms/{transform_id}"),
        ("POST", "/transforms/{transform_id}/copy"))},
    **{f"{method} {path}": FLOW_ENVELOPE for method, path in (
        ("GET", "/flows"), ("GET", "/flows/{flow_id}"), ("PUT", "/flows/{flow_id}/activate"),
        ("POST", "/flows/{flow_id}/copy"), ("GET", "/projects/{project_id}/flows"),
        ("GET", "/{resource_type}/{resource_id}/flow"))},
    **{f"{method} /projects/{{project_id}}/flows": SDK_PROJECT_FLOWS for method in ("POST", "PUT", "DELETE")},
    "PUT /{resource_type}/{resource_id}/activate": "the resource's nexsets carry 'version' (additionalProperties: false)",
    "PUT /{resource_type}/{resource_id}/pause": "the resource's nexsets carry 'version' (additionalProperties: false)",
    "POST /data_sets": "output_schema is null until detection; the schema types it an object",
    "GET /data_sinks/{sink_id}?expand=1": "the expanded nexset's output_schema properties are JSON schemas; "
                                           "the document types them as strings",
    "GET /users?expand=1": "users carry account_summary, which the User schema does not allow",
    "GET /users/{user_id}?expand=1": "users carry account_summary, which the User schema does not allow",
}


def case(operation: Operation) -> Any:
    reason = NONCONFORMING.get(f"{operation.method} {operation.path}")
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(operation, marks=marks, id=f"{operation.method} {operation.path}")


SERVED = served_operations()
S3 = {"access_key_id": "AKIACONTRACT", "secret_access_key": "contract-secret"}


class World:
    """The seeded sandbox and one id of every resource kind an operation path can name."""

    def __init__(self, sandbox: SandboxHandle, http: httpx.Client) -> None:
        self.sandbox = sandbox
        self.http = http
        self.ids: dict[str, int] = {}
        self.run_id = 0
        self.made = 0

    def name(self, kind: str) -> str:
        self.made += 1
        return f"contract {kind} {self.made}"

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.http.request(method, path.lstrip("/"), json=body, params=params or None)
        assert response.status_code == 200, f"seeding {method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    # Makers: each creates one resource and returns its id (the world keeps the first of each).
    def credential(self) -> int:
        return int(self.call("POST", "/data_credentials", {"name": self.name("s3"), "credentials_type": "s3",
                                                           "credentials": S3})["id"])

    def source(self) -> int:
        return int(self.call("POST", "/data_sources", {
            "name": self.name("source"), "source_type": "s3", "data_credentials_id": self.ids["credential"],
            "source_config": {"path": "ingest/orders/", "file_format": "json"}})["id"])

    def nexset(self) -> int:
        return int(self.call("POST", "/data_sets", {
            "name": self.name("nexset"), "parent_data_set_id": self.ids["detected"], "has_custom_transform": False,
            "transform": {"version": 1, "operations": [{"operation": "filter", "condition": "status != 'X'"}]}})["id"])

    def sink(self) -> int:
        return int(self.call("POST", "/data_sinks", {
            "name": self.name("sink"), "sink_type": "s3", "data_credentials_id": self.ids["credential"],
            "data_set_id": self.ids["nexset"], "sink_config": {"path": "contract/", "data_format": "json"}})["id"])

    def flow(self) -> int:
        source_id = self.source()
        return int(self.call("GET", f"/data_sources/{source_id}")["flow_node_id"])

    def project(self) -> int:
        return int(self.call("POST", "/projects", {"name": self.name("project"), "description": "made by the contract test",
                                                   "flows": [self.ids["flow"]]})["id"])

    def team(self) -> int:
        return int(self.call("POST", "/teams", {"name": self.name("team"), "description": "made by the contract test",
                                                "members": [{"id": self.sandbox.users["operator"]}]})["id"])

    def user(self) -> int:
        return int(self.sandbox.users["admin"])

    def org(self) -> int:
        return int(self.call("GET", "/users/current")["default_org"]["id"])

    def notification(self) -> int:
        return int(self.call("GET", "/notifications")[0]["id"])

    def code(self, kind: str) -> int:
        body: dict[str, Any] = {"name": self.name(kind), "output_type": "record", "code_type": "jolt_standard",
                                "code_encoding": "none", "reusable": True,
                                "code": [{"operation": "shift", "spec": {"*": "&"}}]}
        if kind == "attribute_transforms":
            body.update(output_type="attribute", code_type="python", code="def transform(value): return value")
        return int(self.call("POST", f"/{kind}", body)["id"])

    def task(self) -> int:
        return int(self.call("POST", "/async_tasks", {"type": "BulkPauseFlows", "arguments": {"flow_ids": []}})["id"])

    def data_map(self) -> int:
        return int(self.call("POST", "/data_maps", {
            "name": self.name("lookup"), "data_type": "string", "map_primary_key": "code",
            "data_map": [{"code": "1", "label": "one"}, {"code": "2", "label": "two"}]})["id"])

    def notification_setting(self) -> int:
        return int(self.call("POST", "/notification_settings", {
            "notification_type_id": 3, "channel": "EMAIL", "resource_id": self.ids["source"]})["id"])

    def channel_setting(self) -> int:
        return int(self.call("POST", "/notification_channel_settings", {
            "channel": "SLACK", "config": {"webhook_url": "https://hooks.example/contract"}})["id"])

    def quarantined_user(self) -> int:
        """The admin, whose quarantine settings exist from the first call on."""
        if "quarantined" not in self.ids:
            self.ids["quarantined"] = self.sandbox.users["admin"]
            self.call("POST", f"/users/{self.ids['quarantined']}/quarantine_settings", {
                "data_credentials_id": self.ids["credential"], "config": {"path": "quarantine/"}})
        return self.ids["quarantined"]

    def runtime(self) -> int:
        return int(self.call("POST", "/runtimes", {"name": self.name("runtime"), "dockerpath": "nexla/python:3.11",
                                                   "config": {"memory_mb": 512}})["id"])

    def make(self, kind: str) -> int:
        makers: dict[str, Callable[[], int]] = {
            "credential": self.credential, "source": self.source, "nexset": self.nexset, "sink": self.sink,
            "flow": self.flow, "project": self.project, "team": self.team, "user": self.user, "org": self.org,
            "notification": self.notification, "task": self.task,
            "transform": lambda: self.code("transforms"), "code_container": lambda: self.code("code_containers"),
            "attribute_transform": lambda: self.code("attribute_transforms"), "data_map": self.data_map,
            "notification_setting": self.notification_setting, "channel_setting": self.channel_setting,
            "notification_type": lambda: 3, "runtime": self.runtime,
        }
        return makers[kind]()

    def id_of(self, kind: str, fresh: bool) -> int:
        if fresh:
            return self.make(kind)
        if kind not in self.ids:
            self.ids[kind] = self.make(kind)
        return self.ids[kind]


# Path parameter name -> resource kind it names.
PARAMETER_KIND = {
    "source_id": "source", "data_source_id": "source", "set_id": "nexset", "data_set_id": "nexset",
    "sink_id": "sink", "data_sink_id": "sink", "credential_id": "credential", "data_credential_id": "credential",
    "flow_id": "flow", "data_flow_id": "flow", "project_id": "project", "team_id": "team", "user_id": "user",
    "org_id": "org", "notification_id": "notification", "task_id": "task", "transform_id": "transform",
    "code_container_id": "code_container", "attribute_transform_id": "attribute_transform",
    "data_map_id": "data_map", "notification_setting_id": "notification_setting",
    "notification_channel_setting_id": "channel_setting", "notification_type_id": "notification_type",
    "runtime_id": "runtime",
}
# Enum-typed path parameters whose first value names nothing the world has.
PATH_VALUES = {"/notification_settings/{resource_type}/{resource_id}": {"resource_type": "SOURCE"}}
RESOURCE_KIND = {"data_sources": "source", "data_sets": "nexset", "data_sinks": "sink"}


def path_for(world: World, operation: Operation) -> str:
    """The concrete path: enum parameters take their first value, ids name the world's (or a fresh) resource."""
    fresh = operation.method == "DELETE" and not operation.path.endswith(
        ("/accessors", "/members", "/flows", "/data_flows", "/custodians", "/quarantine_settings", "{entry_keys}"))
    path = operation.path.partition("?")[0]
    resource_type = "data_sources"
    for parameter in openapi_path_parameters(operation):
        name = parameter["name"]
        if name in PATH_VALUES.get(operation.path, {}):
            value = PATH_VALUES[operation.path][name]
        elif name == "user_id" and "/quarantine_settings" in operation.path:
            # POST creates them for a user who has none; the other methods need them to exist.
            value = str(world.sandbox.users["operator"] if operation.method == "POST" else world.quarantined_user())
        elif name == "entry_keys":
            value = "1,2"
        elif name == "resource_type":
            value = resource_type
        elif name in PARAMETER_KIND:
            value = str(world.id_of(PARAMETER_KIND[name], fresh))
        elif name == "resource_id":
            value = str(world.id_of(RESOURCE_KIND.get(resource_type, "source"), fresh))

        else:
            value = sample(parameter)
        path = path.replace("{" + name + "}", value)
    return path


def openapi_path_parameters(operation: Operation) -> list[dict[str, Any]]:
    from tools.gen_coverage import path_parameters

    return path_parameters(openapi.DOCUMENT, operation.path, operation.method.lower())


def sample(parameter: dict[str, Any]) -> str:
    from tools.gen_coverage import sample_values

    return sample_values(openapi.DOCUMENT, parameter)[0]


QUERY_VALUES = {"/notification_types/list": {"event_type": "ERROR", "resource_type": "SOURCE"}}


def query_for(world: World, operation: Operation) -> dict[str, Any]:
    params: dict[str, Any] = dict(item.split("=", 1) for item in operation.query.split("&") if item)
    params.update(QUERY_VALUES.get(operation.path, {}))
    for parameter in openapi.query_parameters(operation):
        name = parameter["name"]
        if not parameter.get("required") or name in params:
            continue
        schema = parameter.get("schema") or {}
        if name == "run_id":
            params[name] = world.run_id
        elif name == "from":
            params[name] = 0 if schema.get("type") == "integer" else "2023-01-10"
        elif "example" in schema:
            params[name] = schema["example"]
        else:
            params[name] = sample(parameter)
    return params


def accessors_body(world: World) -> dict:
    # The owner stays listed: a replace (POST) that drops the last owner is refused.
    return {"accessors": [{"type": "USER", "id": world.sandbox.users["admin"], "access_roles": ["owner"]},
                          {"type": "USER", "id": world.sandbox.users["collaborator"], "access_roles": ["collaborator"]}]}


BODIES: dict[tuple[str, str], Callable[[World], Any]] = {
    ("POST", "/runtimes"): lambda w: {"name": "contract new", "dockerpath": "nexla/python:3.11"},
    ("POST", "/data_maps"): lambda w: {"name": "contract new", "data_type": "string", "map_primary_key": "code"},
    ("PUT", "/data_maps/{data_map_id}/entries"): lambda w: {"entries": [{"code": "3", "label": "three"}]},
    ("POST", "/notification_settings"): lambda w: {"notification_type_id": 1, "channel": "APP"},
    ("POST", "/notification_channel_settings"): lambda w: {"channel": "EMAIL", "config": {"email": "ops@sandbox.local"}},
    ("PUT", "/notification_channel_settings/{notification_channel_setting_id}"): lambda w: {
        "config": {"email": "ops2@sandbox.local"}},
    ("PUT", "/notification_settings/{notification_setting_id}"): lambda w: {"status": "PAUSED"},
    ("POST", "/users/{user_id}/quarantine_settings"): lambda w: {"data_credentials_id": w.ids["credential"],
                                                                  "config": {"path": "quarantine/"}},
    ("PUT", "/users/{user_id}/quarantine_settings"): lambda w: {"config": {"path": "quarantine/v2/"}},
    ("POST", "/orgs/{org_id}/custodians"): lambda w: {"custodians": [{"id": w.sandbox.users["operator"]}]},
    ("PUT", "/orgs/{org_id}/custodians"): lambda w: {"custodians": [{"id": w.sandbox.users["operator"]}]},
    ("DELETE", "/orgs/{org_id}/custodians"): lambda w: {"custodians": [{"id": w.sandbox.users["operator"]}]},
    ("POST", "/projects/{project_id}/data_flows"): lambda w: {"flows": [w.ids["flow"]]},
    ("PUT", "/projects/{project_id}/data_flows"): lambda w: {"flows": [w.ids["flow"]]},
    ("DELETE", "/projects/{project_id}/data_flows"): lambda w: {"flows": [w.ids["flow"]]},
    ("POST", "/async_tasks"): lambda w: {"type": "BulkPauseFlows", "arguments": {"flow_ids": []}},
    ("POST", "/data_credentials"): lambda w: {"name": "contract new", "credentials_type": "s3", "credentials": S3},
    ("POST", "/data_sources"): lambda w: {"name": "contract new", "source_type": "s3",
                                          "data_credentials_id": w.ids["credential"],
                                          "source_config": {"path": "ingest/orders/", "file_format": "json"}},
    ("POST", "/data_sets"): lambda w: {"name": "contract new", "parent_data_set_id": w.ids["detected"],
                                       "has_custom_transform": False,
                                       "transform": {"version": 1, "operations": [
                                           {"operation": "filter", "condition": "status != 'X'"}]}},
    ("POST", "/data_sinks"): lambda w: {"name": "contract new", "sink_type": "s3",
                                        "data_credentials_id": w.ids["credential"], "data_set_id": w.id_of("nexset", False),
                                        "sink_config": {"path": "new/", "data_format": "json"}},
    ("POST", "/projects"): lambda w: {"name": "contract new", "description": "new"},
    ("POST", "/teams"): lambda w: {"name": "contract new", "description": "new", "members": []},
    ("POST", "/users"): lambda w: {"full_name": "Cora Contract", "email": "cora@sandbox.local"},
    ("POST", "/data_credentials/{credential_id}/probe/tree"): lambda w: {"depth": 1, "path": "/"},
    ("POST", "/data_credentials/{credential_id}/probe/sample"): lambda w: {"path": "ingest/orders/"},
    ("PUT", "/notifications/mark_read"): lambda w: [w.id_of("notification", False)],
    ("PUT", "/notifications/mark_unread"): lambda w: [w.id_of("notification", False)],
    ("PUT", "/orgs/{org_id}/members"): lambda w: {"members": [{"id": w.sandbox.users["member"], "admin": False}]},
    ("DELETE", "/orgs/{org_id}/members"): lambda w: {"members": [{"email": "cora@sandbox.local"}]},
    ("POST", "/teams/{team_id}/members"): lambda w: {"members": [{"id": w.sandbox.users["operator"]}]},
    ("PUT", "/teams/{team_id}/members"): lambda w: {"members": [{"id": w.sandbox.users["collaborator"]}]},
    ("DELETE", "/teams/{team_id}/members"): lambda w: {"members": [{"id": w.sandbox.users["collaborator"]}]},
    ("POST", "/projects/{project_id}/flows"): lambda w: {"flows": [w.ids["flow"]]},
    ("PUT", "/projects/{project_id}/flows"): lambda w: {"flows": [w.ids["flow"]]},
    ("DELETE", "/projects/{project_id}/flows"): lambda w: {"flows": [w.ids["flow"]]},
    ("POST", "/transforms"): lambda w: {"name": "contract new", "output_type": "record", "code_type": "jolt_standard",
                                        "code_encoding": "none", "code": [{"operation": "shift", "spec": {"*": "&"}}]},
    ("POST", "/code_containers"): lambda w: {"name": "contract new", "output_type": "record",
                                             "code_type": "jolt_standard", "code_encoding": "none",
                                             "code": [{"operation": "shift", "spec": {"*": "&"}}]},
    ("POST", "/attribute_transforms"): lambda w: {"name": "contract new", "output_type": "attribute",
                                                  "code_type": "python", "code_encoding": "none",
                                                  "code": "def transform(value): return value"},
}


def body_for(world: World, operation: Operation) -> Any:
    key = (operation.method, operation.path)
    if key in BODIES:
        return BODIES[key](world)
    if operation.path.endswith("/accessors") and operation.method == "DELETE":
        return {"accessors": [{"type": "USER", "id": world.sandbox.users["collaborator"]}]}
    if operation.path.endswith("/accessors") and operation.method != "GET":
        return accessors_body(world)
    if operation.path.endswith("/copy"):
        return {"reuse_data_credentials": True} if operation.method == "POST" else None
    if operation.method == "PUT" and openapi.has_request_body(operation):
        return {"description": "updated by the contract test"}
    return None


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory(prefix="nexla-contract-") as scratch, \
            running_sandbox(Path(scratch) / "data") as sandbox, sandbox.client() as http:
        write_demo_data(sandbox.data_dir)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(SECRET_ENV, "contract-secret")
            result = asyncio.run(deploy(sandbox))
        seeded = World(sandbox, http)
        seeded.ids.update(credential=result["credential"], source=result["source"], flow=result["flow"],
                          detected=result["detected"], nexset=result["nexset"], sink=result["sink"])
        seeded.run_id = int(control(sandbox, "POST", f"sources/{result['source']}/run")["run_id"])
        yield seeded


async def deploy(sandbox: SandboxHandle) -> dict[str, int]:
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, make_spec())
        assert result.status == "applied", result.error
        by_kind: dict[str, list[int]] = {}
        for created in result.created:
            by_kind.setdefault(created.kind, []).append(created.id)
        source = await client.get(f"/data_sources/{result.source_id}", params={"expand": 1})
    assert result.source_id is not None and result.flow_id is not None
    return {"credential": by_kind["data_credentials"][0], "source": result.source_id, "flow": result.flow_id,
            "detected": int(source["data_sets"][0]["id"]), "nexset": by_kind["data_sets"][-1],
            "sink": by_kind["data_sinks"][-1]}


def leaf(error: ValidationError) -> ValidationError:
    """The most specific cause of a oneOf/anyOf failure, so the message names the field at fault."""
    if not error.context:
        return error
    return leaf(max(error.context, key=lambda e: (len(e.absolute_path), e is best_match(error.context))))


@pytest.mark.parametrize("operation", [case(op) for op in SERVED])
def test_answer_validates_against_the_official_schema(world: World, operation: Operation) -> None:
    path = path_for(world, operation)
    # The token operations authenticate differently, and logout must not end the world's session.
    headers = {"Authorization": f"Basic {world.sandbox.service_key}"} if path == "/token" else \
        {"Authorization": f"Bearer {world.sandbox.token()}"} if path == "/token/logout" else None
    response = world.http.request(operation.method, path.lstrip("/"), json=body_for(world, operation),
                                  params=query_for(world, operation) or None, headers=headers)
    status = str(response.status_code)
    assert status in openapi.declared_statuses(operation) and status == "200", \
        f"{operation.method} {path} answered {status}: {response.text[:500]}"
    check = openapi.validator(operation, status)
    if check is None:
        return
    body = response.json() if response.content else None
    errors = sorted((leaf(e) for e in check.iter_errors(body)), key=lambda e: list(e.absolute_path))
    shown = "\n".join(f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:15])
    assert not errors, f"{operation.method} {path}: {len(errors)} schema violation(s)\n{shown}"


def test_every_known_nonconformity_names_a_served_operation() -> None:
    served = {f"{op.method} {op.path}" for op in SERVED}
    assert sorted(set(NONCONFORMING) - served) == []
