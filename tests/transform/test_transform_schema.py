"""Output schema inference, drift diffs, and reusable (JOLT-style) transforms."""


from nexla_ops.transform import (
    diff_schemas,
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
