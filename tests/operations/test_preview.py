"""preview_source through the credential probe tree/sample endpoints of the sandbox, before any source exists."""

from __future__ import annotations

import json

import pytest

from nexla_ops.operations.preview import PreviewRequest, ProbeFailedError, preview_source
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import client_for, control


async def _credential(client, secret: str = "a-secret-value") -> int:
    created = await client.post("/data_credentials", json={
        "name": "preview-s3", "credentials_type": "s3",
        "credentials": {"access_key_id": "AKIAPREVIEW", "secret_access_key": secret},
    })
    return int(created["id"])


async def test_lists_files_and_samples_the_first_one(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=20, files=2)
    async with client_for(sandbox) as client:
        credential_id = await _credential(client)
        events = []

        async def progress(event):
            events.append(event.step)

        result = await preview_source(
            client, PreviewRequest(credential_id=credential_id, path="ingest/orders/", sample_size=3), progress
        )
        assert control(sandbox, "GET", "requests")["by_route"].get("POST /data_sources", 0) == 0
    files = [e.path for e in result.entries if e.type == "file"]
    assert files == ["ingest/orders/orders-001.json", "ingest/orders/orders-002.json"]
    assert result.sampled_file == files[0] and len(result.records) == 3
    first = json.loads((sandbox.data_dir / "s3" / files[0]).read_text())[0]
    assert result.records[0]["order_id"] == first["order_id"]
    assert "order_id" in result.fields and result.connection_type == "s3"
    assert events == ["tree", "sample"]


async def test_a_file_path_is_sampled_and_zero_lists_only(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=10, files=2)
    async with client_for(sandbox) as client:
        credential_id = await _credential(client)
        one = await preview_source(client, PreviewRequest(credential_id=credential_id,
                                                          path="ingest/orders/orders-002.json", sample_size=2))
        listed = await preview_source(client, PreviewRequest(credential_id=credential_id, path="ingest/", depth=2,
                                                             sample_size=0))
    assert one.sampled_file == "ingest/orders/orders-002.json" and len(one.records) == 2
    assert listed.records == [] and listed.sampled_file is None
    assert {"ingest/orders/", "ingest/orders/orders-001.json"} <= {e.path for e in listed.entries}


async def test_a_missing_path_is_a_failed_check_not_an_empty_preview(sandbox) -> None:
    write_demo_data(sandbox.data_dir, orders=5, files=1)
    async with client_for(sandbox) as client:
        credential_id = await _credential(client)
        with pytest.raises(ProbeFailedError) as failure:
            await preview_source(client, PreviewRequest(credential_id=credential_id, path="no/such/"))
    assert failure.value.exit_code == 5 and "no/such" in failure.value.message
