"""Credential probes, probe tree and probe sample over local folders, through the API on loopback.

A probe that connects answers 200 ``{output}``; one that does not answers 403 ``{status, message}``.
Probe tree and sample answer ``{status: "ok", message: "Ok", connection_type, output}``; ``/`` is the root.
"""

from __future__ import annotations

import httpx

from nexla_sandbox.runtime.demo import write_demo_data
from nexla_sandbox.testing import SandboxHandle

SECRET = {"access_key_id": "AKIA", "secret_access_key": "s3cr3t-value"}


def credential(client: httpx.Client, credentials: dict, credentials_type: str = "s3") -> int:
    created = client.post("data_credentials", json={"name": "probe", "credentials_type": credentials_type,
                                                    "credentials": credentials})
    assert created.status_code == 200, created.text
    return int(created.json()["id"])


def test_probe_succeeds_when_root_exists(sandbox: SandboxHandle) -> None:
    write_demo_data(sandbox.data_dir, orders=5, files=1)
    with sandbox.client() as client:
        probe = client.get(f"data_credentials/{credential(client, SECRET)}/probe")
    assert probe.status_code == 200
    assert probe.json() == {"output": {"connection_verified": True, "message": "connected to the s3 store"}}


def test_probe_failures_are_error_statuses_and_never_echo_secrets(sandbox: SandboxHandle) -> None:
    with sandbox.client() as client:
        good = credential(client, SECRET)
        missing_root = client.get(f"data_credentials/{good}/probe")
        assert missing_root.status_code == 403 and missing_root.json()["status"] == 403
        assert "root 's3/' does not exist" in missing_root.json()["message"]
        assert client.get(f"data_credentials/{good}").json()["verified_status"] == "FAILED"
        write_demo_data(sandbox.data_dir, orders=5, files=1)
        empty = client.get(f"data_credentials/{credential(client, {'access_key_id': 'AKIA', 'secret_access_key': ''})}/probe")
        assert empty.status_code == 403 and "credentials.'secret_access_key'" in empty.json()["message"]
        bucket = client.get(f"data_credentials/{credential(client, {**SECRET, 'bucket': 'nope'})}/probe")
        assert bucket.status_code == 403 and "bucket 'nope' does not exist" in bucket.json()["message"]
        assert all("s3cr3t" not in r.text for r in (missing_root, empty, bucket))
        gcs = client.get(f"data_credentials/{credential(client, {'credentials_json': '{}'}, 'gcs')}/probe")
        assert gcs.status_code == 403
        other = client.get(f"data_credentials/{credential(client, {}, 'snowflake')}/probe")
        assert other.status_code == 200 and other.json()["output"]["connection_verified"] is False
        assert client.get(f"data_credentials/{good}/probe").status_code == 200
        assert client.get(f"data_credentials/{good}").json()["verified_status"] == "VERIFIED"


def test_probe_tree_respects_depth_and_allows_the_root(sandbox: SandboxHandle) -> None:
    write_demo_data(sandbox.data_dir, orders=10, files=2)
    with sandbox.client() as client:
        cred = credential(client, SECRET)
        for path in (None, "/"):
            body = {"depth": 1, **({"path": path} if path else {})}
            shallow = client.post(f"data_credentials/{cred}/probe/tree", json=body)
            assert shallow.status_code == 200, shallow.text
            assert {k: shallow.json()[k] for k in ("status", "message", "connection_type")} == {
                "status": "ok", "message": "Ok", "connection_type": "s3"}
            assert shallow.json()["output"] == shallow.json()["object"] and shallow.json()["output"]["tree"] == [
                {"name": "ingest", "type": "folder", "path": "ingest/", "children": []}]
        deep = client.post(f"data_credentials/{cred}/probe/tree", json={"path": "ingest/", "depth": 2}).json()
        files = deep["output"]["tree"][0]["children"]
        assert [f["path"] for f in files] == ["ingest/orders/orders-001.json", "ingest/orders/orders-002.json"]
        assert all(f["type"] == "file" and f["size"] > 0 for f in files)
        refused = client.post(f"data_credentials/{cred}/probe/tree", json={"path": "../", "depth": 1})
        assert refused.status_code == 400 and "'..'" in refused.json()["message"]
        assert refused.json()["field"] == "path"


def test_probe_sample_returns_records(sandbox: SandboxHandle) -> None:
    demo = write_demo_data(sandbox.data_dir, orders=30, files=1)
    with sandbox.client() as client:
        cred = credential(client, SECRET)
        sample = client.post(f"data_credentials/{cred}/probe/sample", json={"path": "ingest/orders/"})
        assert sample.status_code == 200, sample.text
        body = sample.json()
        assert (body["status"], body["message"], body["connection_type"]) == ("ok", "Ok", "s3")
        response = body["output"]["response"]
        assert len(response["data"]) == 10 and response["data"][0]["order_id"] == demo.orders[0]["order_id"]
        assert "order_id" in response["columns"]
        assert client.post(f"data_credentials/{cred}/probe/sample", json={"path": "/"}).status_code == 200
        nowhere = client.post(f"data_credentials/{cred}/probe/sample", json={"path": "nowhere/"})
        assert nowhere.status_code == 400 and nowhere.json()["status"] == 400
