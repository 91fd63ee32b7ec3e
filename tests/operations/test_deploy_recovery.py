"""Ambiguous failures during apply: a create whose answer is lost is found by name and tag and
adopted (never created twice); a 429 is waited out; rollback retries its deletes, deletes
children first, and names by id what it could not undo."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nexla_ops.client import AsyncNexlaClient
from nexla_ops.config import Settings
from nexla_ops.operations.deploy import apply_deployment, parse_spec, plan_deployment
from nexla_ops.operations.progress import ProgressEvent
from tests.helpers.deploy import (
    client_for,
    control,
    inject_fault,
    inventory,
    make_spec,
    sandbox_has_after_commit_faults,
    spec_data,
)


pytestmark = pytest.mark.usefixtures("deploy_secret")


def names(found: dict[str, list[tuple[int, str]]], kind: str) -> list[str]:
    return sorted(name for _, name in found[kind])


async def create_out_of_band(sandbox: Any, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the server would have committed before losing the answer, created by another client."""
    async with client_for(sandbox) as other:
        return await other.post(f"/{kind}", json=body)


async def credential_id(sandbox: Any, name: str) -> int:
    async with client_for(sandbox) as other:
        return [c["id"] async for c in other.paginate("/data_credentials") if c["name"] == name][0]


async def test_source_committed_but_answered_504_is_adopted_not_duplicated(sandbox, demo):
    spec = make_spec()
    planted: dict[str, Any] = {}

    async def lose_the_answer(event: ProgressEvent) -> None:
        # Just before apply sends POST /data_sources: the "server" commits it, then answers 504.
        if event.step == "source" and event.message.startswith("creating") and not planted:
            body = {"name": spec.source.name, "source_type": "s3", "tags": [spec.tag],
                    "source_config": spec.source.config,
                    "data_credentials_id": await credential_id(sandbox, spec.credential.name)}
            planted.update(await create_out_of_band(sandbox, "data_sources", body))
            inject_fault(sandbox, "POST", r"^/data_sources$", status=504, count=1)

    async with client_for(sandbox) as client:
        result = await apply_deployment(client, spec, lose_the_answer)
        assert result.status == "applied", result.error
        assert [(r.kind, r.id) for r in result.adopted] == [("data_sources", planted["id"])]
        assert result.source_id == planted["id"]
        assert names(await inventory(client), "data_sources") == [spec.source.name]
        assert (await plan_deployment(client, spec)).unchanged


async def test_lost_create_that_never_committed_is_sent_again(sandbox, demo):
    inject_fault(sandbox, "POST", r"^/data_sets$", status=503, count=1)
    inject_fault(sandbox, "POST", r"^/data_sinks$", status=0, count=1, delay_s=0)
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, make_spec())
        assert result.status == "applied", result.error
        assert result.adopted == []
        found = await inventory(client)
        assert names(found, "data_sinks") == ["orders-to-parquet-parquet"]
        assert [n for n in names(found, "data_sets") if n == "orders-to-parquet-items"] == ["orders-to-parquet-items"]


async def test_429_on_a_create_waits_retry_after_and_creates_once(sandbox, demo):
    inject_fault(sandbox, "POST", r"^/data_sinks$", status=429, count=2, retry_after="0")
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, make_spec())
        assert result.status == "applied", result.error
        assert names(await inventory(client), "data_sinks") == ["orders-to-parquet-parquet"]


async def test_tagged_source_not_yet_in_the_project_is_adopted(sandbox, demo):
    spec = make_spec(project="analytics")
    async with client_for(sandbox) as client:
        # An earlier apply created the source and lost the answer before linking it to the project.
        credential = await client.post("/data_credentials", json={
            "name": spec.credential.name, "credentials_type": "s3", "tags": [spec.tag],
            "credentials": {"access_key_id": "AKIADEMO", "secret_access_key": "demo-secret-value"}})
        orphan = await client.post("/data_sources", json={
            "name": spec.source.name, "source_type": "s3", "tags": [spec.tag], "source_config": spec.source.config,
            "data_credentials_id": credential["id"]})
        plan = await plan_deployment(client, spec)
        changes = {c.path: c for c in plan.changes}
        assert changes["source"].id == orphan["id"] and changes["source"].action == "unchanged"
        assert changes["project.flows"].action == "update"
        result = await apply_deployment(client, spec)
        assert result.status == "applied", result.error
        assert result.source_id == orphan["id"]
        assert names(await inventory(client), "data_sources") == [spec.source.name]
        tree = await client.get(f"/projects/{result.created[0].id}/flows")
        assert any(n.get("data_source_id") == orphan["id"] for n in tree["flows"])


