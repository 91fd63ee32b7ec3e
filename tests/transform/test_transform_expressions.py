"""The expression language: parsing, precedence, rejected input with exact messages."""

import pytest

from nexla_ops.transform import ExpressionSyntaxError, TransformSpecError, parse_expression
from nexla_ops.transform.syntax import Binary, Call, Field, InList, IsNull, Literal, Unary, render


def test_literals_and_fields():
    assert parse_expression("42") == Literal(42, 1)
    assert parse_expression("4.5e1") == Literal(45.0, 1)
    assert parse_expression("'it''s'") == Literal("it's", 1)
    assert parse_expression('"dq \\"x\\""') == Literal('dq "x"', 1)
    assert parse_expression("TRUE") == Literal(True, 1)
    assert parse_expression("null") == Literal(None, 1)
    assert parse_expression("customer.email") == Field(("customer", "email"), 1)
    assert parse_expression("`weird name`.`a.b`") == Field(("weird name", "a.b"), 1)
    assert parse_expression("-3") == Literal(-3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * c", "a + (b * c)"),
        ("(a + b) * c", "(a + b) * c"),
        ("a - b - c", "(a - b) - c"),
        ("a or b and c", "a or (b and c)"),
        ("not a = 1 and b", "not (a = 1) and b"),
        ("a || b + c", "(a || b) + c"),
        ("-a * b", "-a * b"),
        ("a % 2 = 0 or b is not null", "((a % 2) = 0) or b is not null"),
        ("x not in ('A', 'B')", "x not in ('A', 'B')"),
        ("a == 1 or a <> 2", "(a = 1) or (a != 2)"),
        ("lower(trim(name)) = 'x'", "lower(trim(name)) = 'x'"),
    ],
)
def test_precedence(text, expected):
    assert render(parse_expression(text)) == expected


def test_tree_shapes():
    node = parse_expression("x in (1, 2)")
    assert isinstance(node, InList) and not node.negated and len(node.items) == 2
    node = parse_expression("x is not null")
    assert isinstance(node, IsNull) and node.negated
    node = parse_expression("not x")
    assert isinstance(node, Unary) and node.op == "not"
    node = parse_expression("COALESCE(a, 0)")
    assert isinstance(node, Call) and node.name == "coalesce"
    assert isinstance(parse_expression("a and b"), Binary)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "name '__import__' is not allowed: expressions have no attribute access or "
         "Python names (quote a real field name with backticks) at column 1"),
        ("a.__class__", "name '__class__' is not allowed: expressions have no attribute access or "
         "Python names (quote a real field name with backticks) at column 3"),
        ("x()", "unknown function 'x' (available: abs, coalesce, concat, contains, ends_with, if, length, "
         "lower, replace, round, starts_with, substring, to_number, to_string, trim, upper) at column 1"),
        ("a.lower(b)", "unknown function 'a.lower' (available: abs, coalesce, concat, contains, ends_with, if, "
         "length, lower, replace, round, starts_with, substring, to_number, to_string, trim, upper) at column 1"),
        ("eval('1')", "unknown function 'eval' (available: abs, coalesce, concat, contains, ends_with, if, "
         "length, lower, replace, round, starts_with, substring, to_number, to_string, trim, upper) at column 1"),
        ("(a = 1", "expected ')' to close the '(' at column 1 but found end of expression at column 7"),
        ("a = 1)", "unexpected token ')' at column 6"),
        ("status != )", "unexpected token ')' at column 11"),
        ("name = 'abc", "unterminated string starting at column 8"),
        ("`abc", "unterminated quoted field name starting at column 1"),
        ("a = $b", "unexpected character '$' at column 5"),
        ("a = ", "expected a value but found end of expression at column 5"),
        ("", "empty expression at column 1"),
        ("a = b = c", "unexpected token '=': comparisons cannot be chained, use 'and' at column 7"),
        ("lower()", "function lower() takes 1 argument, got 0 at column 1"),
        ("coalesce()", "function coalesce() takes at least 1 argument, got 0 at column 1"),
        ("round(a, 1, 2)", "function round() takes 1 to 2 arguments, got 3 at column 1"),
        ("substring(a, b)", "argument 2 of substring() must be an integer literal at column 14"),
        ("substring(a, 0, 2)", "substring() start counts from 1 at column 14"),
        ("replace(a, b, 'x')", "argument 2 of replace() must be a string literal at column 12"),
        ("x in 1", "expected '(' to start the 'in' list but found token '1' at column 6"),
        ("x in (1, 2", "expected ',' or ')' in the 'in' list but found end of expression at column 11"),
        ("x is 1", "expected 'null' after 'is' but found token '1' at column 6"),
        ("a.", "expected a field name after '.' but found end of expression at column 3"),
        ("'a'.upper()", "unexpected token '.' at column 4"),
        ("(a).b", "unexpected token '.' at column 4"),
        ("12abc", "invalid number '12a' at column 1"),
        ("a = 'x\\q'", "unknown escape '\\q' in string at column 7"),
    ],
)
def test_rejected_expressions(text, message):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, TransformSpecError)
    assert caught.value.operation_index is None


def test_error_column_is_exposed():
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression("a + (b * 2")
    assert caught.value.column == 11
    assert caught.value.reason.startswith("expected ')'")


def test_quoted_dunder_is_only_a_field_name():
    assert parse_expression("`__class__`") == Field(("__class__",), 1)


def test_keywords_after_dot_are_field_segments():
    assert parse_expression("order.in") == Field(("order", "in"), 1)
