"""Runs over a real Store: output equals an independent transform, exactly-once, backfill, errors, faults."""

from __future__ import annotations

import json
import pathlib

import pyarrow.parquet as pq
import pytest

from nexla_sandbox.runtime import Runtime
from nexla_sandbox.runtime.demo import DemoData, write_demo_data
from nexla_sandbox.state.store import Store

from .builders import Flow


def expected_rows(demo: DemoData) -> list[dict]:
    """The guide transform written out by hand: explode line_items, rename sku, drop CANCELLED and bad orders."""
    rows = []
    for order in demo.orders:
        if order["status"] == "CANCELLED" or order["order_id"] in demo.malformed_order_ids:
            continue
        for item in order["line_items"]:
            row = {k: v for k, v in order.items() if k != "line_items"}
            row.update({"sku": item["sku"], "line_items.qty": item["qty"], "line_items.price": item["price"]})
            rows.append(row)
    return rows


def key(row: dict) -> tuple:
    return (row["order_id"], row["sku"], row["line_items.qty"], row["line_items.price"])


def activated(runtime: Runtime, flow: Flow) -> tuple[dict, int]:
    source = flow.source()
    runtime.on_source_activated(source["id"])
    runtime.stop()  # waits for the activation run, so the tests below see a settled state
    detected = runtime.detected_id(source["id"])
    assert detected is not None
    return source, detected


def test_guide_pipeline_writes_exactly_the_transformed_records(runtime: Runtime, flow: Flow, store: Store,
                                                               data_dir: pathlib.Path) -> None:
    demo = write_demo_data(data_dir)
    source, detected = activated(runtime, flow)
    assert set(store.get("data_sets", detected)["output_schema"]["properties"]) >= {"order_id", "line_items"}
    derived = flow.nexset(detected)
    sink = flow.sink(derived["id"])
    result = runtime.run_now(source["id"])
    assert result["status"] == "SUCCESS" and result["files"] == [f"s3/analytics/orders/run-{result['run_id']}-{sink['id']}.parquet"]
    table = pq.read_table(data_dir / result["files"][0])
    assert pq.ParquetFile(data_dir / result["files"][0]).metadata.row_group(0).column(0).compression == "SNAPPY"
    got, want = sorted(table.to_pylist(), key=key), sorted(expected_rows(demo), key=key)
    assert len(got) == demo.expected_line_items == result["records_out"]
    for got_row, want_row in zip(got, want, strict=True):
        assert got_row == want_row
    # The activation run ingested the input; this run re-read it for the new sink and counts no new input.
    assert result["records_in"] == 0 and result["errors"] == 0
    source_metrics = runtime.ledger.metrics("data_sources", source["id"])
    assert sum(m["records"] for m in source_metrics) == len(demo.orders)
    assert sum(m["errors"] for m in source_metrics) == len(demo.malformed_order_ids)
    assert runtime.ledger.metrics("data_sets", derived["id"])[0]["records"] == len(got)
    sink_metric = runtime.ledger.metrics("data_sinks", sink["id"])[0]
    assert sink_metric["records"] == len(got) and sink_metric["size"] == (data_dir / result["files"][0]).stat().st_size
    assert store.get("data_sets", derived["id"])["output_schema"]["properties"]["sku"]["type"] == "string"
    assert [r["id"] for r in store.get("data_sources", source["id"])["run_ids"]][-1] == result["run_id"]
    activation_run = runtime.ledger.runs(source["id"])[-1]["id"]
    sample = runtime.ledger.error_sample(activation_run)
    assert {e["record"]["order_id"] for e in sample} == set(demo.malformed_order_ids)


def test_rerun_writes_nothing_and_a_later_sink_is_backfilled(runtime: Runtime, flow: Flow,
                                                             data_dir: pathlib.Path) -> None:
    demo = write_demo_data(data_dir, orders=60)
    source, detected = activated(runtime, flow)
    derived = flow.nexset(detected)
    first = runtime.run_now(source["id"]) if flow.sink(derived["id"]) else None
    again = runtime.run_now(source["id"])
    assert first["records_out"] == demo.expected_line_items
    assert again["records_out"] == 0 and again["files"] == []
    late = flow.sink(derived["id"], path="analytics/late/", data_format="ndjson", compression="gzip")
    backfill = runtime.run_now(source["id"])
    assert backfill["files"] == [f"s3/analytics/late/run-{backfill['run_id']}-{late['id']}.ndjson.gz"]
    assert backfill["records_out"] == demo.expected_line_items
    assert len(list((data_dir / "s3/analytics/orders").iterdir())) == 1
    write_demo_data(data_dir, orders=60, files=1, seed=99)  # rewrites orders-001.json: new input
    fresh = runtime.run_now(source["id"])
    assert len(fresh["files"]) == 2


