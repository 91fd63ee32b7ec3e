"""validate_transform.py as a subprocess: local runs need no API configuration."""

from __future__ import annotations

import json
import os
import subprocess

from tests.helpers.deploy import TRANSFORM
from tests.helpers.scripts import run_script

LOCAL_ENV = {k: v for k, v in os.environ.items() if not k.startswith("NEXLA_")}


def run(*args: str) -> subprocess.CompletedProcess:
    return run_script("validate_transform", *args, env=LOCAL_ENV)


def test_help():
    assert "--records-json" in run("--help").stdout


def test_clean_run_from_file(tmp_path):
    spec = tmp_path / "t.json"
    spec.write_text(json.dumps(TRANSFORM))
    records = tmp_path / "r.ndjson"
    records.write_text(json.dumps({"status": "PAID", "line_items": [{"sku": "A"}]}) + "\n")
    result = run("--transform", str(spec), "--records", str(records), "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["ok"] and body["result"]["records"] == [{"status": "PAID", "sku": "A"}]


def test_invalid_transform_exits_2_and_record_errors_exit_5():
    bad = run("--transform-json", '{"version": 1, "operations": [{"operation": "filter", "condition": "a >"}]}', "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["result"]["errors"][0]["operation_index"] == 0
    cast = '{"version": 1, "operations": [{"operation": "typecast", "fields": {"n": "integer"}}]}'
    failed = run("--transform-json", cast, "--records-json", '[{"n": "x"}, {"n": "1"}]')
    assert failed.returncode == 5 and "operations[0]" in failed.stdout
    assert run("--transform-json", "[1]").returncode == 2


def test_help_example_files_run():
    result = run("--transform", "examples/orders_transform.json", "--records", "examples/orders_sample.ndjson", "--json")
    assert result.returncode == 0, result.stderr
    assert [r["sku"] for r in json.loads(result.stdout)["result"]["records"]] == ["SKU-1", "SKU-2", "SKU-1"]
