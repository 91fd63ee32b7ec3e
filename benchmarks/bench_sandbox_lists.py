"""Time of one list page from the sandbox at 100 and at 1000 flows (run by `make bench`, not `make test`).

Each flow is a credential, a source, its detected nexset, a derived nexset and a sink, written
straight into the sandbox's state (setting up through the API would take minutes), all owned by
the admin. Then, over loopback HTTP as that admin, it times `GET /data_sources?page=1&per_page=100`,
`GET /data_sinks?page=1&per_page=100` and `GET /flows?page=1&per_page=100` (best of a few tries) and
prints one JSON document: `{"flows": {"100": {route: seconds}, "1000": {...}}, "ratio": {route: t1000/t100}}`.
A list page that costs O(page) keeps the ratio near 1. Run it directly:
`python benchmarks/bench_sandbox_lists.py [FLOWS ...]`.
"""

from __future__ import annotations

import json
import sys
import time
from typing import cast

from starlette.applications import Starlette

from nexla_sandbox.state import accessors
from nexla_sandbox.state.store import Store
from nexla_sandbox.testing import SandboxHandle, running_sandbox

ROUTES = ("data_sources", "data_sinks", "flows")
TRIES = 5


def add_flows(store: Store, owner_id: int, org_id: int, count: int) -> None:
    """``count`` complete flows owned by ``owner_id`` (one transaction)."""
    owner = {"owner_id": owner_id, "org_id": org_id}
    with store.db.transaction():
        for n in range(count):
            credential = store.create("data_credentials", {"name": f"bench {n}", "credentials_type": "s3",
                                                           "credentials": {"secret_access_key": "x"}}, **owner)
            source = store.create("data_sources", {"name": f"bench {n}", "source_type": "s3", "status": "PAUSED",
                                                   "data_credentials_id": credential["id"],
                                                   "source_config": {"path": f"bench/{n}/"}}, **owner)
            detected = store.create("data_sets", {"name": f"bench {n} (detected)", "data_source_id": source["id"],
                                                  "parent_data_set_id": None, "status": "PAUSED"}, **owner)
            derived = store.create("data_sets", {"name": f"bench {n} clean", "data_source_id": None,
                                                 "parent_data_set_id": detected["id"], "status": "PAUSED"}, **owner)
            sink = store.create("data_sinks", {"name": f"bench {n} out", "sink_type": "s3", "status": "PAUSED",
                                               "data_set_id": derived["id"], "data_credentials_id": credential["id"],
                                               "sink_config": {"path": f"out/{n}/"}}, **owner)
            for kind, record in (("data_credentials", credential), ("data_sources", source),
                                 ("data_sets", detected), ("data_sets", derived), ("data_sinks", sink)):
                accessors.grant_owner(store, kind, record["id"], owner_id)


def page_times(sandbox: SandboxHandle) -> dict[str, float]:
    """Best-of-TRIES seconds for the first page of 100 of each route."""
    found: dict[str, float] = {}
    with sandbox.client() as client:
        for route in ROUTES:
            best = float("inf")
            for _ in range(TRIES):
                started = time.perf_counter()
                response = client.get(route, params={"page": 1, "per_page": 100})
                best = min(best, time.perf_counter() - started)
                response.raise_for_status()
            found[route] = round(best, 4)
    return found


def run(sizes: tuple[int, ...] = (100, 1000)) -> dict:
    """Page times at each number of flows, and the ratio of the largest to the smallest."""
    results: dict[str, dict[str, float]] = {}
    with running_sandbox() as sandbox:
        store: Store = cast(Starlette, sandbox.app).state.store
        admin_id = sandbox.users["admin"]
        admin = store.get("users", admin_id)
        assert admin is not None
        org_id = admin["default_org_id"]
        have = 0
        for size in sorted(sizes):
            add_flows(store, admin_id, org_id, size - have)
            have = size
            results[str(size)] = page_times(sandbox)
    low, high = results[str(min(sizes))], results[str(max(sizes))]
    return {"flows": results, "ratio": {route: round(high[route] / low[route], 2) for route in ROUTES}}


def test_list_page_time_is_reported() -> None:
    report = run((10, 20))
    assert set(report["flows"]) == {"10", "20"} and set(report["ratio"]) == set(ROUTES)


if __name__ == "__main__":
    sizes = tuple(int(arg) for arg in sys.argv[1:]) or (100, 1000)
    print(json.dumps(run(sizes), indent=2))
