"""Output schema inference, drift diffs, and reusable (JOLT-style) transforms."""

import pytest

from nexla_ops.transform import (
    TransformSpecError,
    diff_schemas,
    from_reusable,
    infer_schema,
    records_to_table,
    run_on_records,
)


def test_infer_schema_nested_and_formats():
    result = run_on_records(
        {"version": 1, "operations": [{"operation": "typecast", "fields": {"ts": "timestamp", "d": "date"}}]},
        [{"id": 1, "price": 2.5, "ok": True, "name": "x", "ts": "2024-01-01T00:00:00Z", "d": "2024-01-01",
          "customer": {"email": "e"}, "items": [{"sku": "A"}], "tags": ["t"], "empty": None}],
    )
    assert result.output_schema == {"type": "object", "properties": {
        "id": {"type": "integer"}, "price": {"type": "number"}, "ok": {"type": "boolean"},
        "name": {"type": "string"}, "ts": {"type": "string", "format": "date-time"},
        "d": {"type": "string", "format": "date"},
        "customer": {"type": "object", "properties": {"email": {"type": "string"}}},
        "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
        "tags": {"type": "array", "items": {"type": "string"}}, "empty": {"type": "null"},
    }}


def test_diff_schemas_reports_dotted_paths():
    old = infer_schema(records_to_table([{"id": 1, "qty": 1, "customer": {"email": "e", "tier": "g"},
                                          "items": [{"sku": "A"}], "sparse": None}]))
    new = infer_schema(records_to_table([{"id": 1, "qty": "1", "customer": {"email": "e", "phone": "p"},
                                          "items": [{"sku": "A", "n": 1}], "sparse": 3, "extra": True}]))
    diff = diff_schemas(old, new)
    assert diff.added == ["customer.phone", "items.n", "extra"]
    assert diff.removed == ["customer.tier"]
    assert diff.retyped == [("qty", "integer", "string")]
    assert not diff.is_empty
    assert diff.summary() == ("added: customer.phone, items.n, extra; removed: customer.tier; "
                              "retyped: qty integer -> string")
    assert diff_schemas(new, new).is_empty
    assert diff_schemas(None, new).added == list(_paths(new))


def _paths(schema, prefix=""):
    for name, child in schema["properties"].items():
        yield prefix + name
        inner = child.get("items", child)
        if inner.get("type") == "object":
            yield from _paths(inner, prefix + name + ".")


def test_from_reusable_translates_shift_remove_default():
    spec = from_reusable([
        {"operation": "shift", "spec": {"customer": {"email": "email"}, "id": "order_id", "*": "&"}},
        {"operation": "remove", "spec": {"ssn": "", "customer": {"dob": ""}}},
        {"operation": "default", "spec": {"status": "NEW"}},
    ])
    assert spec == {"version": 1, "operations": [
        {"operation": "rename", "fields": {"customer.email": "email", "id": "order_id"}},
        {"operation": "drop", "fields": ["ssn", "customer.dob"]},
        {"operation": "default", "values": {"status": "NEW"}},
    ]}
    records = run_on_records(spec, [{"id": 1, "ssn": "x", "customer": {"email": "e", "dob": "d", "n": 1}}]).records()
    assert records == [{"order_id": 1, "customer": {"n": 1}, "email": "e", "status": "NEW"}]


def test_from_reusable_shift_without_passthrough_keeps_only_shifted_fields():
    spec = from_reusable([{"operation": "shift", "spec": {"a": "x", "b": "&"}}])
    assert run_on_records(spec, [{"a": 1, "b": 2, "c": 3}]).records() == [{"x": 1, "b": 2}]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ([{"operation": "modify-overwrite-beta", "spec": {}}],
         "code[0]: JOLT operation 'modify-overwrite-beta' is not supported by the local engine "
         "(supported: shift, remove, default)"),
        ([{"operation": "shift", "spec": {"items": {"*": {"sku": "skus[]"}}}}],
         "code[0]: JOLT key '*' uses a wildcard or reference the local engine does not support"),
        ([{"operation": "shift", "spec": {"a": ["x", "y"]}}],
         "code[0]: shift target ['x', 'y'] for 'a' is not supported (use a field name)"),
        ([{"operation": "shift"}], 'code[0]: expected {"operation": ..., "spec": {...}}'),
        ("shift", "reusable transform code must be a list of operations, got str"),
    ],
)
def test_from_reusable_rejects_unsupported_jolt(code, message):
    with pytest.raises(TransformSpecError) as caught:
        from_reusable(code)
    assert str(caught.value) == message
