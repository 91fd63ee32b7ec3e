"""Detected nexsets, output schemas and samples.

Discovery reads a source's input as it is now (nothing is consumed) and creates or updates the
source's detected nexset: a data_set with `data_source_id`, no parent, the inferred `output_schema`
and status ACTIVE. Samples are computed on request: a detected nexset's come from the source, a
derived nexset's are its parent's samples run through its transform (chains included).
"""

from __future__ import annotations

import pathlib

import pyarrow as pa
from nexla_ops.transform import apply_transform, diff_schemas, infer_schema

from nexla_sandbox.state import accessors
from nexla_sandbox.state.store import Store

from .inputs import sample_table
from .ledger import Ledger

DISCOVERY_SAMPLE = 200
EMPTY_SCHEMA: dict = {"type": "object", "properties": {}}


def detected_nexsets(store: Store, source_id: int) -> list[dict]:
    return [d for d in store.list("data_sets", {"data_source_id": source_id}) if not d.get("parent_data_set_id")]


def discover(store: Store, ledger: Ledger, data_dir: pathlib.Path, source: dict) -> dict:
    """Create or update the source's detected nexset from what its input holds now; returns the record."""
    table = sample_table(data_dir, source, DISCOVERY_SAMPLE)
    # Check and create in one write transaction: activation and a webhook push may discover at once.
    with store.db.transaction():
        existing = detected_nexsets(store, source["id"])
        if existing:
            record = store.update("data_sets", existing[0]["id"], {"status": "ACTIVE"})
            return update_schema(store, ledger, "data_sets", record, table, source_id=source["id"], run_id=None)
        return _create_detected(store, ledger, source, table)


def _create_detected(store: Store, ledger: Ledger, source: dict, table: pa.Table) -> dict:
    schema = infer_schema(table) if table.num_rows else dict(EMPTY_SCHEMA)
    record = store.create(
        "data_sets",
        {
            "name": f"{source.get('name') or 'source ' + str(source['id'])} (detected)",
            "description": f"Detected from source {source['id']}",
            "status": "ACTIVE",
            "data_source_id": source["id"],
            "parent_data_set_id": None,
            "has_custom_transform": False,
            "transform": None,
            "transform_id": None,
            "output_schema": schema,
            "flow_type": "batch",
            "tags": [],
        },
        owner_id=source["owner_id"],
        org_id=source["org_id"],
    )
    accessors.grant_owner(store, "data_sets", record["id"], source["owner_id"])
    ledger.log(data_source_id=source["id"], run_id=None, level="INFO", message="Detected nexset created",
               resource_type="data_sets", resource_id=record["id"],
               details={"fields": sorted(schema.get("properties", {}))})
    return record


def update_schema(store: Store, ledger: Ledger, kind: str, record: dict, table: pa.Table, *,
                  source_id: int, run_id: int | None) -> dict:
    """Store the schema inferred from `table` if it differs; a change of a known schema logs a WARN."""
    if table.num_rows == 0:
        return record
    new = infer_schema(table)
    old = record.get("output_schema") or {}
    if new == old:
        return record
    record = store.update(kind, record["id"], {"output_schema": new})
    diff = diff_schemas(old, new)
    if old.get("properties") and not diff.is_empty:
        ledger.log(
            data_source_id=source_id, run_id=run_id, level="WARN", message=f"Output schema changed: {diff.summary()}",
            resource_type=kind, resource_id=record["id"],
            details={"added": diff.added, "removed": diff.removed,
                     "retyped": [{"field": f, "from": a, "to": b} for f, a, b in diff.retyped]},
        )
    return record


def transform_spec(store: Store, data_set: dict) -> dict | list | None:
    """The transform a nexset applies (any form the engine runs): its inline `transform`, else a
    reusable transform's `code`, else None."""
    spec = data_set.get("transform")
    if spec:
        return spec
    if data_set.get("transform_id"):
        code = (store.get("transforms", data_set["transform_id"]) or {}).get("code")
        if isinstance(code, (dict, list)) and code:
            return code
    return None


def lineage(store: Store, data_set: dict) -> tuple[dict, list[dict]] | None:
    """(source, nexsets from the detected one down to `data_set`), None for a broken chain."""
    chain = [data_set]
    seen = {data_set["id"]}
    current = data_set
    while current.get("parent_data_set_id"):
        parent = store.get("data_sets", current["parent_data_set_id"])
        if parent is None or parent["id"] in seen:
            return None
        seen.add(parent["id"])
        chain.append(parent)
        current = parent
    source = store.get("data_sources", current.get("data_source_id") or 0)
    if source is None:
        return None
    return source, list(reversed(chain))


def samples(store: Store, data_dir: pathlib.Path, data_set: dict, count: int) -> list[dict]:
    """Up to `count` sample records of a nexset, computed now from its source's input."""
    found = lineage(store, data_set)
    if found is None:
        return []
    source, chain = found
    table = sample_table(data_dir, source, max(count * 5, DISCOVERY_SAMPLE) if len(chain) > 1 else count)
    for nexset in chain[1:]:
        spec = transform_spec(store, nexset)
        if spec is not None and table.num_rows:
            table = apply_transform(spec, table).table
    return table.slice(0, count).to_pylist()
