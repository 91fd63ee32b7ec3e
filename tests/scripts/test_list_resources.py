"""list_resources.py as a subprocess."""

from __future__ import annotations

import json
import subprocess

import httpx

from tests.helpers.scripts import run_script



def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_script("list_resources", *args, env=env)


def _create_sources(sandbox, count: int) -> None:
    token = httpx.post(f"{sandbox.base_url}/token", headers={"Authorization": f"Basic {sandbox.service_key}"}).json()["access_token"]
    for n in range(count):
        response = httpx.post(f"{sandbox.base_url}/data_sources", headers={"Authorization": f"Bearer {token}"},
                              json={"name": f"src-{n}", "source_type": "s3"})
        response.raise_for_status()


def test_help():
    assert "--cursor" in run("--help").stdout


def test_list_with_cursor_json_and_table(sandbox, sandbox_env):
    _create_sources(sandbox, 3)
    first = json.loads(run("sources", "--limit", "2", "--json", env=sandbox_env).stdout)
    assert first["ok"] and first["result"]["has_more"] and len(first["result"]["items"]) == 2
    rest = json.loads(run("sources", "--limit", "2", "--cursor", first["result"]["next_cursor"], "--json", env=sandbox_env).stdout)
    assert [i["name"] for i in rest["result"]["items"]] == ["src-2"] and not rest["result"]["has_more"]
    table = run("sources", "--name", "src-1", env=sandbox_env)
    assert table.returncode == 0 and "src-1" in table.stdout and "(complete)" in table.stdout


def test_failures(sandbox, sandbox_env):
    assert run("widgets", env=sandbox_env).returncode == 2
    missing = run("sources", "--id", "999999", "--json", env=sandbox_env)
    assert missing.returncode == 4 and json.loads(missing.stdout)["error"]["status"] == 404


def test_wrong_kind_is_one_clear_line_and_owner_is_an_email(sandbox, sandbox_env):
    _create_sources(sandbox, 1)
    wrong = run("widgets", env=sandbox_env)
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.startswith("error: kind: unknown resource type 'widgets'; use one of: data_credentials")
    assert "pydantic" not in wrong.stderr and "validation error for" not in wrong.stderr
    document = json.loads(run("widgets", "--json", env=sandbox_env).stdout)
    assert document["error"]["issues"] == [{"field": "kind", "message": document["error"]["issues"][0]["message"]}]
    table = run("sources", env=sandbox_env)
    assert table.returncode == 0 and "admin@sandbox.local" in table.stdout and '{"id"' not in table.stdout
