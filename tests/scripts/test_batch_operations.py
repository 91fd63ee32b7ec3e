"""scripts/batch_operations.py as a subprocess, including a batch killed halfway and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.helpers.access import (
    control,
    inject_fault,
    mutating_requests,
    reset_requests,
    run_script,
    sync_client_for,
)
from tests.helpers.scripts import REPO


@pytest.fixture
def source_ids(sandbox) -> list[int]:
    with sync_client_for(sandbox) as client:
        return [
            client.post(
                "/data_sources",
                json={
                    "name": f"nightly-{n}",
                    "source_type": "s3",
                    "source_config": {"path": f"ingest/n{n}/"},
                },
            )["id"]
            for n in range(8)
        ]


def statuses(sandbox, ids) -> list[str]:
    with sync_client_for(sandbox) as client:
        return [client.get(f"/data_sources/{i}")["status"] for i in ids]


def test_help_shows_examples():
    done = run_script("batch_operations", ["--help"], {})
    assert done.returncode == 0
    assert "examples:" in done.stdout and "--checkpoint" in done.stdout


def test_without_yes_it_only_previews(sandbox, sandbox_env, source_ids):
    reset_requests(sandbox)
    done = run_script(
        "batch_operations",
        ["--operation", "delete", "--resource-type", "source", "--name-contains", "nightly"],
        sandbox_env,
    )
    assert done.returncode == 0, done.stderr
    assert "preview" in done.stdout and "--yes" in done.stdout
    assert mutating_requests(sandbox) == {}
    assert len(statuses(sandbox, source_ids)) == 8


def test_pause_json_summary(sandbox, sandbox_env, source_ids):
    done = run_script(
        "batch_operations",
        [
            "--operation",
            "pause",
            "--resource-type",
            "data_sources",
            "--ids",
            ",".join(map(str, source_ids[:3])),
            "--yes",
            "--json",
        ],
        sandbox_env,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert (result["succeeded"], result["skipped"], result["failed"]) == (3, 0, 0)
    assert statuses(sandbox, source_ids[:4]) == ["PAUSED", "PAUSED", "PAUSED", "INIT"]


def test_a_failed_item_exits_1(sandbox, sandbox_env, source_ids):
    done = run_script(
        "batch_operations",
        [
            "--operation",
            "pause",
            "--resource-type",
            "source",
            "--ids",
            f"{source_ids[0]},987654",
            "--yes",
            "--json",
        ],
        sandbox_env,
    )
    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False
    failed = [i for i in document["result"]["items"] if i["outcome"] == "failed"]
    assert [(i["id"], i["error"]["status"]) for i in failed] == [(987654, 404)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--operation", "update", "--resource-type", "source", "--ids", "1", "--set", "novalue"], "--set"),
        (["--operation", "pause", "--resource-type", "source"], "--ids, --name-contains, --status or --tag (or --all"),
        (["--operation", "pause", "--resource-type", "source", "--ids", "x1"], "--ids"),
    ],
)
def test_bad_input_exits_2(sandbox_env, args, message):
    done = run_script("batch_operations", args, sandbox_env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr


def test_killed_batch_resumes_without_repeating_items(sandbox, sandbox_env, source_ids, tmp_path):
    checkpoint = tmp_path / "pause.jsonl"
    finished_before_kill = 4
    # Requests for the later items hang (and are never applied), so the batch is deterministically
    # stuck on item 5 once items 1-4 are in the checkpoint.
    later = "|".join(str(i) for i in source_ids[finished_before_kill:])
    inject_fault(sandbox, "PUT", rf"^/data_sources/({later})/pause$", status=0, count=None, delay_s=30)
    argv = [
        sys.executable,
        "scripts/batch_operations.py",
        "--operation",
        "pause",
        "--resource-type",
        "source",
        "--ids",
        ",".join(map(str, source_ids)),
        "--yes",
        "--concurrency",
        "1",
        "--checkpoint",
        str(checkpoint),
        "--quiet",
    ]
    env = {**sandbox_env, "NEXLA_AUDIT_LOG": "", "NEXLA_TIMEOUT": "60"}
    process = subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60  # a safety net, not a timing assertion
        while time.monotonic() < deadline:
            lines = checkpoint.read_text().splitlines() if checkpoint.exists() else []
            if len(lines) >= 1 + finished_before_kill or process.poll() is not None:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the batch ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    lines = checkpoint.read_text().splitlines()
    assert len(lines) == 1 + finished_before_kill
    assert [json.loads(line)["id"] for line in lines[1:]] == source_ids[:finished_before_kill]
    control(sandbox, "DELETE", "faults")
    assert statuses(sandbox, source_ids) == ["PAUSED"] * 4 + ["INIT"] * 4

    reset_requests(sandbox)
    done = run_script("batch_operations", argv[2:-1] + ["--json"], sandbox_env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["done_before"] == finished_before_kill
    assert (result["succeeded"], result["skipped"], result["failed"]) == (4, 4, 0)
    assert statuses(sandbox, source_ids) == ["PAUSED"] * 8
    # Exactly one pause per item overall: none repeated in the resumed run, and the audit log agrees.
    assert mutating_requests(sandbox) == {
        f"PUT /data_sources/{i}/pause": 1 for i in source_ids[finished_before_kill:]
    }
    with sync_client_for(sandbox) as client:
        for source_id in source_ids:
            events = [e["event"] for e in client.get(f"/data_sources/{source_id}/audit_log")]
            assert events.count("pause") == 1, (source_id, events)
    assert len(checkpoint.read_text().splitlines()) == 1 + len(source_ids)


def test_a_missing_id_says_why_in_the_readable_output(sandbox_env, source_ids):
    done = run_script(
        "batch_operations",
        ["--operation", "pause", "--resource-type", "source", "--ids", f"{source_ids[0]},987654"],
        sandbox_env,
    )
    assert done.returncode == 1
    assert "could not read it: not_found 404" in done.stdout
    failures = done.stdout.split("failures:", 1)[1]
    # Real Nexla answers 404 with an empty body: the message names the path instead.
    assert "987654: not_found 404: Not found: data_sources/987654" in failures and "hint: Check the id" in failures
