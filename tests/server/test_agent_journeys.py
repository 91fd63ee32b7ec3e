"""The eight everyday tasks of issue 13, each done end to end through a real MCP client as an agent would.

Each test starts from a fresh sandbox with demo data; what the task starts from (a deployed flow,
a team) is set up directly through the operations and is not counted. Every tool call the agent
makes is counted with the bytes of its result (the JSON text a model reads), per task. The table
is printed at the end of the module (visible with ``-s``) and written as JSON to the file named by
``NEXLA_JOURNEYS_RESULTS``, e.g.
``NEXLA_JOURNEYS_RESULTS=benchmarks/results/agent_journeys.json pytest tests/server/test_agent_journeys.py``.
Assertions are on outcomes: files written, statuses in the API, accessors held, nothing changed by a
preview.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import keyring
import pyarrow.parquet as pq
import pytest
from mcp import Client
from mcp.types import CallToolResult, Tool

from nexla_ops.operations.deploy import apply_deployment, parse_spec
from nexla_ops.secrets import KEYRING_SERVICE
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import (
    SECRET_ENV,
    client_for,
    inject_fault,
    mutating_requests,
    reset_requests,
    run_source,
    spec_data,
)
from tests.helpers.mcp import ToolCaller, connect, settings_for, suggested_calls, text_of
from tests.helpers.secret_entry import SecretTyper
from tests.operations.test_secret_sources import MemoryKeyring

pytestmark = pytest.mark.timeout(300)

RESULTS_ENV = "NEXLA_JOURNEYS_RESULTS"
ROTATED_ENV = "NEXLA_SECRET_ROTATED_S3"  # an allowed prefix for the MCP server's secret variables
USER_SECRET = "user-held-secret-value"


@dataclass
class Tally:
    """What one task cost the agent."""

    calls: int = 0
    result_bytes: int = 0
    tools: list[str] = field(default_factory=list)


TALLIES: dict[str, Tally] = {}


class Agent:
    """Tool calls through one MCP client, each counted (calls and result bytes) for ``task``.

    ``ok`` expects a success and checks it against the tool's output schema; ``error`` expects an
    error result. Every result's text is kept so a test can check what the model saw.
    """

    def __init__(self, task: str, client: Client, tools: list[Tool]) -> None:
        self.tally = TALLIES.setdefault(task, Tally())
        self.client = client
        self.schemas = {tool.name: tool.output_schema for tool in tools}
        self.seen: list[str] = []

    async def _call(self, name: str, arguments: dict[str, Any] | None) -> CallToolResult:
        result = await self.client.call_tool(name, arguments or {})
        text = text_of(result)
        self.seen.append(text)
        self.tally.calls += 1
        self.tally.result_bytes += len(text.encode("utf-8"))
        self.tally.tools.append(name)
        assert result.structured_content is not None, text
        return result

    async def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self._call(name, arguments)
        assert not result.is_error, f"{name} failed: {text_of(result)}"
        assert result.structured_content is not None
        jsonschema.validate(result.structured_content, self.schemas[name])
        return result.structured_content

    async def error(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self._call(name, arguments)
        assert result.is_error, f"{name} unexpectedly succeeded: {text_of(result)}"
        assert result.structured_content is not None
        return result.structured_content


@asynccontextmanager
async def agent_session(
    task: str, sandbox: Any, key: str | None = None, **client_kwargs: Any
) -> AsyncIterator[Agent]:
    """A fresh MCP client acting as one user (the org admin unless ``key`` names another)."""
    overrides: dict[str, Any] = {"service_key": key} if key else {}
    settings = settings_for(sandbox, None, **overrides)
    async with connect(settings, **client_kwargs) as client:
        yield Agent(task, client, (await client.list_tools()).tools)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if not TALLIES:
        return
    rows = {task: {"calls": t.calls, "result_bytes": t.result_bytes, "tools": t.tools}
            for task, t in sorted(TALLIES.items())}
    width = max(len(task) for task in rows)
    print(f"\n{'task':<{width}}  calls  result bytes")
    for task, row in rows.items():
        print(f"{task:<{width}}  {row['calls']:>5}  {row['result_bytes']:>12}")
    target = os.environ.get(RESULTS_ENV)
    if target:
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Tasks run in another process (pytest-xdist) or an earlier run of one test keep their rows.
        previous = json.loads(path.read_text(encoding="utf-8")).get("tasks", {}) if path.is_file() else {}
        merged = dict(sorted({**previous, **rows}.items()))
        path.write_text(json.dumps({"tasks": merged}, indent=1) + "\n", encoding="utf-8")


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    monkeypatch.setenv(ROTATED_ENV, "rotated-secret-value")


async def _deployed(sandbox: Any, name: str = "orders-to-parquet", **overrides: Any) -> dict[str, Any]:
    """What a task starts from: the guide's flow deployed, its output written (not counted)."""
    spec = spec_data(name=name, **overrides)
    async with client_for(sandbox) as api:
        result = await apply_deployment(api, parse_spec(spec))
        assert result.status == "applied" and result.source_id is not None, result
        source = await api.get(f"/data_sources/{result.source_id}")
    # Activation runs the flow, perhaps in the background; runs of one source never overlap, so this
    # one returns after it.
    again = run_source(sandbox, result.source_id)
    assert again["status"] == "SUCCESS", again
    assert _files_under(sandbox, spec["destinations"][0]["config"]["path"]), "the deployed flow wrote nothing"
    sink_id = next(ref.id for ref in result.resources if ref.kind == "data_sinks")
    credential_id = source.get("data_credentials_id") or source["data_credentials"]["id"]
    return {"flow_id": result.flow_id, "source_id": result.source_id, "sink_id": sink_id,
            "credential_id": credential_id}


