"""A secret the user types out of band: ``{from_user: LABEL}`` asked by URL-mode elicitation.

A real MCP client whose elicitation callback plays the user (tests/helpers/secret_entry.py): it
receives the page's URL, opens it and posts the value with httpx. Both protocol generations:
``mode="auto"`` (2026-07-28, the question is an ``input_required`` round) and ``mode="legacy"``
(2025-11-25, an ``elicitation/create`` request mid-call).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, Literal

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitRequestParams, ElicitRequestURLParams, ElicitResult
from nexla_mcp.app import build_server
from nexla_mcp.http import http_app
from nexla_mcp.tasks import TASKS_EXTENSION
from nexla_sandbox.runtime.demo import write_demo_data

from tests.helpers import tasks
from tests.helpers.access import make_credential, make_flow
from tests.helpers.deploy import client_for, inventory, spec_data
from tests.helpers.mcp import ToolCaller, connect, settings_for, text_of
from tests.helpers.secret_entry import SecretTyper, form_token, post_secret

LABEL = "the S3 secret access key"
TYPED = "typed-on-the-page-7f3a9c"
PROTOCOL = {"auto": "2026-07-28", "legacy": "2025-11-25"}
Mode = Literal["auto", "legacy"]


def asking_spec(name: str = "asked-orders") -> dict[str, Any]:
    data = spec_data(name)
    data["credential"]["fields"]["secret_access_key"] = {"from_user": LABEL}
    return data


def stored_secret(sandbox: Any, credential_id: int) -> dict[str, Any]:
    """What the sandbox holds as the credential's secrets (to prove the typed value arrived)."""
    with sqlite3.connect(Path(sandbox.data_dir) / "sandbox.db") as db:
        row = db.execute("SELECT data FROM credential_secrets WHERE credential_id = ?", (credential_id,)).fetchone()
    return json.loads(row[0]) if row else {}


async def _nothing_deployed(sandbox: Any) -> None:
    async with client_for(sandbox) as api:
        found = await inventory(api)
    names = [name for rows in found.values() for _, name in rows]
    assert not [name for name in names if name.startswith("asked-orders")], found


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_secret_typed_on_the_page_deploys_and_never_reaches_the_transcript(
    mode: Mode, sandbox, tmp_path
) -> None:
    write_demo_data(sandbox.data_dir, orders=5, files=1)
    audit = tmp_path / "audit.jsonl"
    typer = SecretTyper({LABEL: TYPED})
    async with connect(settings_for(sandbox, audit_log=audit), elicitation_callback=typer, mode=mode) as client:
        assert client.protocol_version == PROTOCOL[mode]
        call = ToolCaller(client, (await client.list_tools()).tools)
        plan = await call.ok("plan_deployment", {"spec": asking_spec()})
        assert not typer.urls, "a dry run sends no secret, so it asks for none"
        report = await call.ok("validate_deployment", {"spec": asking_spec()})
        assert report["ok"] is True, report
        applied = await call.ok("apply_deployment", {"spec": asking_spec()})
        assert applied["status"] == "applied", applied
        assert len(typer.urls) == 1, "validate asked; apply reused the value kept in server memory"
        url = typer.urls[0]
        assert url.startswith("http://127.0.0.1:") and "/secret/" in url
        assert LABEL in typer.messages[0] and "credential.fields.secret_access_key" in typer.messages[0]
        credential_id = next(r["id"] for r in applied["created"] if r["kind"] == "data_credentials")
        probe = await call.ok("probe_credential", {"credential_id": credential_id})
        assert probe["verified"] is True, probe
        transcript = json.dumps([plan, report, applied, probe])
        async with httpx.AsyncClient() as http:
            assert (await http.get(url)).status_code == 404, "a used page is gone"
    assert stored_secret(sandbox, credential_id)["secret_access_key"] == TYPED
    assert TYPED not in transcript
    assert TYPED not in audit.read_text() and audit.read_text()
    assert TYPED not in "".join(response.text for response in typer.responses), "the page never echoes the value"
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(url)  # the page server stopped with the MCP session