async def test_after_commit_loss_on_every_create_converges_without_duplicates(sandbox, demo):
    if not sandbox_has_after_commit_faults(sandbox):
        pytest.skip("this sandbox has no after_commit faults (process the request, then lose the answer)")
    spec = make_spec(project="analytics")
    for path in (r"^/projects$", r"^/data_credentials$", r"^/data_sources$", r"^/data_sets$", r"^/data_sinks$"):
        inject_fault(sandbox, "POST", path, status=504, count=1, after_commit=True)
    async with client_for(sandbox) as client:
        result = await apply_deployment(client, spec)
        assert result.status == "applied", result.error
        assert {r.kind for r in result.adopted} == {"projects", "data_credentials", "data_sources", "data_sets", "data_sinks"}
        found = await inventory(client)
        assert names(found, "data_sources") == [spec.source.name]
        assert names(found, "data_sinks") == ["orders-to-parquet-parquet"]
        assert names(found, "projects").count("analytics") == 1
        assert (await plan_deployment(client, spec)).unchanged


async def test_a_lost_create_found_only_by_rollback_is_deleted(sandbox, demo):
    if not sandbox_has_after_commit_faults(sandbox):
        pytest.skip("this sandbox has no after_commit faults (process the request, then lose the answer)")
    async def lose_answer_and_lookup(event: ProgressEvent) -> None:
        if event.step == "destinations" and event.message.startswith("creating"):
            inject_fault(sandbox, "POST", r"^/data_sinks$", status=0, count=1, after_commit=True)
            # The lookup after the loss fails too, on every try of the deploy step (twice the client's 2 attempts).
            inject_fault(sandbox, "GET", r"^/data_sinks$", status=503, count=4)

    async with client_for(sandbox, max_attempts=2) as client:
        before = await inventory(client)
        result = await apply_deployment(client, make_spec(), lose_answer_and_lookup)
        assert result.status == "rolled_back" and result.failed_step == "destinations"
        assert result.rollback.clean, result.rollback.not_undone
        assert "data_sinks" in {r.kind for r in result.rollback.deleted}
        assert await inventory(client) == before


async def test_rollback_retries_a_failing_delete_and_deletes_children_first(sandbox, demo):
    async with client_for(sandbox) as client:
        before = await inventory(client)
        inject_fault(sandbox, "PUT", r"^/flows/\d+/activate$", status=500, count=10)
        inject_fault(sandbox, "DELETE", r"^/data_sinks/\d+$", status=500, count=2)
        inject_fault(sandbox, "DELETE", r"^/data_sources/\d+$", status=503, count=1)
        result = await apply_deployment(client, make_spec())
        assert result.status == "rolled_back" and result.failed_step == "activate"
        assert result.rollback.clean, result.rollback.not_undone
        deleted = result.rollback.deleted
        assert [r.kind for r in deleted] == ["data_sinks", "data_sets", "data_sets", "data_sources", "data_credentials"]
        derived, detected = deleted[1], deleted[2]
        assert derived.name == "orders-to-parquet-items" and detected.id != derived.id
        for ref in deleted:
            assert f"{ref.kind} {ref.id}" in result.error["message"]
        assert await inventory(client) == before


