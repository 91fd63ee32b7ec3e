"""ACCESS_CONTROL.md's role matrix, cell by cell, against a running sandbox.

The matrix is parsed from the document itself, so the documentation and this test cannot drift:
every item of the "What it covers" column must have a request below (a new item fails the test
until it has one), and each (item, role) cell expects 200 for "yes" and 403 for "-".

The pipeline is created once by the org admin (its creator, so its ``owner``); the other seeded
users get USER accessors: ``member`` admin, ``operator`` operator, ``collaborator`` collaborator,
on the credential, source, derived nexset and destination: the pieces the "share the whole
pipeline" recipe shares (not the nexset the source detected).
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sandbox.testing import SandboxHandle, running_sandbox

from tests.docs.recipes import REPO, Block, extract_blocks, run_shell_block

DOCUMENT = "ACCESS_CONTROL.md"
ROLES = ("collaborator", "operator", "admin", "owner")
# Which seeded user holds each documented role on the shared pipeline.
HOLDER = {"owner": "admin", "admin": "member", "operator": "operator", "collaborator": "collaborator"}


def documented_matrix() -> dict[tuple[str, str], dict[str, bool]]:
    """(action, covered item) -> {role: allowed}, read from the Roles table of ACCESS_CONTROL.md."""
    text = (REPO / DOCUMENT).read_text()
    header = re.search(r"^\| Action \| What it covers \|(?P<roles>.*)\|$", text, re.MULTILINE)
    assert header, f"{DOCUMENT} has no role matrix (a table starting '| Action | What it covers |')"
    roles = [cell.strip() for cell in header.group("roles").split("|")]
    assert tuple(roles) == ROLES, f"{DOCUMENT}'s matrix columns are {roles}, expected {list(ROLES)}"
    cells: dict[tuple[str, str], dict[str, bool]] = {}
    for line in text[header.end():].lstrip("\n").splitlines()[1:]:
        if not line.startswith("|"):
            break
        action, covers, *marks = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert all(mark in ("yes", "-") for mark in marks), f"{DOCUMENT}: row {action!r} has marks {marks}"
        for item in (part.strip() for part in re.sub(r"\(.*?\)", "", covers).split(",")):
            cells[(action, item)] = dict(zip(roles, (mark == "yes" for mark in marks), strict=True))
    return cells


@dataclass
class World:
    """The shared pipeline and a client per seeded user (one token each)."""

    sandbox: SandboxHandle
    clients: dict[str, httpx.Client]
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def admin(self) -> httpx.Client:
        return self.clients["admin"]

    def share(self, kind: str, resource_id: int) -> None:
        """Give each non-owner holder their role on one resource (PUT merges; POST would replace)."""
        grants = [{"type": "USER", "id": self.sandbox.users[label], "access_roles": [role]}
                  for role, label in HOLDER.items() if role != "owner"]
        _ok(self.admin.put(f"{kind}/{resource_id}/accessors", json={"accessors": grants}))

    def fresh(self, kind: str, body: dict) -> dict:
        """A new shared resource only this cell uses (for destructive actions)."""
        record = _ok(self.admin.post(kind, json={**body, "name": f"cell {uuid.uuid4().hex[:8]}"}))
        assert isinstance(record, dict)
        self.share(kind, record["id"])
        return record


def _ok(response: httpx.Response) -> dict | list:
    assert response.status_code == 200, (response.request.url, response.status_code, response.text)
    result: dict | list = response.json()
    return result


CREDENTIAL = {"credentials_type": "s3",
              "credentials": {"region": "us-east-1", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t"}}
TRANSFORM = {"version": 1, "operations": [{"operation": "filter", "condition": "status != 'CANCELLED'"}]}


def _source(world: World) -> dict:
    return {"source_type": "s3", "data_credentials_id": world.ids["credential"],
            "source_config": {"path": "ingest/orders/", "file_format": "json"}}


def _listed(world: World, client: httpx.Client) -> httpx.Response:
    """The list answers 200 to anyone; the cell is whether the shared source is in it."""
    response = client.get("data_sources", params={"access_role": "collaborator"})
    shown = [s["id"] for s in _ok(response) if isinstance(s, dict)]
    return httpx.Response(200 if world.ids["source"] in shown else 403, request=response.request)


def _revoke(world: World, client: httpx.Client) -> httpx.Response:
    path = f"data_credentials/{world.ids['share_target']}/accessors"
    _ok(world.admin.put(path, json={"accessors": [{"type": "TEAM", "name": "analytics",
                                                    "access_roles": ["collaborator"]}]}))
    return client.request("DELETE", path, json={"accessors": [{"type": "TEAM", "name": "analytics"}]})


def _replace(world: World, client: httpx.Client) -> httpx.Response:
    path = f"data_credentials/{world.ids['share_target']}/accessors"
    current = _ok(world.admin.get(path))
    same = [{"type": a["type"], "id": a["id"], "access_roles": a["access_roles"]} for a in current]
    return client.post(path, json={"accessors": same})


def _run_now(world: World, client: httpx.Client) -> httpx.Response:
    """Run-now needs an active flow; the pause cells may have left it paused."""
    _ok(world.admin.put(f"flows/{world.ids['flow']}/activate", params={"all": 1}))
    return client.post(f"flows/{world.ids['flow']}/run_now")


def _delete_flow(world: World, client: httpx.Client) -> httpx.Response:
    source = world.fresh("data_sources", _source(world))
    return client.delete(f"flows/{source['flow_node_id']}")


Request = Callable[[World, httpx.Client], httpx.Response]
# (action, covered item as the document words it) -> the request that exercises it.
REQUESTS: dict[tuple[str, str], Request] = {
    ("read", "get"): lambda w, c: c.get(f"data_sources/{w.ids['source']}"),
    ("read", "list"): _listed,
    ("read", "flow tree"): lambda w, c: c.get(f"data_sources/{w.ids['source']}/flow"),
    ("read", "samples"): lambda w, c: c.get(f"data_sets/{w.ids['derived']}/samples"),
    ("read", "metrics"): lambda w, c: c.get(f"data_sources/{w.ids['source']}/metrics",
                                            params={"from": "2020-01-01"}),
    ("read", "logs"): lambda w, c: c.post(f"flows/{w.ids['flow']}/logs_v2", json={}),
    ("read", "audit log"): lambda w, c: c.get(f"data_sources/{w.ids['source']}/audit_log"),
    ("read", "list accessors"): lambda w, c: c.get(f"data_sources/{w.ids['source']}/accessors"),
    ("read", "probe a credential"): lambda w, c: c.get(f"data_credentials/{w.ids['credential']}/probe"),
    ("reference", "use it from another resource"): lambda w, c: c.post("data_sinks", json={
        "name": "cell sink", "sink_type": "s3", "data_credentials_id": w.ids["credential"],
        "data_set_id": w.ids["derived"], "sink_config": {"path": "cell/", "data_format": "json"}}),
    ("operate", "activate"): lambda w, c: c.put(f"data_sinks/{w.ids['sink']}/activate"),
    ("operate", "pause"): lambda w, c: c.put(f"data_sinks/{w.ids['sink']}/pause"),
    ("operate", "run now"): _run_now,
    ("update", "change fields"): lambda w, c: c.put(f"data_sources/{w.ids['source']}",
                                                    json={"description": "changed by a matrix cell"}),
    ("update", "copy"): lambda w, c: c.post(f"data_sinks/{w.ids['sink']}/copy", json={}),
    ("update", "docs recommendation"): lambda w, c: c.post(f"data_sets/{w.ids['derived']}/docs/recommendation"),
    ("share", "grant"): lambda w, c: c.put(f"data_credentials/{w.ids['share_target']}/accessors", json={
        "accessors": [{"type": "TEAM", "name": "analytics", "access_roles": ["collaborator"]}]}),
    ("share", "revoke or replace accessors"): _revoke,
    ("delete", "delete the resource or its flow"): lambda w, c: c.delete(
        f"data_credentials/{w.fresh('data_credentials', CREDENTIAL)['id']}"),
}
# The documented items that name several requests; each is checked on its own.
EXTRA: dict[tuple[str, str], list[tuple[str, Request]]] = {
    ("reference", "use it from another resource"): [
        ("a source's credential", lambda w, c: c.post("data_sources", json={"name": "cell source", **_source(w)})),
        ("a nexset's parent", lambda w, c: c.post("data_sets", json={
            "name": "cell nexset", "parent_data_set_id": w.ids["derived"], "has_custom_transform": True,
            "transform": TRANSFORM})),
        ("a destination's nexset", REQUESTS[("reference", "use it from another resource")]),
    ],
    ("share", "revoke or replace accessors"): [("revoke", _revoke), ("replace", _replace)],
    # A flow's rights are its root source's: the flow-level actions must not need the detected nexset,
    # which the world (like the "share the whole pipeline" recipe) does not share.
    ("operate", "activate"): [
        ("activate a destination", REQUESTS[("operate", "activate")]),
        ("activate the flow", lambda w, c: c.put(f"flows/{w.ids['flow']}/activate", params={"all": 1})),
    ],
    ("operate", "pause"): [
        ("pause a destination", REQUESTS[("operate", "pause")]),
        ("pause the flow", lambda w, c: c.put(f"flows/{w.ids['flow']}/pause", params={"all": 1})),
    ],
    ("delete", "delete the resource or its flow"): [
        ("delete the resource", REQUESTS[("delete", "delete the resource or its flow")]),
        ("delete its flow", _delete_flow),
    ],
}

MATRIX = documented_matrix()
CELLS = [(action, item, sub, role, allowed)
         for (action, item), by_role in MATRIX.items()
         for sub in ([name for name, _ in EXTRA[(action, item)]] if (action, item) in EXTRA else [item])
         for role, allowed in by_role.items()]


def _request(action: str, item: str, sub: str) -> Request:
    for name, request in EXTRA.get((action, item), []):
        if name == sub:
            return request
    return REQUESTS[(action, item)]


def _pipeline(admin: httpx.Client, name: str) -> dict[str, int]:
    """credential -> source (activated, so it detects a nexset) -> derived nexset -> destination."""
    def made(kind: str, body: dict) -> dict:
        record = _ok(admin.post(kind, json={"name": f"{name} {kind}", **body}))
        assert isinstance(record, dict)
        return record

    credential = made("data_credentials", CREDENTIAL)
    source = made("data_sources", {"source_type": "s3", "data_credentials_id": credential["id"],
                                   "source_config": {"path": "ingest/orders/", "file_format": "json"}})
    _ok(admin.put(f"data_sources/{source['id']}/activate"))
    expanded = _ok(admin.get(f"data_sources/{source['id']}", params={"expand": 1}))
    assert isinstance(expanded, dict)
    detected = expanded["data_sets"][0]["id"]
    derived = made("data_sets", {"parent_data_set_id": detected, "has_custom_transform": True,
                                 "transform": TRANSFORM})
    sink = made("data_sinks", {"sink_type": "s3", "data_credentials_id": credential["id"],
                               "data_set_id": derived["id"], "sink_config": {"path": "out/", "data_format": "json"}})
    return {"credential": credential["id"], "source": source["id"], "flow": source["flow_node_id"],
            "detected": detected, "derived": derived["id"], "sink": sink["id"]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running_sandbox(tmp_path_factory.mktemp("matrix") / "sandbox-data") as sandbox:
        write_demo_data(sandbox.data_dir)
        clients = {label: sandbox.client(label) for label in HOLDER.values()}
        try:
            world = World(sandbox, clients)
            admin = world.admin
            world.ids.update(_pipeline(admin, "matrix"))
            target = _ok(admin.post("data_credentials", json={"name": "matrix share target", **CREDENTIAL}))
            assert isinstance(target, dict)
            world.ids["share_target"] = target["id"]
            for kind, key in (("data_credentials", "credential"), ("data_sources", "source"),
                              ("data_sets", "derived"), ("data_sinks", "sink"),
                              ("data_credentials", "share_target")):
                world.share(kind, world.ids[key])
            yield world
        finally:
            for client in clients.values():
                client.close()


def test_every_documented_item_has_a_request() -> None:
    missing = sorted(set(MATRIX) - set(REQUESTS))
    assert not missing, f"{DOCUMENT} documents items this test cannot exercise yet: {missing}"
    assert len(CELLS) >= 4 * len(MATRIX)


@pytest.mark.parametrize(("action", "item", "sub", "role", "allowed"), CELLS,
                         ids=[f"{a}:{s}:{r}" for a, _, s, r, _ in CELLS])
def test_documented_cell(world: World, action: str, item: str, sub: str, role: str, allowed: bool) -> None:
    if (action, item) not in REQUESTS:
        pytest.fail(f"no request for {DOCUMENT}'s {action!r} item {item!r}")
    response = _request(action, item, sub)(world, world.clients[HOLDER[role]])
    expected = 200 if allowed else 403
    assert response.status_code == expected, (
        f"{DOCUMENT} says {role} {'may' if allowed else 'may not'} {action} ({sub}); "
        f"{response.request.method} {response.request.url.path} answered {response.status_code} "
        f"{response.headers.get('X-Sandbox-Error', '')}")


def _recipe_block(heading: str) -> Block:
    """The first runnable block under a heading of ACCESS_CONTROL.md, as the document writes it."""
    text = (REPO / DOCUMENT).read_text()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    first, last = text.count("\n", 0, start) + 1, text.count("\n", 0, end if end != -1 else len(text)) + 1
    blocks = [b for b in extract_blocks(DOCUMENT) if first <= b.line <= last]
    assert blocks, f"{DOCUMENT} has no runnable block under '## {heading}'"
    return blocks[0]


def _flow_control(sandbox: SandboxHandle, label: str, action: str, flow_id: int,
                  env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The product's flow_control script, run as a seeded user."""
    command = f"python scripts/flow_control.py {action} --kind flows --id {flow_id} --json --quiet"
    return run_shell_block(Block(DOCUMENT, 0, "bash", (), command), {**env, "NEXLA_SERVICE_KEY": sandbox.keys[label]})