@pytest.mark.parametrize("action", ["decline", "cancel"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_declined_or_cancelled_page_refuses_and_creates_nothing(mode: Mode, action: str, sandbox) -> None:
    typer = SecretTyper({LABEL: TYPED}, action=action)  # type: ignore[arg-type]
    async with connect(settings_for(sandbox), elicitation_callback=typer, mode=mode) as client:
        refused = await client.call_tool("apply_deployment", {"spec": asking_spec()})
    assert refused.is_error, text_of(refused)
    payload = refused.structured_content
    assert payload is not None and payload["error"] == "refused", payload
    assert f"{action}d" in payload["message"] and LABEL in payload["message"]
    assert "nothing was changed" in payload["message"] and "keyring set nexla-ops" in payload["hint"]
    assert len(typer.urls) == 1
    await _nothing_deployed(sandbox)


async def test_a_page_left_unsubmitted_expires_and_creates_nothing(sandbox, monkeypatch) -> None:
    monkeypatch.setenv("NEXLA_MCP_SECRET_TIMEOUT_S", "0.3")
    typer = SecretTyper({LABEL: TYPED}, submit=False)
    async with connect(settings_for(sandbox), elicitation_callback=typer) as client:
        expired = await client.call_tool("apply_deployment", {"spec": asking_spec()})
        async with httpx.AsyncClient() as http:
            assert (await http.get(typer.urls[0])).status_code == 404
    assert expired.is_error and expired.structured_content is not None, text_of(expired)
    assert expired.structured_content["error"] == "refused"
    assert "expired" in expired.structured_content["message"]
    await _nothing_deployed(sandbox)


async def test_the_page_refuses_wrong_forged_and_replayed_submissions(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=3, files=1)
    seen: dict[str, int] = {}

    async def user(context: Any, params: ElicitRequestParams) -> ElicitResult:
        assert isinstance(params, ElicitRequestURLParams)
        url = params.url
        origin = url.split("/secret/")[0]
        async with httpx.AsyncClient() as http:
            wrong = url[:-4] + ("aaaa" if not url.endswith("aaaa") else "bbbb")
            seen["wrong_get"] = (await http.get(wrong)).status_code
            seen["wrong_post"] = (await http.post(wrong, data={"form_token": "x", "value": "guess"})).status_code
            page = await http.get(url)
            assert page.headers["cache-control"] == "no-store" and "DENY" in page.headers["x-frame-options"]
            token = form_token(page.text)
            seen["no_form_token"] = (await http.post(url, data={"value": "forged"})).status_code
            seen["other_origin"] = (await http.post(
                url, data={"form_token": token, "value": "forged"}, headers={"Origin": "http://evil.example"}
            )).status_code
            seen["json_body"] = (await http.post(url, json={"form_token": token, "value": "forged"})).status_code
            seen["empty"] = (await http.post(url, data={"form_token": token, "value": ""},
                                             headers={"Origin": origin})).status_code
        seen["typed"] = (await post_secret(url, TYPED)).status_code
        seen["replayed"] = (await post_secret_raw(url, token, "replayed-value")).status_code
        return ElicitResult(action="accept")

    async with connect(settings_for(sandbox), elicitation_callback=user) as client:
        applied = await client.call_tool("apply_deployment", {"spec": asking_spec()})
    assert not applied.is_error, text_of(applied)
    assert seen == {"wrong_get": 404, "wrong_post": 404, "no_form_token": 403, "other_origin": 403,
                    "json_body": 415, "empty": 200, "typed": 200, "replayed": 404}
    credential_id = next(r["id"] for r in applied.structured_content["created"]
                         if r["kind"] == "data_credentials")
    assert stored_secret(sandbox, credential_id)["secret_access_key"] == TYPED


async def post_secret_raw(url: str, token: str, value: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(url, data={"form_token": token, "value": value})


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_client_without_url_elicitation_is_told_what_to_do_instead(mode: Mode, sandbox) -> None:
    async with connect(settings_for(sandbox), mode=mode) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        refused = await call.error("apply_deployment", {"spec": asking_spec()})
    message = refused["message"]
    assert "credential.fields.secret_access_key" in message and "does not support URL elicitation" in message
    assert "keyring set nexla-ops asked_orders_secret_access_key" in message
    assert "{from_dotenv: {file: PATH, key: ASKED_ORDERS_SECRET_ACCESS_KEY}}" in message
    assert "NEXLA_SECRET_ASKED_ORDERS_SECRET_ACCESS_KEY" in message
    await _nothing_deployed(sandbox)


async def test_over_stdio_the_value_stays_out_of_stderr_and_the_audit_log(sandbox, sandbox_env, tmp_path) -> None:
    write_demo_data(sandbox.data_dir, orders=3, files=1)
    typer = SecretTyper({LABEL: TYPED})
    stderr = tmp_path / "stderr.txt"
    server = StdioServerParameters(command=sys.executable, args=["-m", "nexla_mcp", "--toolsets", "deploy,credentials",
                                                                 "--log-level", "DEBUG"], env=sandbox_env)
    with stderr.open("w") as errlog:
        async with Client(stdio_client(server, errlog=errlog), elicitation_callback=typer) as client:
            applied = await client.call_tool("apply_deployment", {"spec": asking_spec()})
            assert not applied.is_error, text_of(applied)
    assert len(typer.urls) == 1
    assert TYPED not in text_of(applied)
    assert stderr.read_text() and TYPED not in stderr.read_text()
    audit = Path(sandbox_env["NEXLA_AUDIT_LOG"]).read_text()
    assert audit and TYPED not in audit


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_two_secrets_get_two_pages_in_one_call(mode: Mode, sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=3, files=1)
    sink_label, sink_value = "the sink's S3 secret access key", "second-typed-value-41c2"
    spec = asking_spec()
    spec["destinations"][0]["credential"] = {
        "name": "asked-orders-sink-s3", "type": "s3",
        "fields": {"access_key_id": "AKIASINK", "secret_access_key": {"from_user": sink_label}},
    }
    typer = SecretTyper({sink_label: sink_value, LABEL: TYPED})
    async with connect(settings_for(sandbox), elicitation_callback=typer, mode=mode) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        applied = await call.ok("apply_deployment", {"spec": spec})
    assert applied["status"] == "applied", applied
    assert len(typer.urls) == 2 and len(set(typer.urls)) == 2
    assert any("destinations[0].credential.fields.secret_access_key" in message for message in typer.messages)
    created = {r["name"]: r["id"] for r in applied["created"] if r["kind"] == "data_credentials"}
    assert stored_secret(sandbox, created["asked-orders-s3"])["secret_access_key"] == TYPED
    assert stored_secret(sandbox, created["asked-orders-sink-s3"])["secret_access_key"] == sink_value
    assert TYPED not in json.dumps(applied) and sink_value not in json.dumps(applied)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_rotation_takes_the_new_secret_from_the_page(mode: Mode, sandbox, monkeypatch) -> None:
    monkeypatch.setenv("UNLISTED_SERVER_VARIABLE", "server-env-value-3b1d")
    write_demo_data(sandbox.data_dir, orders=3, files=1)
    async with client_for(sandbox) as api:
        credential = await make_credential(api)
        await make_flow(api, credential["id"], name="rotated-by-page", activate=False)
    rotated_label, rotated_value = "the new S3 secret access key", "rotated-on-the-page-55e0"
    typer = SecretTyper({rotated_label: rotated_value})
    arguments: dict[str, Any] = {"credential_id": credential["id"], "fields": {"access_key_id": "AKIANEW"},
                                 "fields_from_user": {"secret_access_key": rotated_label}}
    async with connect(settings_for(sandbox), elicitation_callback=typer, mode=mode) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        leaky = await call.error("rotate_credential", {**arguments, "fields_from_user": {}, "dry_run": False,
                                                       "fields_from_env": {"secret_access_key": "UNLISTED_SERVER_VARIABLE"}})
        assert "not allowed here" in leaky["message"] and not typer.urls
        planned = await call.ok("rotate_credential", arguments)
        assert planned["outcome"] == "planned"
        rotated = await call.ok("rotate_credential", {**arguments, "dry_run": False})
        assert rotated["outcome"] == "rotated", rotated
        assert len(typer.urls) == 1, "the dry run asked; the rotation reused the value"
        assert "Rotating credential" in typer.messages[0] and "fields_from_user.secret_access_key" in typer.messages[0]
        probe = await call.ok("probe_credential", {"credential_id": rotated["new_credential_id"]})
        assert probe["verified"] is True
    assert stored_secret(sandbox, rotated["new_credential_id"])["secret_access_key"] == rotated_value
    transcript = json.dumps([leaky, planned, rotated, probe])
    assert rotated_value not in transcript and "server-env-value-3b1d" not in transcript


async def test_a_task_cannot_ask_but_reuses_a_value_typed_before(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=3, files=1)
    typer = SecretTyper({LABEL: TYPED})
    as_task = {TASKS_EXTENSION: {"ttl": 60_000}}
    async with connect(settings_for(sandbox), elicitation_callback=typer, extensions=[tasks.TasksClient()]) as client:
        refused = await client.call_tool("apply_deployment", {"spec": asking_spec()}, meta=as_task)
        assert refused.is_error and refused.structured_content is not None, text_of(refused)
        assert "inside a task" in refused.structured_content["message"]
        assert "validate_deployment" in refused.structured_content["hint"] and not typer.urls
        await _nothing_deployed(sandbox)
        validated = await client.call_tool("validate_deployment", {"spec": asking_spec()})
        assert not validated.is_error and len(typer.urls) == 1, text_of(validated)
        applied = await client.call_tool("apply_deployment", {"spec": asking_spec()}, meta=as_task)
    assert not applied.is_error and applied.structured_content is not None, text_of(applied)
    assert applied.structured_content["status"] == "applied" and TYPED not in text_of(applied)
    credential_id = next(r["id"] for r in applied.structured_content["created"] if r["kind"] == "data_credentials")
    assert stored_secret(sandbox, credential_id)["secret_access_key"] == TYPED


async def test_over_streamable_http_the_rounds_survive_between_requests(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=3, files=1)
    token = "secret-elicitation-http-token-0123456789"
    app = http_app(build_server(settings=settings_for(sandbox)), host="127.0.0.1", token=token)
    typer = SecretTyper({LABEL: TYPED})
    async with app.router.lifespan_context(app):
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1:8765",
                                  headers={"Authorization": f"Bearer {token}"})
        async with http, Client(streamable_http_client("http://127.0.0.1:8765/mcp", http_client=http),
                                elicitation_callback=typer) as client:
            applied = await client.call_tool("apply_deployment", {"spec": asking_spec()})
    assert not applied.is_error, text_of(applied)
    assert len(typer.urls) == 1 and TYPED not in text_of(applied)


async def test_from_user_never_fills_a_readable_field(sandbox) -> None:
    typer = SecretTyper({"bucket": "typed-into-a-readable-field"})
    spec = asking_spec()
    spec["credential"]["fields"]["access_key_id"] = {"from_user": "bucket"}
    async with connect(settings_for(sandbox), elicitation_callback=typer) as client:
        call = ToolCaller(client, (await client.list_tools()).tools)
        refused = await call.error("apply_deployment", {"spec": spec})
        rotation = await call.error("rotate_credential", {"credential_id": 1, "fields_from_user": {"region": "r"}})
    assert refused["issues"][0]["path"] == "credential.fields.access_key_id", refused
    assert "fills only secret fields" in refused["issues"][0]["message"]
    assert "fills only secret fields" in rotation["issues"][0]["message"]
    assert not typer.urls, "refused before anyone is asked"
    await _nothing_deployed(sandbox)
