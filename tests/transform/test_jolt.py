"""The official Nexla format: each Jolt operation run for real, the accepted shapes, static checks."""

from __future__ import annotations

import pytest

from nexla_ops.transform import (
    Limits,
    TransformSpecError,
    TransformSpecErrors,
    run_on_records,
    run_operation,
    transform_problems,
    validate_transform,
)

LIMITS = Limits()


def jolt(name: str, spec: object, document: object) -> object:
    assert transform_problems([{"operation": name, "spec": spec}]) == []
    return run_operation(name, spec, document, LIMITS)


ORDER = {
    "id": 7,
    "customer": {"first": "Ann", "last": "Lee", "email": "a@x.io"},
    "items": [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}],
    "rating-primary": 5,
    "rating-quality": 3,
}


def test_shift_literals_nesting_and_passthrough():
    spec = {"id": "order_id", "customer": {"email": "contact.email", "*": "customer.&"}, "*": "&"}
    out = jolt("shift", spec, ORDER)
    assert out == {
        "order_id": 7, "contact": {"email": "a@x.io"}, "customer": {"first": "Ann", "last": "Lee"},
        "items": ORDER["items"], "rating-primary": 5, "rating-quality": 3,
    }


def test_shift_wildcard_captures_and_ampersand_levels():
    spec = {"rating-*": "ratings.&(0,1)", "customer": {"*": "people.&1.&"}}
    assert jolt("shift", spec, ORDER) == {
        "ratings": {"primary": 5, "quality": 3},
        "people": {"customer": {"first": "Ann", "last": "Lee", "email": "a@x.io"}},
    }


def test_shift_arrays_at_references_dollar_and_literals():
    spec = {
        "items": {"*": {"sku": "skus[]", "qty": "lines[&1].quantity", "@(2,id)": "lines[&1].order", "$": "positions[]"}},
        "customer": {"$": "kinds[]", "#web": "channel"},
    }
    assert jolt("shift", spec, ORDER) == {
        "skus": ["A", "B"], "lines": [{"quantity": 2, "order": 7}, {"quantity": 1, "order": 7}],
        "positions": ["0", "1"], "kinds": ["customer"], "channel": "web",
    }


def test_shift_value_matching_collisions_and_several_outputs():
    spec = {"status": {"PAID": {"#true": "paid"}, "*": {"#false": "paid"}}, "a": ["x", "y"], "b": "x"}
    assert jolt("shift", spec, {"status": "PAID", "a": 1, "b": 2}) == {"paid": "true", "x": [1, 2], "y": 1}
    assert jolt("shift", spec, {"status": "NEW"}) == {"paid": "false"}


def test_shift_at_copies_the_whole_node():
    assert jolt("shift", {"customer": {"@": "who", "first": "name"}}, ORDER) == {
        "who": ORDER["customer"], "name": "Ann"}


def test_default_fills_missing_and_null_including_array_elements():
    spec = {"status": "NEW", "customer": {"tier": "basic"}, "items": {"*": {"qty": 0, "note": ""}}}
    out = jolt("default", spec, {"status": None, "items": [{"sku": "A"}, {"qty": 3}]})
    assert out == {"status": "NEW", "customer": {"tier": "basic"},
                   "items": [{"sku": "A", "qty": 0, "note": ""}, {"qty": 3, "note": ""}]}


def test_remove_literals_wildcards_and_array_elements():
    spec = {"customer": {"email": ""}, "rating-*": "", "items": {"*": {"qty": ""}}}
    assert jolt("remove", spec, ORDER) == {"id": 7, "customer": {"first": "Ann", "last": "Lee"},
                                           "items": [{"sku": "A"}, {"sku": "B"}]}
    assert jolt("remove", {"items": {"0": ""}}, ORDER)["items"] == [{"sku": "B", "qty": 1}]


def test_modify_overwrite_functions():
    spec = {
        "customer": {"first": "=toUpper", "full": "=concat(@(1,first),' ',@(1,last))", "email": "=toLower"},
        "id": "=toString",
        "n_items": "=size(@(1,items))",
        "items": {"*": {"qty": "=toDouble", "code": "=leftPad(@(1,sku),3,'0')"}},
        "rating-primary": "=divide(@(1,rating-primary),2)",
    }
    out = jolt("modify-overwrite-beta", spec, ORDER)
    assert out["customer"] == {"first": "ANN", "last": "Lee", "email": "a@x.io", "full": "ANN Lee"}  # in spec order, as Jolt does
    assert out["id"] == "7" and out["n_items"] == 2 and out["rating-primary"] == 2.5
    assert out["items"] == [{"sku": "A", "qty": 2.0, "code": "00A"}, {"sku": "B", "qty": 1.0, "code": "00B"}]


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        ("=toInteger", "42", 42), ("=toInteger", "4.0", 4), ("=toInteger", "x", "x"), ("=toDouble", "2.5", 2.5),
        ("=toBoolean", "TRUE", True), ("=toString", True, "true"), ("=trim", "  a ", "a"), ("=size", "abc", 3),
        ("=abs", -3, 3), ("=toList", 1, [1]), ("=firstElement", [4, 5], 4), ("=lastElement", [4, 5], 5),
        ("=sort", ["b", "a"], ["a", "b"]), ("=squashNulls", [1, None, 2], [1, 2]),
        ("=join(',',@(1,v))", ["a", "b"], "a,b"), ("=split(',',@(1,v))", "a,b", ["a", "b"]),
        ("=substring(@(1,v),1,3)", "abcd", "bc"), ("=min(@(1,v))", [3, 1, 2], 1), ("=max(@(1,v))", [3, 1], 3),
        ("=avg(@(1,v))", [1, 2], 1.5), ("=intSum(@(1,v))", [1, 2], 3), ("=elementAt(@(1,v),1)", [7, 8], 8),
        ("=intSubtract(@(1,v),1)", 5, 4), ("=divideAndRound(1,@(1,v),3)", 10, 3.3),
    ],
)
def test_modify_function_table(function, value, expected):
    assert jolt("modify-overwrite-beta", {"v": function}, {"v": value}) == {"v": expected}


