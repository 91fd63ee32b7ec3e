"""Throughput of the transform engine on 1,000,000 order records (run by `make bench`, not `make test`).

Builds the input as Arrow columns (the sandbox reads files into Arrow the same way), then times a
flatten + rename + filter + compute + typecast transform and prints records per second. Run it
directly (`python benchmarks/bench_transform.py [ORDERS]`) or through pytest.
"""

from __future__ import annotations

import sys
import time

import pyarrow as pa

from nexla_ops.transform import apply_transform

SPEC = {
    "version": 1,
    "operations": [
        {"operation": "flatten", "path": "line_items"},
        {"operation": "rename", "fields": {"line_items.sku": "sku", "line_items.qty": "qty"}},
        {"operation": "filter", "condition": "status != 'CANCELLED' and qty > 0"},
        {"operation": "compute", "expression": "round(line_items.price * qty, 2)", "as": "total"},
        {"operation": "compute", "expression": "lower(trim(customer.email))", "as": "email"},
        {"operation": "typecast", "fields": {"created_at": "timestamp"}},
    ],
}


def build_orders(count: int) -> pa.Table:
    """``count`` orders with two line items each; every tenth is CANCELLED."""
    ids = pa.array(range(count), pa.int64())
    statuses = pa.array(["CANCELLED" if i % 10 == 0 else "NEW" for i in range(count)])
    emails = pa.array([f" User{i % 1000}@Example.com " for i in range(count)])
    customers = pa.StructArray.from_arrays([emails], names=["email"])
    created = pa.array([f"2024-01-{1 + i % 28:02d}T10:00:00Z" for i in range(count)])
    skus = pa.array([f"SKU-{i % 97}" for i in range(2 * count)])
    qtys = pa.array([i % 5 for i in range(2 * count)], pa.int64())
    prices = pa.array([(i % 50) + 0.99 for i in range(2 * count)], pa.float64())
    items = pa.StructArray.from_arrays([skus, qtys, prices], names=["sku", "qty", "price"])
    offsets = pa.array(range(0, 2 * count + 1, 2), pa.int32())
    line_items = pa.ListArray.from_arrays(offsets, items)
    return pa.table({"id": ids, "status": statuses, "customer": customers, "created_at": created,
                     "line_items": line_items})


def run(count: int = 1_000_000) -> float:
    """Transform ``count`` orders; prints and returns records (orders) per second."""
    table = build_orders(count)
    started = time.perf_counter()
    result = apply_transform(SPEC, table)
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(
        f"transform: {count:,} orders -> {result.table.num_rows:,} rows in {elapsed:.2f}s "
        f"({rate:,.0f} records/s), {result.error_count} record errors",
        file=sys.stderr,
    )
    for step in result.operation_counts:
        print(f"  operations[{step.operation_index}] {step.operation}: {step.records_in:,} -> "
              f"{step.records_out:,}", file=sys.stderr)
    return rate


def test_transform_throughput() -> None:
    rate = run()
    print(f"{rate:,.0f} records/s")


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
