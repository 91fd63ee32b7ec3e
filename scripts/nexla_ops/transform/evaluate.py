"""Compile an expression tree to pyarrow.compute calls over whole columns.

Values are Arrow arrays as long as the batch. A value that cannot be computed for a record
(division by zero, 'abc' used as a number, integer overflow) becomes null there and is reported
through ``Evaluator.failures``; the engine turns those rows into record errors. Failures are only
reported where the value is actually needed: in ``a and b`` the right side's failures count only
where ``a`` is not false, in ``coalesce``/``if`` only where that argument is chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from dataclasses import dataclass

import pyarrow as pa
from .compute import pc

from . import convert
from .limits import Limits, TransformLimitError
from .syntax import Binary, Call, Expression, Field, InList, IsNull, Literal, Unary, render

_INT64_LIMIT = 2.0**63


@dataclass
class Failure:
    """Rows (``mask``, never null) where ``describe(row)`` says what went wrong."""

    mask: pa.Array
    describe: Callable[[int], str]
    field: str | None


def value_text(value: object) -> str:
    return repr(value) if isinstance(value, str) else ("null" if value is None else str(value).lower()
                                                        if isinstance(value, bool) else str(value))


class Evaluator:
    """Evaluates expressions against one table; collects failures and references to absent fields."""

    def __init__(self, table: pa.Table, limits: Limits | None = None) -> None:
        self.table = table
        self.limits = limits or Limits()
        self.length = table.num_rows
        self.failures: list[Failure] = []
        self.missing_fields: set[str] = set()
        self._active: pa.Array | None = None
        self._columns: dict[str, pa.Array] = {}

    # -- public -----------------------------------------------------------------------------

    def evaluate(self, node: Expression) -> pa.Array:
        """The value of ``node`` for every row."""
        method = getattr(self, f"_eval_{type(node).__name__.lower()}")
        return method(node)

    def condition(self, node: Expression) -> pa.Array:
        """``node`` as a boolean array (null where unknown or failed)."""
        return self._as_bool(self.evaluate(node), node)

    def failed_rows(self) -> pa.Array | None:
        """Rows with at least one failure, or None when every row succeeded."""
        masks = [failure.mask for failure in self.failures]
        if not masks:
            return None
        combined = masks[0]
        for mask in masks[1:]:
            combined = pc.or_(combined, mask)
        return combined if pc.any(combined).as_py() else None

    def describe_row(self, row: int) -> tuple[str, str | None]:
        """The first failure's message and field for ``row``."""
        for failure in self.failures:
            if failure.mask[row].as_py():
                return failure.describe(row), failure.field
        return "unknown failure", None

    # -- failures -----------------------------------------------------------------------------

    def fail(self, mask: pa.Array, describe: Callable[[int], str], node: Expression | None = None) -> None:
        mask = pc.fill_null(mask, False)
        if self._active is not None:
            mask = pc.and_(mask, self._active)
        if pc.any(mask).as_py():
            field = node.name if isinstance(node, Field) else None
            self.failures.append(Failure(mask, describe, field))

    def _with_active(self, rows: pa.Array, compute: Callable[[], pa.Array]) -> pa.Array:
        """Evaluate ``compute`` counting failures only in ``rows`` (and the rows already active)."""
        previous = self._active
        rows = pc.fill_null(rows, False)
        self._active = rows if previous is None else pc.and_(previous, rows)
        try:
            return compute()
        finally:
            self._active = previous

    # -- leaves -------------------------------------------------------------------------------

    def _eval_literal(self, node: Literal) -> pa.Array:
        if node.value is None:
            return pa.nulls(self.length)
        return pa.repeat(pa.scalar(node.value), self.length)  # type: ignore[call-overload]

    @staticmethod
    def _unreadable_timestamp(values: pa.Array, node: Expression, row: int) -> str:
        return f"cannot read {value_text(values[row].as_py())} as a timestamp in {render(node)}"

    def _eval_field(self, node: Field) -> pa.Array:
        name = node.name
        if name not in self._columns:
            found = resolve_path(self.table, node.path)
            if found is None:
                self.missing_fields.add(name)
                found = pa.nulls(self.length)
            self._columns[name] = found
        return self._columns[name]

    # -- operators ----------------------------------------------------------------------------

    def _eval_unary(self, node: Unary) -> pa.Array:
        operand = self.evaluate(node.operand)
        if node.op == "not":
            return pc.invert(self._as_bool(operand, node.operand))
        number = self._as_number(operand, node.operand, node)
        if pa.types.is_integer(number.type):
            return self._checked(pc.negate_checked, pc.negate, number, None, node)
        return pc.negate(number)

    def _eval_binary(self, node: Binary) -> pa.Array:
        if node.op in ("and", "or"):
            left = self._as_bool(self.evaluate(node.left), node.left)
            # The right side only matters where the left side does not already decide the result.
            decided = pc.equal(left, node.op == "or")
            right = self._with_active(
                pc.invert(pc.fill_null(decided, False)),
                lambda: self._as_bool(self.evaluate(node.right), node.right),
            )
            return pc.and_kleene(left, right) if node.op == "and" else pc.or_kleene(left, right)
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if node.op == "||":
            joined = pc.binary_join_element_wise(convert.to_string(left), convert.to_string(right), "")
            return self._bounded(joined, node)
        if node.op in ("=", "!=", "<", "<=", ">", ">="):
            return self._compare(node.op, left, right, node)
        return self._arithmetic(node, left, right)

    def _eval_inlist(self, node: InList) -> pa.Array:
        operand = self.evaluate(node.operand)
        result: pa.Array | None = None
        for item in node.items:
            matched = self._compare("=", operand, self.evaluate(item), node)
            result = matched if result is None else pc.or_kleene(result, matched)
        assert result is not None
        return pc.invert(result) if node.negated else result

    def _eval_isnull(self, node: IsNull) -> pa.Array:
        operand = self.evaluate(node.operand)
        return pc.is_valid(operand) if node.negated else pc.is_null(operand)

    def _eval_call(self, node: Call) -> pa.Array:
        return self._bounded(getattr(self, f"_fn_{node.name}")(node), node)

    def _bounded(self, values: pa.Array, node: Expression) -> pa.Array:
        """``values`` with every string over the per-record limit failed (and nulled, so that an
        enclosing call cannot grow it further); a batch over its limit stops the call."""
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            return values
        sizes = pc.binary_length(values)
        limit = self.limits.max_record_bytes
        over = pc.fill_null(pc.greater(sizes, limit), False)
        if pc.any(over).as_py():
            self.fail(over, lambda row: f"{render(node)[:120]} is over the per-record limit of {limit} bytes")
            values = pc.if_else(over, pa.scalar(None, values.type), values)
            sizes = pc.binary_length(values)
        total = pc.sum(sizes).as_py() or 0
        if total > self.limits.max_batch_bytes:
            raise TransformLimitError(
                f"{render(node)[:120]} makes {total} bytes for the batch, over the limit of "
                f"{self.limits.max_batch_bytes} bytes"
            )
        return values

    # -- conversions with failures -----------------------------------------------------------

    def _as_number(self, values: pa.Array, operand: Expression, context: Expression) -> pa.Array:
        converted, failed = convert.to_number(values)
        self.fail(
            failed,
            lambda row: f"cannot use {value_text(values[row].as_py())} as a number in {render(context)}",
            operand,
        )
        return converted

    def _as_bool(self, values: pa.Array, operand: Expression) -> pa.Array:
        kind = convert.kind_of(values.type)
        if kind == "boolean":
            return values
        if kind == "null":
            return pa.nulls(len(values), pa.bool_())
        self.fail(
            pc.is_valid(values),
            lambda row: f"expected true or false but {render(operand)} is {value_text(values[row].as_py())}",
            operand,
        )
        return pa.nulls(len(values), pa.bool_())

    def _checked(self, checked, unchecked, left, right, node: Expression) -> pa.Array:
        """Integer arithmetic that reports overflowing rows instead of wrapping around."""
        args = (left,) if right is None else (left, right)
        try:
            return checked(*args)
        except pa.ArrowInvalid:
            as_float = unchecked(*(pc.cast(arg, pa.float64(), safe=False) for arg in args))
            overflow = pc.fill_null(pc.greater_equal(pc.abs(as_float), _INT64_LIMIT), False)
            self.fail(overflow, lambda row: f"integer overflow in {render(node)}")
            safe = tuple(pc.if_else(overflow, pa.scalar(0, arg.type), arg) for arg in args)
            return pc.if_else(overflow, pa.scalar(None, pa.int64()), unchecked(*safe))

    def _arithmetic(self, node: Binary, left: pa.Array, right: pa.Array) -> pa.Array:
        a = self._as_number(left, node.left, node)
        b = self._as_number(right, node.right, node)
        if pa.types.is_null(a.type) or pa.types.is_null(b.type):
            return pa.nulls(self.length, pa.float64() if node.op == "/" else pa.int64())
        integers = pa.types.is_integer(a.type) and pa.types.is_integer(b.type)
        if node.op in ("+", "-", "*"):
            checked, unchecked = {
                "+": (pc.add_checked, pc.add),
                "-": (pc.subtract_checked, pc.subtract),
                "*": (pc.multiply_checked, pc.multiply),
            }[node.op]
            if integers:
                return self._checked(checked, unchecked, pc.cast(a, pa.int64()), pc.cast(b, pa.int64()), node)
            return unchecked(pc.cast(a, pa.float64()), pc.cast(b, pa.float64()))
        zero = pc.fill_null(pc.and_(pc.equal(b, 0), pc.is_valid(a)), False)
        self.fail(zero, lambda row: f"division by zero in {render(node)}", node.right)
        divisor = pc.if_else(zero, pa.scalar(None, b.type), b)
        if node.op == "/":
            return pc.divide(pc.cast(a, pa.float64()), pc.cast(divisor, pa.float64()))
        if integers:
            a, divisor = pc.cast(a, pa.int64()), pc.cast(divisor, pa.int64())
            # Arrow's integer divide truncates toward zero, so the remainder takes the dividend's sign.
            return pc.subtract(a, pc.multiply(divisor, pc.divide(a, divisor)))
        a, divisor = pc.cast(a, pa.float64()), pc.cast(divisor, pa.float64())
        return pc.subtract(a, pc.multiply(divisor, pc.trunc(pc.divide(a, divisor))))

    def _compare(self, op: str, left: pa.Array, right: pa.Array, node: Expression) -> pa.Array:
        lk, rk = convert.kind_of(left.type), convert.kind_of(right.type)
        if "null" in (lk, rk):
            return pa.nulls(self.length, pa.bool_())
        mismatch: pa.Array | None = None
        if lk != rk:
            left, right, mismatch = self._align(left, right, lk, rk, op, node)
        function = {
            "=": pc.equal, "!=": pc.not_equal, "<": pc.less, "<=": pc.less_equal,
            ">": pc.greater, ">=": pc.greater_equal,
        }[op]
        try:
            result = function(left, right)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            both = pc.and_(pc.is_valid(left), pc.is_valid(right))
            self.fail(
                both,
                lambda row: f"cannot compare {value_text(left[row].as_py())} with "
                f"{value_text(right[row].as_py())} in {render(node)}",
            )
            return pa.nulls(self.length, pa.bool_())
        if mismatch is not None:
            # A string that is not a number is simply not equal to a number.
            result = pc.if_else(mismatch, pa.scalar(op == "!="), result)
        return result

    def _align(self, left, right, lk, rk, op, node):
        """Bring two kinds together for a comparison; returns (left, right, unequal-rows or None)."""
        kinds = {lk, rk}
        if kinds == {"number", "string"}:
            text_is_left = lk == "string"
            text = left if text_is_left else right
            number, failed = convert.to_number(text)
            if op in ("=", "!="):
                mismatch = failed
            else:
                self.fail(
                    failed,
                    lambda row: f"cannot compare {value_text(text[row].as_py())} with a number in {render(node)}",
                )
                mismatch = None
            return (number, right, mismatch) if text_is_left else (left, number, mismatch)
        if kinds <= {"timestamp", "date", "string"}:
            converted = []
            for values in (left, right):
                stamps, failed = convert.to_timestamp(values)
                self.fail(
                    failed,
                    partial(self._unreadable_timestamp, values, node),
                )
                converted.append(stamps)
            return converted[0], converted[1], None
        return left, right, None

    # -- functions ----------------------------------------------------------------------------

    def _strings(self, node: Call, position: int = 0) -> pa.Array:
        return convert.to_string(self.evaluate(node.args[position]))

    def _int_literal(self, node: Call, position: int, default: int) -> int:
        # The parser allows only integer literals at these positions (functions.py, literal_args).
        value = self._literal(node, position, default)
        assert isinstance(value, int)
        return value

    def _literal(self, node: Call, position: int, default: object = None) -> object:
        if position >= len(node.args):
            return default
        arg = node.args[position]
        assert isinstance(arg, Literal)
        return arg.value

    def _fn_lower(self, node: Call) -> pa.Array:
        return pc.utf8_lower(self._strings(node))

    def _fn_upper(self, node: Call) -> pa.Array:
        return pc.utf8_upper(self._strings(node))

    def _fn_trim(self, node: Call) -> pa.Array:
        return pc.utf8_trim_whitespace(self._strings(node))

    def _fn_length(self, node: Call) -> pa.Array:
        values = self.evaluate(node.args[0])
        if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
            return pc.cast(pc.list_value_length(values), pa.int64())
        return pc.cast(pc.utf8_length(convert.to_string(values)), pa.int64())

    def _fn_concat(self, node: Call) -> pa.Array:
        parts = [self._strings(node, i) for i in range(len(node.args))]
        return pc.binary_join_element_wise(*parts, "", null_handling="skip")

    def _fn_substring(self, node: Call) -> pa.Array:
        start = self._int_literal(node, 1, 1) - 1
        length = self._literal(node, 2)
        stop = None if length is None else start + self._int_literal(node, 2, 0)
        return pc.utf8_slice_codeunits(self._strings(node), start=start, stop=stop)

    def _fn_replace(self, node: Call) -> pa.Array:
        strings = self._strings(node)
        old, new = str(self._literal(node, 1)), str(self._literal(node, 2))
        growth = len(new.encode()) - len(old.encode())
        if growth > 0 and old:
            # Predict each result's size first, so that a replace that would blow up is refused
            # before the memory is spent (each nested level can multiply the size).
            predicted = pc.add(pc.binary_length(strings), pc.multiply(pc.count_substring(strings, old), growth))
            limit = self.limits.max_record_bytes
            over = pc.fill_null(pc.greater(predicted, limit), False)
            if pc.any(over).as_py():
                self.fail(over, lambda row: f"{render(node)[:120]} would be over the per-record limit of {limit} bytes")
                strings = pc.if_else(over, pa.scalar(None, strings.type), strings)
                predicted = pc.if_else(over, pa.scalar(0, predicted.type), predicted)
            total = pc.sum(predicted).as_py() or 0
            if total > self.limits.max_batch_bytes:
                raise TransformLimitError(f"{render(node)[:120]} would make {total} bytes for the batch, over the "
                                          f"limit of {self.limits.max_batch_bytes} bytes")
        return pc.replace_substring(strings, pattern=old, replacement=new)

    def _fn_coalesce(self, node: Call) -> pa.Array:
        values: list[pa.Array] = []
        still_null: pa.Array = pa.repeat(pa.scalar(True), self.length)
        for arg in node.args:
            value = self._with_active(still_null, partial(self.evaluate, arg))
            values.append(value)
            still_null = pc.and_(still_null, pc.is_null(value))
        target = convert.common_type([v.type for v in values])
        if pa.types.is_null(target):
            return pa.nulls(self.length)
        return pc.coalesce(*(convert.cast_to(v, target) for v in values))

    def _fn_abs(self, node: Call) -> pa.Array:
        number = self._as_number(self.evaluate(node.args[0]), node.args[0], node)
        if pa.types.is_integer(number.type):
            return self._checked(pc.abs_checked, pc.abs, number, None, node)
        return pc.abs(number)

    def _fn_round(self, node: Call) -> pa.Array:
        number = self._as_number(self.evaluate(node.args[0]), node.args[0], node)
        digits = self._int_literal(node, 1, 0)
        if pa.types.is_null(number.type) or (pa.types.is_integer(number.type) and digits >= 0):
            return number
        if digits <= 0:
            return pc.round(number, ndigits=digits, round_mode="half_towards_infinity")
        # pyarrow multiplies by 10**-n on the way back (439.59 becomes 439.59000000000003); dividing
        # by the exact power of ten gives the nearest double, as Python's round() shows it.
        scale = float(10**digits)
        scaled = pc.round(pc.multiply(number, scale), ndigits=0, round_mode="half_towards_infinity")
        return pc.divide(scaled, scale)

    def _fn_to_string(self, node: Call) -> pa.Array:
        return self._strings(node)

    def _fn_to_number(self, node: Call) -> pa.Array:
        return self._as_number(self.evaluate(node.args[0]), node.args[0], node)

    def _fn_starts_with(self, node: Call) -> pa.Array:
        return pc.starts_with(self._strings(node), pattern=self._literal(node, 1))

    def _fn_ends_with(self, node: Call) -> pa.Array:
        return pc.ends_with(self._strings(node), pattern=self._literal(node, 1))

    def _fn_contains(self, node: Call) -> pa.Array:
        return pc.match_substring(self._strings(node), pattern=self._literal(node, 1))

    def _fn_if(self, node: Call) -> pa.Array:
        chosen = pc.fill_null(self.condition(node.args[0]), False)
        then = self._with_active(chosen, lambda: self.evaluate(node.args[1]))
        otherwise = self._with_active(pc.invert(chosen), lambda: self.evaluate(node.args[2]))
        target = convert.common_type([then.type, otherwise.type])
        if pa.types.is_null(target):
            return pa.nulls(self.length)
        return pc.if_else(chosen, convert.cast_to(then, target), convert.cast_to(otherwise, target))


def resolve_path(table: pa.Table, path: tuple[str, ...] | list[str]) -> pa.Array | None:
    """The column named by the dotted path, or the nested struct field it reaches; None when absent.

    An exact column name wins (``line_items.sku`` after a flatten), then the longest column prefix
    that is a struct, navigated field by field (``customer.email`` inside a ``customer`` struct).
    """
    names = table.column_names
    for cut in range(len(path), 0, -1):
        name = ".".join(path[:cut])
        if name not in names:
            continue
        values: pa.Array | None = table.column(name).combine_chunks()
        for segment in path[cut:]:
            assert values is not None
            if not pa.types.is_struct(values.type) or values.type.get_field_index(segment) < 0:
                values = None
                break
            values = pc.struct_field(values, [values.type.get_field_index(segment)])
        if values is not None:
            return values
    return None
