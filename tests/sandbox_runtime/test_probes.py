"""Credential probes, probe tree and probe sample over local folders."""

from __future__ import annotations

import pathlib

from nexla_sandbox.runtime import Runtime
from nexla_sandbox.runtime.demo import write_demo_data

S3 = {"credentials_type": "s3"}
SECRET = {"access_key_id": "AKIA", "secret_access_key": "s3cr3t-value"}


def test_probe_succeeds_when_root_exists(runtime: Runtime, data_dir: pathlib.Path) -> None:
    write_demo_data(data_dir, orders=5, files=1)
    assert runtime.probe(S3, SECRET) == {"status": "success", "message": "connected to the s3 store",
                                         "connection_verified": True}


def test_probe_failures_are_clear_and_never_echo_secrets(runtime: Runtime, data_dir: pathlib.Path) -> None:
    missing_root = runtime.probe(S3, SECRET)
    assert missing_root["status"] == "failed" and "root 's3/' does not exist" in missing_root["message"]
    write_demo_data(data_dir, orders=5, files=1)
    empty = runtime.probe(S3, {"access_key_id": "AKIA", "secret_access_key": ""})
    assert empty["status"] == "failed" and "credentials.'secret_access_key'" in empty["message"]
    bucket = runtime.probe(S3, {**SECRET, "bucket": "nope"})
    assert bucket["status"] == "failed" and "bucket 'nope' does not exist" in bucket["message"]
    assert all("s3cr3t" not in r["message"] for r in (missing_root, empty, bucket))
    assert runtime.probe({"credentials_type": "gcs"}, {"credentials_json": "{}"})["status"] == "failed"
    other = runtime.probe({"credentials_type": "snowflake"}, {})
    assert other["status"] == "success" and other["connection_verified"] is False


def test_probe_tree_respects_depth(runtime: Runtime, data_dir: pathlib.Path) -> None:
    write_demo_data(data_dir, orders=10, files=2)
    shallow = runtime.probe_tree(S3, SECRET, None, 1)
    assert shallow["status"] == "ok" and shallow["connection_type"] == "s3"
    assert shallow["object"]["tree"] == [{"name": "ingest", "type": "folder", "path": "ingest/", "children": []}]
    deep = runtime.probe_tree(S3, SECRET, "ingest/", 2)
    files = deep["object"]["tree"][0]["children"]
    assert [f["path"] for f in files] == ["ingest/orders/orders-001.json", "ingest/orders/orders-002.json"]
    assert all(f["type"] == "file" and f["size"] > 0 for f in files)
    refused = runtime.probe_tree(S3, SECRET, "../", 1)
    assert refused["status"] == "failed" and "'..'" in refused["message"]


def test_probe_sample_returns_records_and_schema(runtime: Runtime, data_dir: pathlib.Path) -> None:
    demo = write_demo_data(data_dir, orders=30, files=1)
    sample = runtime.probe_sample(S3, SECRET, "ingest/orders/")
    output = sample["output"]
    assert sample["status"] == "ok" and len(output["sample_data"]) == 10
    assert output["sample_data"][0]["order_id"] == demo.orders[0]["order_id"]
    assert {"name": "order_id", "type": "string"} in output["schema"]["fields"]
    assert runtime.probe_sample(S3, SECRET, "nowhere/")["status"] == "failed"