def test_modify_default_only_fills_and_lists_are_fallbacks():
    spec = {"a": "=toUpper(@(1,b))", "c": "=toUpper(@(1,b))", "d": ["=toInteger(@(1,e))", 0]}
    assert jolt("modify-default-beta", spec, {"a": "keep", "b": "x", "e": "nope"}) == {
        "a": "keep", "b": "x", "e": "nope", "c": "X", "d": 0}


def test_cardinality_and_sort():
    out = jolt("cardinality", {"items": "ONE", "id": "MANY", "customer": {"first": "MANY"}}, ORDER)
    assert out["items"] == {"sku": "A", "qty": 2} and out["id"] == [7] and out["customer"]["first"] == ["Ann"]
    assert list(jolt("sort", {}, {"b": 1, "a": {"d": 1, "c": 2}})["a"]) == ["c", "d"]


OFFICIAL = {
    "version": 1,
    "data_maps": [],
    "transforms": [
        {"operation": "shift", "spec": {"id": "order_id", "customer": {"email": "email"}, "items": "items"}},
        {"operation": "default", "spec": {"status": "NEW"}},
        {"operation": "modify-overwrite-beta", "spec": {"email": "=toUpper", "count": "=size(@(1,items))"}},
        {"operation": "remove", "spec": {"items": ""}},
    ],
    "custom_config": {},
}


@pytest.mark.parametrize(
    "form",
    [OFFICIAL, OFFICIAL["transforms"], {"code": OFFICIAL["transforms"], "code_type": "jolt_standard"},
     {"transforms": OFFICIAL["transforms"]}],
    ids=["object", "raw-list", "reusable", "object-without-extras"],
)
def test_every_official_shape_runs_the_same(form):
    result = run_on_records(form, [ORDER, {"id": 8, "customer": {"email": "b@y.io"}, "items": []}])
    assert result.records() == [
        {"order_id": 7, "email": "A@X.IO", "status": "NEW", "count": 2},
        {"order_id": 8, "email": "B@Y.IO", "status": "NEW", "count": 0},
    ]
    assert [(c.operation, c.records_in, c.records_out) for c in result.operation_counts] == [
        ("shift", 2, 2), ("default", 2, 2), ("modify-overwrite-beta", 2, 2), ("remove", 2, 2)]


def test_three_mistakes_give_three_errors_with_their_operation():
    spec = {"version": 1, "transforms": [
        {"operation": "shfit", "spec": {}},
        {"operation": "shift", "spec": {"a": 5}},
        {"operation": "modify-overwrite-beta", "spec": {"a": "=toUppr"}},
        {"operation": "default", "spec": {"ok": 1}},
    ]}
    problems = transform_problems(spec)
    assert [p.operation_index for p in problems] == [0, 1, 2]
    assert "unknown operation 'shfit'" in problems[0].message
    assert "must be a path string" in problems[1].message and "unknown function 'toUppr'" in problems[2].message
    with pytest.raises(TransformSpecErrors) as caught:
        validate_transform(spec)
    assert len(caught.value.errors) == 3 and str(caught.value).startswith("3 problems:")


def test_authoring_mistakes_are_all_reported_too():
    spec = {"version": 1, "operations": [
        {"operation": "filter", "condition": "a >"},
        {"operation": "typecast", "fields": {"a": "int"}},
        {"operation": "rename", "fields": {"a": "b"}},
        {"operation": "selct", "fields": ["a"]},
    ]}
    assert [p.operation_index for p in transform_problems(spec)] == [0, 1, 3]


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"operation": "shift", "spec": {"a": "x.&3"}}, "refers 3 levels up"),
        ({"operation": "shift", "spec": {"&a": "x"}}, "& references are allowed in output paths"),
        ({"operation": "shift", "spec": {"@(x)": "x"}}, "must be @, @N or @(N,path)"),
        ({"operation": "remove", "spec": {"a": 1}}, 'must be "" (remove it) or an object'),
        ({"operation": "cardinality", "spec": {"a": "SOME"}}, 'must be "ONE", "MANY" or an object'),
        ({"operation": "default", "spec": "x"}, "must be an object, got str"),
        ({"operation": "shift"}, "missing required key 'spec'"),
        ({"operation": "shift", "spec": {}, "extra": 1}, "unknown key 'extra'"),
        ({"operation": "modify-overwrite-beta", "spec": {"a": "=concat('x"}}, "not a function call"),
    ],
)
def test_static_jolt_errors_name_the_operation(operation, message):
    (problem,) = transform_problems([operation])
    assert message in problem.message and problem.operation_index == 0
    assert problem.message.startswith(f"transforms[0] ({operation['operation']})")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"transforms": {}}, "'transforms' must be a list"),
        ({"transforms": [], "extra": 1}, "unknown key(s) 'extra'"),
        ({"transforms": [], "version": "1"}, "'version' must be an integer"),
        ({"code": [], "code_type": "python"}, "code_type must be one of jolt_standard, jolt_custom"),
        ({"name": "x"}, "transform needs 'transforms'"),
    ],
)
def test_bad_official_shapes(spec, message):
    (problem,) = transform_problems(spec)
    assert message in problem.message


def test_an_invalid_official_transform_is_refused_before_any_record():
    with pytest.raises(TransformSpecError, match="unknown operation"):
        run_on_records([{"operation": "nope"}], [{"a": 1}])