def _files_under(sandbox: Any, relative: str) -> list[Path]:
    root = Path(sandbox.data_dir) / "s3" / relative
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")) if root.is_dir() else []


def _new_orders(sandbox: Any, name: str) -> None:
    """New input for the next run: a copy of the first demo file under a new name."""
    folder = Path(sandbox.data_dir) / "s3" / "ingest" / "orders"
    shutil.copy(folder / "orders-001.json", folder / name)


@pytest.fixture
def user_keyring() -> Iterator[MemoryKeyring]:
    """The user's OS keyring (in memory: the test never touches the machine's)."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.mark.parametrize("where", ["dotenv", "keyring", "page"])
async def test_1_deploy_from_a_plain_request_with_a_secret_given_out_of_band(
    sandbox, tmp_path: Path, user_keyring: MemoryKeyring, where: str
) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    # The user stored the storage secret and told the agent where, never the value.
    if where == "dotenv":
        dotenv = tmp_path / "user" / "nexla.env"
        dotenv.parent.mkdir()
        dotenv.write_text(f"S3_SECRET={USER_SECRET}\n", encoding="utf-8")
        secret: dict[str, Any] = {"from_dotenv": {"file": str(dotenv), "key": "S3_SECRET"}}
    elif where == "keyring":
        user_keyring.set_password(KEYRING_SERVICE, "orders-daily-s3", USER_SECRET)
        secret = {"from_keyring": "orders-daily-s3"}
    else:
        # Nothing stored: the server asks the user on its own loopback page (URL-mode elicitation).
        secret = {"from_user": "S3 secret key of the orders bucket"}
    typer = SecretTyper({"S3 secret key of the orders bucket": USER_SECRET})
    spec = spec_data(name="orders-daily")
    spec["credential"]["fields"]["secret_access_key"] = secret
    spec["destinations"][0]["config"]["path"] = "analytics/orders-daily/"

    async with agent_session(f"1 deploy, secret from {where}", sandbox, elicitation_callback=typer) as agent:
        connector = await agent.ok("describe_connector", {"connector": "s3"})
        secret_fields = {f["name"] for f in connector["credential_fields"] if f.get("secret")}
        assert "secret_access_key" in secret_fields
        checked = await agent.ok("validate_deployment", {"spec": spec})
        assert checked["ok"] is True, checked
        plan = await agent.ok("plan_deployment", {"spec": spec})
        actions = {change["action"] for change in plan["changes"]}
        assert "create" in actions and not actions & {"update", "delete"}, actions
        applied = await agent.ok("apply_deployment", {"spec": spec})
        assert applied["status"] == "applied"
        run = await agent.ok("run_flow", {"id": applied["flow_id"]})
        runs = await agent.ok("get_run_summaries", {"kind": "flows", "id": applied["flow_id"]})
    assert run["finished"] and run["status"] == "SUCCESS", run
    # Flow-level summaries count what the destination wrote, not only what the source read.
    written_rows = sum(r["records_out"] or 0 for r in runs["runs"])
    assert written_rows > 0, runs
    written = _files_under(sandbox, "analytics/orders-daily")
    assert written and sum(pq.read_metadata(path).num_rows for path in written) == written_rows
    assert all(USER_SECRET not in text for text in agent.seen)
    # Asked once (validate), kept in the server's memory for the apply; never asked without need.
    assert len(typer.urls) == (1 if where == "page" else 0), typer.messages


def _block_destination(sandbox: Any, relative: str) -> None:
    """Sabotage: a file stands where the destination's folder was, so the next write fails."""
    folder = Path(sandbox.data_dir) / "s3" / relative
    shutil.rmtree(folder, ignore_errors=True)
    folder.write_text("not a folder", encoding="utf-8")


