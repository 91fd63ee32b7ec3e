"""Every operation, input -> output, plus validation errors naming the operation index."""

from datetime import date, datetime, timezone

import pyarrow as pa
import pytest

from nexla_ops.transform import (
    TransformSpecError,
    apply_transform,
    records_to_table,
    run_on_records,
    validate_transform,
)

ORDERS = [
    {"id": 1, "status": "NEW", "customer": {"email": "a@x.io", "tier": "gold"},
     "line_items": [{"sku": "A", "qty": 2, "price": 1.5}, {"sku": "B", "qty": 1, "price": 4.0}]},
    {"id": 2, "status": "CANCELLED", "customer": {"email": "b@x.io", "tier": None},
     "line_items": [{"sku": "C", "qty": 3, "price": 2.0}]},
    {"id": 3, "status": "NEW", "customer": None, "line_items": []},
    {"id": 4, "status": "NEW", "customer": {"email": "d@x.io", "tier": "silver"}, "line_items": None},
]


def run(operations, records):
    return run_on_records({"version": 1, "operations": operations}, records)


def test_guide_pipeline_flatten_rename_filter():
    result = run([
        {"operation": "flatten", "path": "line_items"},
        {"operation": "rename", "fields": {"line_items.sku": "sku"}},
        {"operation": "filter", "condition": "status != 'CANCELLED'"},
    ], ORDERS)
    assert [(row["id"], row["sku"], row["line_items.qty"]) for row in result.records()] == [(1, "A", 2), (1, "B", 1)]
    assert list(result.table.column_names) == ["id", "status", "customer", "sku", "line_items.qty",
                                                "line_items.price"]
    assert [(c.operation, c.records_in, c.records_out) for c in result.operation_counts] == [
        ("flatten", 4, 3), ("rename", 3, 3), ("filter", 3, 2)]


def test_flatten_alias_scalar_arrays_and_structs():
    aliased = run([{"operation": "flatten", "path": "line_items", "alias": "item"}], ORDERS[:1])
    assert aliased.records()[0]["item.sku"] == "A"
    scalars = run([{"operation": "flatten", "path": "tags"}], [{"id": 1, "tags": ["x", "y"]}, {"id": 2, "tags": []}])
    assert scalars.records() == [{"id": 1, "tags": "x"}, {"id": 1, "tags": "y"}]
    struct = run([{"operation": "flatten", "path": "customer"}], ORDERS[:1])
    row = struct.records()[0]
    assert row["customer.email"] == "a@x.io" and row["customer.tier"] == "gold" and "customer" not in row
    nested = run([{"operation": "flatten", "path": "order.items"}],
                 [{"order": {"no": 7, "items": [{"sku": "Z"}, {"sku": "Y"}]}}])
    assert nested.records() == [{"order": {"no": 7}, "order.items.sku": "Z"}, {"order": {"no": 7}, "order.items.sku": "Y"}]


def test_rename_nested_missing_and_swap():
    result = run([{"operation": "rename", "fields": {"customer.email": "email", "nope": "x"}}], ORDERS[:1])
    row = result.records()[0]
    assert row["email"] == "a@x.io" and row["customer"] == {"tier": "gold"} and "x" not in row
    assert result.warnings == ["operations[0] (rename): field 'nope' is not in any record"]
    swapped = run([{"operation": "map", "fields": {"a": "b", "b": "a"}}], [{"a": 1, "b": 2}])
    assert swapped.records() == [{"b": 1, "a": 2}]
    replaced = run([{"operation": "rename", "fields": {"a": "b"}}], [{"a": 1, "b": 2, "c": 3}])
    assert replaced.records() == [{"b": 1, "c": 3}]


def test_compute_new_existing_and_nested_target():
    result = run([
        {"operation": "compute", "expression": "id * 10", "as": "id"},
        {"operation": "compute", "expression": "upper(status)", "as": "loud"},
        {"operation": "compute", "expression": "coalesce(customer.tier, 'none')", "as": "customer.tier"},
    ], ORDERS[1:2])
    row = result.records()[0]
    assert row["id"] == 20 and row["loud"] == "CANCELLED" and row["customer"]["tier"] == "none"


def test_select_and_drop():
    selected = run([{"operation": "select", "fields": ["status", "customer.email", "id", "ghost"]}], ORDERS[:1])
    assert selected.records() == [{"status": "NEW", "customer.email": "a@x.io", "id": 1}]
    dropped = run([{"operation": "drop", "fields": ["line_items", "customer.tier", "ghost"]}], ORDERS[:1])
    assert dropped.records() == [{"id": 1, "status": "NEW", "customer": {"email": "a@x.io"}}]