async def test_what_rollback_cannot_undo_is_named_by_id(sandbox, demo):
    async with client_for(sandbox, max_attempts=2) as client:
        inject_fault(sandbox, "POST", r"^/data_sinks$", status=500, count=1)
        inject_fault(sandbox, "DELETE", r"^/data_sources/\d+$", status=500, count=50)
        result = await apply_deployment(client, make_spec())
        assert result.status == "rolled_back"
        source_id = result.source_id
        not_undone = [(u.kind, u.id, u.action) for u in result.rollback.not_undone]
        # The credential cannot go while the source that uses it is still there: both are named.
        assert not_undone[0] == ("data_sources", source_id, "delete")
        assert [kind for kind, _, _ in not_undone] == ["data_sources", "data_credentials"]
        assert f"not undone: delete data_sources {source_id}" in result.error["message"]


async def test_rollback_of_an_inserted_nexset_restores_the_parent_then_deletes_it(sandbox, demo):
    async with client_for(sandbox) as client:
        first = await apply_deployment(client, make_spec())
        assert first.status == "applied", first.error
        before = await inventory(client)
        data = spec_data()
        data["nexsets"].insert(0, {"name": "orders-to-parquet-clean", "transform": {
            "version": 1, "operations": [{"operation": "filter", "condition": "status != 'PENDING'"}]}})
        data["destinations"].append({"name": "extra-sink", "type": "s3", "config": {"path": "analytics/extra/"}})
        inject_fault(sandbox, "POST", r"^/data_sinks$", status=500, count=1)
        result = await apply_deployment(client, parse_spec(data))
        assert result.status == "rolled_back" and result.failed_step == "destinations"
        assert result.rollback.clean, result.rollback.not_undone
        assert [r.kind for r in result.rollback.restored] == ["data_sets"]
        assert await inventory(client) == before
        assert (await plan_deployment(client, make_spec())).unchanged


class RollbackElsewhere(httpx.AsyncHTTPTransport):
    """Loopback HTTP, plus what another deploy's rollback does meanwhile: once armed, each answer to
    ``GET /{kind}`` is followed by another client deleting one of ``victims`` (rows listed earlier)."""

    def __init__(self, other: Any, kind: str, victims: list[int]) -> None:
        super().__init__()
        self.other, self.kind, self.victims = other, kind, victims
        self.armed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if self.armed and self.victims and request.method == "GET" and request.url.path.endswith(f"/{self.kind}"):
            await response.aread()
            await self.other.delete(f"/{self.kind}/{self.victims.pop(0)}")
        return response


async def test_lost_create_is_found_while_other_rollbacks_delete_rows_of_the_same_list(sandbox, demo):
    if not sandbox_has_after_commit_faults(sandbox):
        pytest.skip("this sandbox has no after_commit faults (process the request, then lose the answer)")
    spec = make_spec()
    async with client_for(sandbox) as other:
        # 100 credentials before the deploy's: its credential is the 101st row, the first of a second page.
        present = len([c async for c in other.paginate("/data_credentials")])
        fillers = [(await other.post("/data_credentials", json={
            "name": f"filler-{i}", "credentials_type": "s3",
            "credentials": {"access_key_id": "AKIAFILL", "secret_access_key": "filler-secret"}}))["id"]
            for i in range(100 - present)]
        transport = RollbackElsewhere(other, "data_credentials", fillers[:3])
        settings = Settings.from_env(env={"NEXLA_API_URL": sandbox.base_url, "NEXLA_SERVICE_KEY": sandbox.service_key,
                                          "NEXLA_AUDIT_LOG": ""}, max_attempts=2)

        async def lose_the_answer(event: ProgressEvent) -> None:
            if event.step == "credentials" and event.message.startswith("creating"):
                inject_fault(sandbox, "POST", r"^/data_credentials$", status=0, count=1, after_commit=True)
                # The lookup meets a throttle and a gateway error too, more than one request's attempts.
                inject_fault(sandbox, "GET", r"^/data_credentials$", status=429, count=1, retry_after="0")
                inject_fault(sandbox, "GET", r"^/data_credentials$", status=502, count=1)
                transport.armed = True

        async with AsyncNexlaClient(settings, transport=transport) as client:
            result = await apply_deployment(client, spec, lose_the_answer)
        assert transport.armed and len(transport.victims) < 3, "no row was deleted during the lookup"
        assert result.status == "applied", result.error
        assert [r.kind for r in result.adopted] == ["data_credentials"]
        found = await inventory(other)
        assert names(found, "data_credentials").count(spec.credential.name) == 1
        assert (await plan_deployment(other, spec)).unchanged