def test_share_the_whole_pipeline_lets_the_team_pause_and_activate(sandbox: SandboxHandle,
                                                                  sandbox_env: dict[str, str]) -> None:
    write_demo_data(sandbox.data_dir)
    with sandbox.client("admin") as admin:
        ids = _pipeline(admin, "team")
        env = {**sandbox_env, "SOURCE_ID": str(ids["source"]), "NEXSET_ID": str(ids["derived"]),
               "SINK_ID": str(ids["sink"]), "CREDENTIAL_ID": str(ids["credential"]), "FLOW_ID": str(ids["flow"])}
        done = run_shell_block(_recipe_block("No inheritance: share the whole pipeline"), env)
        assert done.returncode == 0, done.stderr
        # The recipe shares the pieces it names, not the nexset the source detected.
        team = [a for a in _ok(admin.get(f"data_sets/{ids['detected']}/accessors")) if a["type"] == "TEAM"]
        assert team == []

        def statuses() -> set[str]:
            found = [_ok(admin.get(f"{kind}/{ids[key]}")) for kind, key in (
                ("data_sources", "source"), ("data_sets", "detected"), ("data_sets", "derived"), ("data_sinks", "sink"))]
            return {record["status"] for record in found if isinstance(record, dict)}

        # `member` is not in data-eng: refused, and nothing changes.
        before = statuses()
        refused = _flow_control(sandbox, "member", "pause", ids["flow"], env)
        assert refused.returncode != 0 and statuses() == before
        for action, status in (("pause", "PAUSED"), ("activate", "ACTIVE"), ("pause", "PAUSED")):
            done = _flow_control(sandbox, "operator", action, ids["flow"], env)
            assert done.returncode == 0, (action, done.stdout, done.stderr)
            assert statuses() == {status}, action