def test_default_fills_missing_and_null():
    result = run([{"operation": "default", "values": {"status": "UNKNOWN", "qty": 0, "note": "n/a",
                                                        "customer.tier": "basic"}}],
                 [{"status": None, "qty": 2.5, "customer": {"tier": None}}, {"status": "NEW", "customer": None}])
    assert result.records() == [
        {"status": "UNKNOWN", "qty": 2.5, "customer": {"tier": "basic"}, "note": "n/a"},
        {"status": "NEW", "qty": 0.0, "customer": None, "note": "n/a"},
    ]
    mixed = run([{"operation": "default", "values": {"qty": "none"}}], [{"qty": 1}, {"qty": None}])
    assert mixed.records() == [{"qty": "1"}, {"qty": "none"}]


def test_typecast_every_type_and_failures():
    records = [
        {"id": 1, "qty": "3", "price": "2.50", "ok": "yes", "ts": "2024-03-01T10:00:00+02:00", "d": "2024-03-01",
         "code": 7},
        {"id": 2, "qty": "x", "price": "1", "ok": "no", "ts": "2024-03-01 08:00:00", "d": "2024-03-02", "code": 8},
        {"id": 3, "qty": 4.0, "price": 5, "ok": "maybe", "ts": "not a time", "d": "2024-13-01", "code": None},
    ]
    result = run([{"operation": "typecast", "fields": {"qty": "integer", "price": "number", "ok": "boolean",
                                                         "ts": "timestamp", "d": "date", "code": "string"}}], records)
    assert result.records() == [{"id": 1, "qty": 3, "price": 2.5, "ok": True,
                                 "ts": datetime(2024, 3, 1, 8, tzinfo=timezone.utc), "d": date(2024, 3, 1),
                                 "code": "7"}]
    assert [(e.field, e.message, e.record["id"]) for e in result.errors] == [
        ("qty", "cannot cast qty value 'x' to integer", 2),
        ("ok", "cannot cast ok value 'maybe' to boolean", 3),
    ]
    assert result.operation_counts[0].errors == 2
    assert result.records(json_safe_values=True)[0]["ts"] == "2024-03-01T08:00:00Z"


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (3.0, "integer", 3), (3.5, "integer", None), ("  -12 ", "integer", -12), (True, "integer", 1),
        ("99999999999999999999", "integer", None), (1, "boolean", True), (2, "boolean", None),
        ("1e3", "number", 1000.0), (1700000000, "timestamp", datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)),
        ("2024-01-05T23:30:00Z", "date", date(2024, 1, 5)), ({"a": 1}, "string", '{"a": 1}'),
    ],
)
def test_typecast_conversions(value, target, expected):
    result = run([{"operation": "typecast", "fields": {"v": target}}], [{"v": value}])
    if expected is None:
        assert result.records() == [] and len(result.errors) == 1
    else:
        assert result.records() == [{"v": expected}]


def test_apply_transform_on_a_table_and_error_cap():
    table = pa.table({"n": pa.array(["1", "x", "y", "4"])})
    spec = {"version": 2, "operations": [{"operation": "typecast", "fields": {"n": "integer"}}]}
    result = apply_transform(spec, table, max_errors=1)
    assert result.table.column("n").to_pylist() == [1, 4]
    assert len(result.errors) == 1 and result.error_count == 2


def test_empty_input():
    result = run([{"operation": "filter", "condition": "a > 1"}], [])
    assert result.records() == [] and result.operation_counts[0].records_in == 0


def test_records_to_table_unifies_ragged_and_mixed_records():
    table = records_to_table([
        {"a": 1, "b": {"x": 1}, "c": [1]},
        {"a": "two", "b": {"y": "z"}, "c": [1.5], "d": True},
        {"a": None, "b": {"x": "s"}, "c": [{"k": 1}]},
    ])
    assert table.column_names == ["a", "b", "c", "d"]
    assert table.column("a").to_pylist() == ["1", "two", None]
    assert table.column("b").to_pylist() == [{"x": "1", "y": None}, {"x": None, "y": "z"}, {"x": "s", "y": None}]
    assert table.column("c").to_pylist() == [["1"], ["1.5"], ['{"k": 1}']]
    assert table.column("d").to_pylist() == [None, True, None]
    with pytest.raises(TransformSpecError, match=r"records\[1\] must be an object, got int"):
        records_to_table([{}, 3])