def test_transform_record_errors_are_counted_logged_and_sampled(runtime: Runtime, flow: Flow,
                                                                data_dir: pathlib.Path) -> None:
    folder = data_dir / "s3/ingest/orders"
    folder.mkdir(parents=True)
    (folder / "o.json").write_text(json.dumps([{"order_id": "A", "qty": "3"}, {"order_id": "B", "qty": "many"}]))
    source, detected = activated(runtime, flow)
    typecast = {"version": 1, "operations": [{"operation": "typecast", "fields": {"qty": "integer"}}]}
    derived = flow.nexset(detected, typecast)
    flow.sink(derived["id"], data_format="json", compression="none")
    result = runtime.run_now(source["id"])
    assert result["status"] == "SUCCESS" and result["errors"] == 1 and result["records_out"] == 1
    assert json.loads((data_dir / result["files"][0]).read_text()) == [{"order_id": "A", "qty": 3}]
    warns = [l for l in runtime.ledger.logs(source["id"]) if l["run_id"] == result["run_id"] and l["level"] == "WARN"]
    assert any(l["message"].startswith("operations[0]") and l["resource_id"] == derived["id"] for l in warns)
    (sample,) = runtime.ledger.error_sample(result["run_id"])
    assert sample["operation_index"] == 0 and sample["record"]["order_id"] == "B"
    assert runtime.ledger.metrics("data_sets", derived["id"])[0]["errors"] == 1


def test_unwritable_sink_fails_the_run_with_an_error_log(runtime: Runtime, flow: Flow, data_dir: pathlib.Path) -> None:
    write_demo_data(data_dir, orders=20)
    source, detected = activated(runtime, flow)
    (data_dir / "s3/blocked").write_text("a file where the sink wants a folder")
    sink = flow.sink(detected, path="blocked/out/")
    result = runtime.run_now(source["id"])
    assert result["status"] == "FAILED" and result["files"] == [] and f"sink {sink['id']}" in result["error_message"]
    errors = [l for l in runtime.ledger.logs(source["id"]) if l["level"] == "ERROR" and l["resource_type"] == "data_sinks"]
    assert errors and errors[0]["resource_id"] == sink["id"] and errors[0]["run_id"] == result["run_id"]
    assert runtime.ledger.delivered("sink", sink["id"]) == set()  # so the next run retries the delivery


def test_unreadable_input_fails_the_run(runtime: Runtime, flow: Flow, data_dir: pathlib.Path) -> None:
    folder = data_dir / "s3/ingest/orders"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("[{")
    source = flow.source()
    result = runtime.run_now(source["id"])
    assert result["status"] == "FAILED" and "broken.json is not valid JSON" in result["error_message"]
    assert runtime.ledger.metrics("data_sources", source["id"])[0]["status"] == "FAILED"
    (folder / "broken.json").write_text("[]")
    runtime.run_now(source["id"])  # discovery now succeeds; the next broken file fails the run itself
    (folder / "later.json").write_bytes(b"\xff\xfe not text")
    later = runtime.run_now(source["id"])
    assert later["status"] == "FAILED" and "cannot read input file s3/ingest/orders/later.json" in later["error_message"]
    errors = [l for l in runtime.ledger.logs(source["id"]) if l["run_id"] == later["run_id"] and l["level"] == "ERROR"]
    assert errors[0]["details"] == {"file": "s3/ingest/orders/later.json"}


def test_schema_change_is_logged_as_warn(runtime: Runtime, flow: Flow, store: Store, data_dir: pathlib.Path) -> None:
    folder = data_dir / "s3/ingest/orders"
    folder.mkdir(parents=True)
    (folder / "1.json").write_text(json.dumps([{"id": 1, "qty": 2}]))
    source, detected = activated(runtime, flow)
    flow.sink(detected, data_format="json", compression="none")
    runtime.run_now(source["id"])
    (folder / "2.json").write_text(json.dumps([{"id": "x-2", "email": "a@b.c"}]))
    result = runtime.run_now(source["id"])
    (warn,) = [l for l in runtime.ledger.logs(source["id"])
               if l["run_id"] == result["run_id"] and l["message"].startswith("Output schema changed")]
    assert warn["details"]["added"] == ["email"] and warn["details"]["removed"] == ["qty"]
    assert warn["details"]["retyped"] == [{"field": "id", "from": "integer", "to": "string"}]
    assert set(store.get("data_sets", detected)["output_schema"]["properties"]) == {"id", "email"}


def test_webhook_push_is_delivered_once(runtime: Runtime, store: Store, flow: Flow, data_dir: pathlib.Path) -> None:
    source = store.create("data_sources", {"name": "hook", "status": "PAUSED", "source_type": "nexla_rest",
                                           "api_keys": [{"id": 1, "api_key": "k-123"}]}, owner_id=1, org_id=1)
    assert runtime.webhook_key_valid(source, "k-123") and not runtime.webhook_key_valid(source, "k-12")
    answer = runtime.accept_push(source, [{"a": 1}, {"a": 2}])
    assert answer == {"dataset_id": runtime.detected_id(source["id"]), "processed": 2}
    flow.sink(answer["dataset_id"], data_format="ndjson", compression="none")
    first, second = runtime.run_now(source["id"]), runtime.run_now(source["id"])
    lines = (data_dir / first["files"][0]).read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"a": 1}, {"a": 2}] and second["records_out"] == 0


@pytest.mark.parametrize("count", [1, 3])
def test_samples_of_detected_and_derived_nexsets(runtime: Runtime, flow: Flow, store: Store,
                                                 data_dir: pathlib.Path, count: int) -> None:
    demo = write_demo_data(data_dir, orders=40)
    _, detected = activated(runtime, flow)
    derived = flow.nexset(detected)
    raw = runtime.samples(store.get("data_sets", detected), count)
    assert [r["order_id"] for r in raw] == [o["order_id"] for o in demo.orders[:count]]
    shaped = runtime.samples(store.get("data_sets", derived["id"]), count)
    assert len(shaped) == count and all("sku" in r and r["status"] != "CANCELLED" for r in shaped)
