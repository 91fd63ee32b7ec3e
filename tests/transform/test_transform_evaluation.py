"""Expression evaluation: operators, null semantics, every function, per-record failures."""

import pytest

from nexla_ops.transform import run_on_records


def compute(expression, records):
    """Values of ``expression`` per surviving record, and the record error messages."""
    result = run_on_records({"version": 1, "operations": [{"operation": "compute", "expression": expression,
                                                            "as": "out"}]}, records)
    return [row["out"] for row in result.records()], [error.message for error in result.errors]


def keep(condition, records):
    result = run_on_records({"version": 1, "operations": [{"operation": "filter", "condition": condition}]},
                            records)
    return [row["id"] for row in result.records()], [error.message for error in result.errors]


ROWS = [{"id": 1, "a": 7, "b": 2, "s": "Ab"}, {"id": 2, "a": -7, "b": 2, "s": None}, {"id": 3, "a": None, "b": 5}]


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("a + b", [9, -5, None]),
        ("a - b * 2", [3, -11, None]),
        ("(a - b) * 2", [10, -18, None]),
        ("a / b", [3.5, -3.5, None]),
        ("a % b", [1, -1, None]),
        ("-a", [-7, 7, None]),
        ("a * 1.5", [10.5, -10.5, None]),
        ("s || 'x'", ["Abx", None, None]),
        ("concat(s, '-', a)", ["Ab-7", "--7", "-"]),
        ("coalesce(a, b, 0)", [7, -7, 5]),
        ("coalesce(s, a)", ["Ab", "-7", None]),
        ("a is null", [False, False, True]),
        ("a is not null", [True, True, False]),
        ("a > 0", [True, False, None]),
        ("a in (7, 8)", [True, False, None]),
        ("a not in (7, 8)", [False, True, None]),
        ("a > 0 or a is null", [True, False, True]),
        ("a > 0 and a is null", [False, False, None]),
        ("not (a > 0)", [False, True, None]),
        ("if(a > 0, 'pos', 'other')", ["pos", "other", "other"]),
        ("abs(a)", [7, 7, None]),
        ("a = null", [None, None, None]),
        ("missing + 1", [None, None, None]),
    ],
)
def test_operators_and_nulls(expression, values):
    assert compute(expression, ROWS) == (values, [])


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("lower('AbC')", "abc"),
        ("upper('AbC')", "ABC"),
        ("trim('  x y ')", "x y"),
        ("length('héllo')", 5),
        ("length(items)", 3),
        ("concat('a', null, 1, true)", "a1true"),
        ("substring('abcdef', 2, 3)", "bcd"),
        ("substring('abcdef', 4)", "def"),
        ("replace('a-b-c', '-', '+')", "a+b+c"),
        ("coalesce(null, null, 'z')", "z"),
        ("abs(-2.5)", 2.5),
        ("round(2.5)", 3.0),
        ("round(-2.5)", -3.0),
        ("round(3.14159, 2)", 3.14),
        ("round(7)", 7),
        ("to_string(12)", "12"),
        ("to_string(true)", "true"),
        ("to_number('  12.5 ')", 12.5),
        ("to_number(3)", 3),
        ("starts_with('order-1', 'order')", True),
        ("ends_with('order-1', '-2')", False),
        ("contains('hello world', 'o w')", True),
        ("'3' * 2", 6.0),
        ("'10' > 9", True),
        ("'abc' = 1", False),
        ("'abc' != 1", True),
        ("'x' || 1 || null", None),
        ("7 / 2", 3.5),
        ("-7 % 3", -1),
        ("7.5 % 2", 1.5),
        ("'2024-01-02' > ts", True),
        ("`odd name` + 1", 2),
        ("nested.inner.v * 10", 30),
    ],
)
def test_functions_and_coercions(expression, value):
    record = {"items": [1, 2, 3], "ts": "2024-01-01T00:00:00Z", "odd name": 1, "nested": {"inner": {"v": 3}}}
    typed = run_on_records(
        {"version": 1, "operations": [{"operation": "typecast", "fields": {"ts": "timestamp"}},
                                      {"operation": "compute", "expression": expression, "as": "out"}]},
        [record],
    )
    assert typed.errors == []
    assert typed.records()[0]["out"] == value


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a / b", "division by zero in a / b"),
        ("a % b", "division by zero in a % b"),
        ("s * 2", "cannot use 'abc' as a number in s * 2"),
        ("flag + 1", "cannot use true as a number in flag + 1"),
        ("big * big", "integer overflow in big * big"),
        ("s > 1", "cannot compare 'abc' with a number in s > 1"),
        ("to_number(s)", "cannot use 'abc' as a number in to_number(s)"),
        ("s and true", "expected true or false but s is 'abc'"),
    ],
)
def test_failed_expression_is_a_record_error(expression, message):
    records = [{"a": 1, "b": 0, "s": "abc", "flag": True, "big": 2**62}, {"a": 4, "b": 2, "s": None, "big": 1}]
    values, errors = compute(expression, records)
    assert errors == [message]
    assert len(values) == 1


def test_literal_type_mismatch_fails_every_record():
    values, errors = compute("'abc' * 2", [{"a": 1}, {"a": 2}])
    assert values == [] and errors == ["cannot use 'abc' as a number in 'abc' * 2"] * 2


def test_record_error_carries_record_operation_and_field():
    result = run_on_records(
        {"version": 1, "operations": [{"operation": "compute", "expression": "price * qty", "as": "total"}]},
        [{"id": 1, "price": 2.0, "qty": "x"}, {"id": 2, "price": 2.0, "qty": 3}],
    )
    assert result.records() == [{"id": 2, "price": 2.0, "qty": "3", "total": 6.0}]
    [error] = result.errors
    assert (error.operation_index, error.operation, error.field) == (0, "compute", "qty")
    assert error.record == {"id": 1, "price": 2.0, "qty": "x"}
    assert result.operation_counts[0].errors == 1 and result.error_count == 1


def test_guarded_division_does_not_fail():
    records = [{"id": 1, "a": 1, "b": 0}, {"id": 2, "a": 4, "b": 2}]
    assert keep("b != 0 and a / b > 1", records) == ([2], [])
    assert keep("b = 0 or a / b > 1", records) == ([1, 2], [])
    assert compute("if(b = 0, 0, a / b)", records) == ([0.0, 2.0], [])
    assert compute("coalesce(a, a / b)", records) == ([1, 4], [])


def test_filter_drops_null_and_failed_conditions():
    records = [{"id": 1, "status": "NEW"}, {"id": 2, "status": "CANCELLED"}, {"id": 3}, {"id": 4, "status": 5}]
    assert keep("status != 'CANCELLED'", records) == ([1, 4], [])
    assert keep("status in ('NEW', 'CANCELLED')", records) == ([1, 2], [])
    assert keep("status is null", records) == ([3], [])
    ids, errors = keep("qty", [{"id": 1, "qty": 2}])
    assert ids == [] and errors == ["expected true or false but qty is 2"]


def test_equality_between_number_and_text_values():
    assert keep("zip = 12345", [{"id": 1, "zip": "12345"}, {"id": 2, "zip": 12345}, {"id": 3, "zip": "N/A"}]) \
        == ([1, 2], [])


def test_round_gives_the_nearest_double_to_the_decimal_result():
    from nexla_ops.transform import run_on_records

    spec = {"version": 1, "operations": [{"operation": "compute", "expression": "round(price * qty, 2)", "as": "total"}]}
    result = run_on_records(spec, [{"price": 146.53, "qty": 3}, {"price": 0.125, "qty": 1}])
    assert [row["total"] for row in result.records()] == [439.59, 0.13]