@pytest.mark.parametrize(
    ("spec", "message", "index", "field"),
    [
        ("shift", "transform must be an object {version, data_maps, transforms: [...], custom_config}, a Jolt list "
         "[{\"operation\": ..., \"spec\": ...}], or {\"version\": 1, \"operations\": [...]}; got str", None, None),
        ({"version": 3, "operations": []}, "transform version must be 1 or 2, got 3", None, "version"),
        ({"version": 1}, "transform needs 'transforms' (the official format), 'operations' (the authoring format) "
         "or 'code' (a reusable transform); got keys 'version'", None, None),
        ({"operations": {}}, "transform needs an 'operations' list, got dict", None, "operations"),
        ({"operations": [], "ops": 1}, "transform has unknown key(s) 'ops' (allowed: version, operations)",
         None, "ops"),
        ({"operations": ["flatten"]}, "operations[0]: must be an object with an 'operation' key, got str", 0, None),
        ({"operations": [{"operation": "explode"}]},
         "operations[0]: unknown operation 'explode' (supported: flatten, rename, compute, filter, typecast, "
         "select, drop, default)", 0, "operation"),
        ({"operations": [{"operation": "filter", "condition": "a = 1"}, {"operation": "filter"}]},
         "operations[1] (filter): missing required key 'condition'", 1, "condition"),
        ({"operations": [{"operation": "filter", "conditon": "a"}]},
         "operations[0] (filter): unknown key 'conditon'; did you mean 'condition'? (allowed: condition)", 0, "conditon"),
        ({"operations": [{"operation": "filter", "condition": "a", "x": 1}]},
         "operations[0] (filter): unknown key 'x' (allowed: condition)", 0, "x"),
        ({"operations": [{"operation": "drop", "fields": ["a"]}, {"operation": "select", "fields": ["a"]},
                         {"operation": "rename", "fields": {"a": "b"}},
                         {"operation": "filter", "condition": "status != )"}]},
         "operations[3] (filter): unexpected token ')' at column 11 in condition 'status != )'", 3, "condition"),
        ({"operations": [{"operation": "compute", "expression": "__import__('os')", "as": "x"}]},
         "operations[0] (compute): name '__import__' is not allowed: expressions have no attribute access or "
         "Python names (quote a real field name with backticks) at column 1 in expression \"__import__('os')\"",
         0, "expression"),
        ({"operations": [{"operation": "compute", "expression": 5, "as": "x"}]},
         "operations[0] (compute): 'expression' must be an expression string, got int", 0, "expression"),
        ({"operations": [{"operation": "compute", "expression": "1", "as": ""}]},
         "operations[0] (compute): 'as' must be a non-empty field name, got ''", 0, "as"),
        ({"operations": [{"operation": "typecast", "fields": {"a": "int"}}]},
         "operations[0] (typecast): cannot cast 'a' to 'int' (types: string, integer, number, boolean, timestamp, "
         "date)", 0, "fields"),
        ({"operations": [{"operation": "rename", "fields": {}}]},
         "operations[0] (rename): 'fields' must be a non-empty object, got {}", 0, "fields"),
        ({"operations": [{"operation": "rename", "fields": {"a": "c", "b": "c"}}]},
         "operations[0] (rename): 'b' and 'a' are both renamed to 'c'", 0, "fields"),
        ({"operations": [{"operation": "select", "fields": "a"}]},
         "operations[0] (select): 'fields' must be a non-empty list of field names, got 'a'", 0, "fields"),
        ({"operations": [{"operation": "drop", "fields": ["a", 3]}]},
         "operations[0] (drop): 'fields[1]' must be a non-empty field name, got 3", 0, "fields"),
        ({"operations": [{"operation": "default", "values": []}]},
         "operations[0] (default): 'values' must be a non-empty object, got []", 0, "values"),
        ({"operations": [{"operation": "flatten", "path": "a", "alias": 1}]},
         "operations[0] (flatten): 'alias' must be a non-empty field name, got 1", 0, "alias"),
    ],
)
def test_validate_transform_errors(spec, message, index, field):
    with pytest.raises(TransformSpecError) as caught:
        validate_transform(spec)
    assert str(caught.value) == message
    assert (caught.value.operation_index, caught.value.field) == (index, field)
    with pytest.raises(TransformSpecError):
        run_on_records(spec, [{"a": 1}])


def test_valid_transform_passes_validation():
    validate_transform({"operations": [{"operation": "flatten", "path": "x", "description": "explode"}]})