def _suggested(text: str, tool: str) -> dict[str, Any]:
    """The arguments of the ``tool`` call a next step suggests (it must suggest one)."""
    found = [arguments for name, arguments in suggested_calls(text) if name == tool]
    assert found, f"no {tool} call in: {text}"
    return found[0]


async def test_2_find_what_broke_after_sabotage(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    flow = await _deployed(sandbox)
    _block_destination(sandbox, "analytics/orders")
    _new_orders(sandbox, "orders-late.json")
    assert run_source(sandbox, flow["source_id"])["status"] == "FAILED"  # the night's run

    async with agent_session("2 find what broke", sandbox) as agent:
        health = await agent.ok("check_health", {})
        [broken] = [f for f in health["flows"] if f["flow_id"] == flow["flow_id"]]
        assert broken["verdict"] != "healthy" and broken["reasons"], broken
        report = await agent.ok("triage_flow", {"kind": "flows", "id": flow["flow_id"]})
        assert report["verdict"] == "failed"
        assert f"destination {flow['sink_id']} cannot write" in report["likely_cause"]
        # The next step is a tool call the agent makes as given.
        sink = await agent.ok("get_resource", _suggested(report["next_step"], "get_resource"))
    assert sink["resource"]["sink_config"]["path"] == "analytics/orders/"
    assert any(a["kind"] == "data_sinks" and a["id"] == flow["sink_id"] and a["errors"]
               for a in report["affected_resources"]), report["affected_resources"]


async def test_3_share_with_a_team_and_the_member_acts(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    flow = await _deployed(sandbox)
    member_key = sandbox.keys["operator"]  # a member of team data-eng
    # Before the share the member cannot act (checked outside the task's count).
    async with connect(settings_for(sandbox, None, service_key=member_key)) as client:
        before = await ToolCaller(client, (await client.list_tools()).tools).error(
            "pause_flow", {"kind": "flows", "id": flow["flow_id"]})
    assert before["error"] == "authorization", before
    async with agent_session("3 share with a team", sandbox) as agent:
        tree = await agent.ok("get_flow", {"kind": "flows", "id": flow["flow_id"]})
        team = [{"type": "TEAM", "name": "data-eng"}]
        by_kind: dict[str, list[int]] = {}
        for node in tree["nodes"]:
            by_kind.setdefault(node["kind"], []).append(node["id"])
        for kind in ("data_sources", "data_sets", "data_sinks"):
            granted = await agent.ok("grant_access", {"kind": kind, "resource_ids": by_kind[kind], "accessors": team,
                                                      "roles": ["operator"]})
            assert {r["outcome"] for r in granted["results"]} == {"changed"}
        credentials = [c["id"] for c in tree["credentials"]]
        await agent.ok("grant_access", {"kind": "data_credentials", "resource_ids": credentials, "accessors": team,
                                        "roles": ["collaborator"]})
    async with agent_session("3 share with a team", sandbox, key=member_key) as member:
        paused = await member.ok("pause_flow", {"kind": "flows", "id": flow["flow_id"]})
        assert paused["flow"]["status"] == "PAUSED"
        await member.ok("activate_flow", {"kind": "flows", "id": flow["flow_id"]})
        _new_orders(sandbox, "orders-member.json")
        run = await member.ok("run_flow", {"id": flow["flow_id"]})
    assert run["status"] == "SUCCESS" and run["records_out"], run
    async with client_for(sandbox) as api:
        assert (await api.get(f"/data_sources/{flow['source_id']}"))["status"] == "ACTIVE"


async def _share_with_team(sandbox: Any, kind: str, resource_id: int, role: str) -> None:
    async with client_for(sandbox) as api:
        teams = await api.get("/teams")
        team_id = next(team["id"] for team in teams if team["name"] == "data-eng")
        await api.put(f"/{kind}/{resource_id}/accessors",
                      json={"accessors": [{"type": "TEAM", "id": team_id, "access_roles": [role]}]})


async def test_4_rotate_a_credential_flows_keep_working_and_team_access_is_kept(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    flow = await _deployed(sandbox)
    old = flow["credential_id"]
    await _share_with_team(sandbox, "data_credentials", old, "collaborator")

    async with agent_session("4 rotate a credential", sandbox) as agent:
        # Only the new secret: the key id and the other non-secret fields carry over.
        rotation = {"credential_id": old, "fields_from_env": {"secret_access_key": ROTATED_ENV}}
        planned = await agent.ok("rotate_credential", rotation)
        assert planned["outcome"] == "planned" and planned["dependents"]
        assert planned["diff"]["values"]["access_key_id"][0] == planned["diff"]["values"]["access_key_id"][1], planned
        assert any(accessor.startswith("TEAM ") for accessor in planned["diff"]["accessors_old"]), planned["diff"]
        assert planned["diff"]["accessors_new"] == planned["diff"]["accessors_old"]
        rotated = await agent.ok("rotate_credential", {**rotation, "dry_run": False})
        assert rotated["outcome"] == "rotated", rotated
        new = rotated["new_credential_id"]
        _new_orders(sandbox, "orders-after-rotation.json")
        run = await agent.ok("run_flow", {"id": flow["flow_id"]})
        access = await agent.ok("list_access", {"kind": "data_credentials", "id": new})
        tree = await agent.ok("get_flow", {"kind": "flows", "id": flow["flow_id"]})
    assert run["status"] == "SUCCESS" and run["records_out"], run
    assert [c["id"] for c in tree["credentials"]] == [new] and new != old
    assert any(a.get("type") == "TEAM" and "collaborator" in a["access_roles"] for a in access["accessors"]), access
    async with client_for(sandbox) as api:
        assert old not in [c["id"] for c in await api.get("/data_credentials")]
        kept = (await api.get(f"/data_credentials/{new}"))["credentials_non_secure_data"]
    assert kept.get("access_key_id") == spec_data()["credential"]["fields"]["access_key_id"], kept


async def _two_flows(sandbox: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    eu = await _deployed(sandbox, "orders-eu", destinations=[_parquet("orders-eu", "analytics/eu/")])
    us = await _deployed(sandbox, "orders-us", destinations=[_parquet("orders-us", "analytics/us/")])
    return eu, us


def _parquet(name: str, path: str) -> dict[str, Any]:
    return {"name": f"{name}-parquet", "type": "s3", "config": {"path": path, "data_format": "parquet"}}


async def test_5_find_unhealthy_flows(sandbox) -> None:
    # Enough orders that the demo's three malformed ones stay under the 1% error-rate warning.
    write_demo_data(sandbox.data_dir, orders=400, files=1)
    eu, us = await _two_flows(sandbox)
    _block_destination(sandbox, "analytics/eu")
    _new_orders(sandbox, "orders-late.json")
    assert run_source(sandbox, eu["source_id"])["status"] == "FAILED"
    assert run_source(sandbox, us["source_id"])["status"] == "SUCCESS"

    async with agent_session("5 find unhealthy flows", sandbox) as agent:
        health = await agent.ok("check_health", {})
    verdicts = {f["flow_id"]: f["verdict"] for f in health["flows"]}
    assert verdicts[eu["flow_id"]] in ("warning", "critical") and verdicts[us["flow_id"]] == "healthy", health
    assert health["overall"] == verdicts[eu["flow_id"]] and health["flows"][0]["flow_id"] == eu["flow_id"]


async def _statuses(sandbox: Any, *source_ids: int) -> list[str]:
    async with client_for(sandbox) as api:
        return [(await api.get(f"/data_sources/{source_id}"))["status"] for source_id in source_ids]


async def test_6_pause_by_tag_with_a_preview_first(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    eu, us = await _two_flows(sandbox)
    tag = "nexla-ops:orders-eu"  # every resource a deployment creates carries its tag

    async with agent_session("6 pause by tag with preview", sandbox) as agent:
        tagged = await agent.ok("list_resources", {"kind": "flows", "tag": tag})
        assert [row["id"] for row in tagged["items"]] == [eu["flow_id"]]
        reset_requests(sandbox)
        preview = await agent.ok("run_batch", {"operation": "pause", "resource_type": "data_sources", "tag": tag})
        assert preview["preview"] is True and preview["selected"] == 1
        assert [item["id"] for item in preview["items"]] == [eu["source_id"]]
        assert mutating_requests(sandbox) == {} and await _statuses(sandbox, eu["source_id"]) == ["ACTIVE"]
        done = await agent.ok("run_batch", {"operation": "pause", "resource_type": "data_sources", "tag": tag,
                                            "preview": False})
    assert done["succeeded"] == 1 and done["failed"] == 0
    assert await _statuses(sandbox, eu["source_id"], us["source_id"]) == ["PAUSED", "ACTIVE"]


async def test_7_copy_to_a_staging_project(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    flow = await _deployed(sandbox)
    original_files = _files_under(sandbox, "analytics/orders")

    async with agent_session("7 copy to a staging project", sandbox) as agent:
        project = await agent.ok("manage_project", {"action": "create", "name": "staging"})
        refused = await agent.error("copy_flow_to_project", {"flow_id": flow["flow_id"],
                                                             "project_id": project["project_id"], "activate": True})
        assert refused["error"] == "refused" and "destination_overrides" in refused["hint"]
        copied = await agent.ok("copy_flow_to_project", {
            "flow_id": flow["flow_id"], "project_id": project["project_id"], "activate": True,
            "destination_overrides": {str(flow["sink_id"]): {"config": {"path": "staging/orders/"}}}})
        assert copied["activated"] and copied["same_destination"] == []
        listed = await agent.ok("list_project_flows", {"project_id": project["project_id"]})
        assert [f["flow_id"] for f in listed["flows"]] == [copied["new_flow_id"]]
        run = await agent.ok("run_flow", {"id": copied["new_flow_id"]})
    assert run["status"] == "SUCCESS"
    assert _files_under(sandbox, "staging/orders"), "the staging copy wrote nothing"
    assert _files_under(sandbox, "analytics/orders") == original_files
    async with client_for(sandbox) as api:
        original = await api.get(f"/data_sinks/{flow['sink_id']}")
        projects = await api.get("/projects")
    assert original["sink_config"]["path"] == "analytics/orders/"
    assert [p["name"] for p in projects] == ["staging"]  # the refused copy left nothing behind


async def test_8_validate_a_transform_with_three_mistakes_in_one_call(sandbox) -> None:
    transform = {"version": 1, "operations": [
        {"operation": "rename", "fields": "qty"},
        {"operation": "filter", "condition": "status ==== 'PAID'"},
        {"operation": "explode_all", "path": "line_items"},
    ]}
    async with agent_session("8 validate a transform with three mistakes", sandbox) as agent:
        checked = await agent.ok("validate_transform", {"transform": transform, "records": [{"qty": 1, "status": "PAID"}]})
    assert checked["valid"] is False
    messages = " | ".join(e["message"] for e in checked["errors"])
    for index in range(3):
        assert f"operations[{index}]" in messages, messages
    assert "'fields'" in messages and "==" in messages and "explode_all" in messages


async def test_answers_that_never_mislead_through_mcp(sandbox) -> None:
    """Issue 13's silent wrong answers, each asked through MCP (not a journey: nothing is tallied)."""
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    flow = await _deployed(sandbox)
    async with client_for(sandbox) as api:
        me = await api.get("/users/current")
        for index in range(90):
            await api.post("/data_credentials", json={"name": f"bulk credential {index:03d} " + "x" * 300,
                                                      "credentials_type": "s3", "credentials": {}})
        credential_ids = sorted(c["id"] for c in await api.get("/data_credentials"))
    async with connect(settings_for(sandbox)) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        # Flows by tag and by owner are the matching flows, not always none.
        by_owner = await call.ok("list_resources", {"kind": "flows", "owner": me["email"]})
        by_tag = await call.ok("list_resources", {"kind": "flows", "tag": "nexla-ops:orders-to-parquet"})
        assert [r["id"] for r in by_owner["items"]] == [r["id"] for r in by_tag["items"]] == [flow["flow_id"]]
        # A list cut to fit the result size ends with a cursor to the rest.
        first = await call.ok("list_resources", {"kind": "credentials", "limit": 1000, "fields": "name"})
        assert first["has_more"] and first["next_cursor"] and first["count"] < len(credential_ids)
        rest = await call.ok("list_resources", {"kind": "credentials", "limit": 1000, "fields": "name",
                                                "cursor": first["next_cursor"]})
        assert sorted(r["id"] for r in first["items"] + rest["items"]) == credential_ids
        # A rolled-back apply is an error result.
        inject_fault(sandbox, "POST", r"^/data_sinks$", status=400, count=1)
        rolled = await client.call_tool("apply_deployment", {"spec": spec_data(name="orders-rollback")})
        assert rolled.is_error and rolled.structured_content is not None
        assert rolled.structured_content["status"] == "rolled_back"
        # Triage says when a newer run succeeded after the failed one.
        _block_destination(sandbox, "analytics/orders")
        _new_orders(sandbox, "orders-late.json")
        failed_run = run_source(sandbox, flow["source_id"])
        shutil.rmtree(Path(sandbox.data_dir) / "s3" / "analytics" / "orders", ignore_errors=True)
        (Path(sandbox.data_dir) / "s3" / "analytics" / "orders").unlink(missing_ok=True)
        _new_orders(sandbox, "orders-later.json")
        recovered = run_source(sandbox, flow["source_id"])
        assert (failed_run["status"], recovered["status"]) == ("FAILED", "SUCCESS")
        report = await call.ok("triage_flow", {"kind": "flows", "id": flow["flow_id"], "run_id": failed_run["run_id"]})
        assert report["verdict"] == "failed" and report["newer_success_run_id"] == recovered["run_id"]
        assert "recovered" in report["note"]


async def test_partial_failures_and_rollbacks_are_error_results(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=1)
    flow = await _deployed(sandbox)
    async with connect(settings_for(sandbox)) as client:
        async def outcome(name: str, arguments: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
            result = await client.call_tool(name, arguments)
            assert result.structured_content is not None, text_of(result)
            return result.is_error, result.structured_content

        member = [{"type": "USER", "id": sandbox.users["operator"]}]
        failed, granted = await outcome("grant_access", {"kind": "data_sources", "resource_ids": [flow["source_id"], 999999],
                                                         "accessors": member, "roles": ["operator"]})
        assert failed and [r["outcome"] for r in granted["results"]] == ["changed", "failed"]
        inject_fault(sandbox, "PUT", r"^/data_sources/\d+/pause$", status=400, count=1)
        failed, batch = await outcome("run_batch", {"operation": "pause", "resource_type": "data_sources",
                                                    "ids": [flow["source_id"]], "preview": False})
        assert failed and batch["failed"] == 1
        inject_fault(sandbox, "PUT", rf"^/data_sources/{flow['source_id']}$", status=400, count=1)
        failed, rotation = await outcome("rotate_credential", {
            "credential_id": flow["credential_id"], "fields_from_env": {"secret_access_key": ROTATED_ENV},
            "dry_run": False})
        assert failed and rotation["outcome"] == "rolled_back", rotation