async def test_transient_faults_beyond_a_requests_attempts_do_not_roll_back(sandbox, demo):
    """Each route meets more faults in a row than one request's attempts (2 here), several kinds
    mixed, a lost create among them: the deploy still applies, with nothing made twice."""
    if not sandbox_has_after_commit_faults(sandbox):
        pytest.skip("this sandbox has no after_commit faults (process the request, then lose the answer)")
    spec = make_spec(project="analytics")
    faults = [
        ("GET", r"^/data_sources$", 503, {}), ("GET", r"^/data_sources$", 0, {}), ("GET", r"^/data_sources$", 429, {}),
        ("GET", r"^/data_credentials/\d+/probe$", 504, {}), ("GET", r"^/data_credentials/\d+/probe$", 0, {}),
        ("POST", r"^/data_sources$", 504, {"after_commit": True}),
        ("POST", r"^/data_sinks$", 429, {}), ("POST", r"^/data_sinks$", 429, {}), ("POST", r"^/data_sinks$", 429, {}),
        ("PUT", r"^/projects/\d+/flows$", 502, {}), ("PUT", r"^/projects/\d+/flows$", 503, {}),
        ("PUT", r"^/projects/\d+/flows$", 0, {}),
        ("PUT", r"^/flows/\d+/activate$", 502, {}), ("PUT", r"^/flows/\d+/activate$", 0, {}),
        ("PUT", r"^/flows/\d+/activate$", 503, {}),
        ("GET", r"^/data_sources/\d+/flow$", 504, {}), ("GET", r"^/data_sources/\d+/flow$", 503, {}),
        ("GET", r"^/data_sources/\d+/flow$", 502, {}),
    ]
    async with client_for(sandbox, max_attempts=2) as client:
        for method, path, status, options in faults:
            inject_fault(sandbox, method, path, status=status, count=1, retry_after="0", **options)
        result = await apply_deployment(client, spec)
        assert result.status == "applied", (result.failed_step, result.error)
        assert [r.kind for r in result.adopted] == ["data_sources"]
        assert result.active
        assert control(sandbox, "GET", "faults") == [], "every fault fired (a fired fault is removed)"
        found = await inventory(client)
        assert names(found, "data_sources") == [spec.source.name]
        assert names(found, "data_sinks") == ["orders-to-parquet-parquet"]
    async with client_for(sandbox) as rerun:
        assert (await plan_deployment(rerun, spec)).unchanged


async def test_creates_lost_before_commit_more_often_than_the_attempts_are_sent_until_made_once(sandbox, demo):
    if not sandbox_has_after_commit_faults(sandbox):
        pytest.skip("this sandbox has no after_commit faults (process the request, then lose the answer)")
    # Each loss is looked up and found not made, so the server processed nothing: like a 429, no attempt is used.
    for status in (502, 0, 429, 503, 504):
        inject_fault(sandbox, "POST", r"^/data_sinks$", status=status, count=1, retry_after="0")
    inject_fault(sandbox, "POST", r"^/data_sets$", status=0, count=1)
    inject_fault(sandbox, "POST", r"^/data_sets$", status=504, count=1, after_commit=True)
    async with client_for(sandbox, max_attempts=2) as client:
        result = await apply_deployment(client, make_spec())
        assert result.status == "applied", (result.failed_step, result.error)
        assert control(sandbox, "GET", "faults") == [], "every fault fired (a fired fault is removed)"
        assert [r.kind for r in result.adopted] == ["data_sets"]
        found = await inventory(client)
        assert names(found, "data_sinks") == ["orders-to-parquet-parquet"]
        assert names(found, "data_sets").count("orders-to-parquet-items") == 1
