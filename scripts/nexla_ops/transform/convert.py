"""Vectorised, null-on-failure conversions between Arrow types.

Every converter returns ``(values, failed)``: ``values`` has the target type with nulls where the
conversion failed, ``failed`` is a boolean array (never null) marking the rows whose non-null input
could not be converted. Callers turn ``failed`` into record errors.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pyarrow as pa
from .compute import pc

TIMESTAMP = pa.timestamp("us", tz="UTC")

_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"
_INTEGER = r"^\s*[+-]?\d+(\.0*)?\s*$"
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]


def kind_of(data_type: pa.DataType) -> str:
    """The expression-language kind of an Arrow type: number, string, boolean, timestamp, date, null, nested."""
    if pa.types.is_integer(data_type) or pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return "number"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_date(data_type):
        return "date"
    if pa.types.is_null(data_type):
        return "null"
    return "nested"


def nothing_failed(length: int) -> pa.BooleanArray:
    return pa.repeat(pa.scalar(False), length)


def _failed(original: pa.Array, converted: pa.Array) -> pa.Array:
    """Rows that had a value before and none after."""
    return pc.and_(pc.is_valid(original), pc.is_null(converted))


def _keep(values: pa.Array, mask: pa.Array) -> pa.Array:
    """``values`` where ``mask`` holds, null elsewhere (mask nulls count as false)."""
    return pc.if_else(pc.fill_null(mask, False), values, pa.scalar(None, values.type))


def to_number(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Numbers stay as they are (decimals become float64); strings are read as float64."""
    kind = kind_of(values.type)
    if kind == "number":
        if pa.types.is_decimal(values.type):
            return pc.cast(values, pa.float64()), nothing_failed(len(values))
        return values, nothing_failed(len(values))
    if kind == "null":
        return pa.nulls(len(values), pa.int64()), nothing_failed(len(values))
    if kind == "string":
        numeric = _keep(pc.utf8_trim_whitespace(values), pc.match_substring_regex(values, _NUMBER))
        converted = pc.cast(numeric, pa.float64())
        return converted, _failed(values, converted)
    return pa.nulls(len(values), pa.float64()), pc.is_valid(values)


def to_integer(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Whole numbers only: 3.5 and '3.5' fail, '3' and 3.0 convert; booleans become 0/1."""
    kind = kind_of(values.type)
    if kind == "number":
        if pa.types.is_integer(values.type):
            return pc.cast(values, pa.int64()), nothing_failed(len(values))
        as_float = pc.cast(values, pa.float64())
        whole = pc.and_(
            pc.equal(as_float, pc.floor(as_float)),
            pc.and_(pc.less_equal(pc.abs(as_float), 9.2e18), pc.is_finite(as_float)),
        )
        converted = pc.cast(_keep(as_float, whole), pa.int64())
        return converted, _failed(values, converted)
    if kind == "boolean":
        return pc.cast(values, pa.int64()), nothing_failed(len(values))
    if kind == "string":
        matching = pc.match_substring_regex(values, _INTEGER)
        digits = pc.replace_substring_regex(pc.utf8_trim_whitespace(values), r"\.0*$", "")
        digits = _keep(digits, pc.and_(matching, pc.less_equal(pc.utf8_length(digits), 19)))
        try:
            converted = pc.cast(digits, pa.int64())
        except pa.ArrowInvalid:  # a 19-digit value beyond int64: find it row by row
            converted = pa.array([_int_or_none(v) for v in digits.to_pylist()], pa.int64())
        return converted, _failed(values, converted)
    if kind == "null":
        return pa.nulls(len(values), pa.int64()), nothing_failed(len(values))
    return pa.nulls(len(values), pa.int64()), pc.is_valid(values)


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


def to_float(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """float64 from numbers, numeric strings and booleans."""
    if kind_of(values.type) == "boolean":
        return pc.cast(values, pa.float64()), nothing_failed(len(values))
    converted, failed = to_number(values)
    return pc.cast(converted, pa.float64()), failed


def to_boolean(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """true/false/yes/no/y/n/t/f/1/0 (any case) and the numbers 0 and 1."""
    kind = kind_of(values.type)
    if kind == "boolean":
        return values, nothing_failed(len(values))
    if kind == "null":
        return pa.nulls(len(values), pa.bool_()), nothing_failed(len(values))
    if kind == "string":
        folded = pc.utf8_lower(pc.utf8_trim_whitespace(values))
        is_true = pc.is_in(folded, value_set=pa.array(_TRUE))
        is_false = pc.is_in(folded, value_set=pa.array(_FALSE))
        converted = _keep(is_true, pc.or_(is_true, is_false))
        return converted, _failed(values, converted)
    if kind == "number":
        is_one, is_zero = pc.equal(values, 1), pc.equal(values, 0)
        converted = _keep(is_one, pc.or_(is_one, is_zero))
        return converted, _failed(values, converted)
    return pa.nulls(len(values), pa.bool_()), pc.is_valid(values)


def to_timestamp(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """UTC microsecond timestamps from ISO-8601 strings (no zone means UTC), dates, or epoch seconds."""
    kind = kind_of(values.type)
    if kind == "timestamp":
        if values.type.tz is None:
            values = pc.assume_timezone(values, "UTC")
        return pc.cast(values, TIMESTAMP), nothing_failed(len(values))
    if kind == "date":
        return pc.assume_timezone(pc.cast(values, pa.timestamp("us")), "UTC"), nothing_failed(len(values))
    if kind == "null":
        return pa.nulls(len(values), TIMESTAMP), nothing_failed(len(values))
    if kind == "number":
        micros, failed = to_integer(pc.multiply(pc.cast(values, pa.float64()), 1_000_000.0))
        return pc.cast(micros, TIMESTAMP), failed
    if kind == "string":
        converted = _parse_strings(values, TIMESTAMP, _python_timestamp)
        return converted, _failed(values, converted)
    return pa.nulls(len(values), TIMESTAMP), pc.is_valid(values)


def to_date(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Dates from 'YYYY-MM-DD' strings, ISO timestamps (their UTC date) and timestamps."""
    kind = kind_of(values.type)
    if kind == "date":
        return pc.cast(values, pa.date32()), nothing_failed(len(values))
    if kind == "null":
        return pa.nulls(len(values), pa.date32()), nothing_failed(len(values))
    if kind == "string":
        converted = _parse_strings(values, pa.date32(), _python_date)
        return converted, _failed(values, converted)
    stamps, failed = to_timestamp(values)
    return pc.cast(stamps, pa.date32()), failed


def _parse_strings(values: pa.Array, target: pa.DataType, parse_one) -> pa.Array:
    """Cast strings in one vectorised call; only when some value is malformed, parse row by row."""
    trimmed = pc.utf8_trim_whitespace(values)
    try:
        if target == TIMESTAMP:
            naive = pc.invert(pc.match_substring_regex(trimmed, r"(Z|[+-]\d\d:?\d\d)$"))
            if pc.any(naive).as_py():
                return pc.if_else(
                    pc.fill_null(naive, False),
                    pc.assume_timezone(pc.cast(_keep(trimmed, naive), pa.timestamp("us")), "UTC"),
                    pc.cast(_keep(trimmed, pc.invert(naive)), TIMESTAMP),
                )
        return pc.cast(trimmed, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([parse_one(value) for value in trimmed.to_pylist()], target)


def _python_timestamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def _python_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        stamp = _python_timestamp(text)
        return stamp.date() if stamp is not None else None


def to_string(values: pa.Array) -> pa.Array:
    """Strings never fail: booleans become true/false, timestamps ISO-8601, nested values JSON."""
    kind = kind_of(values.type)
    if kind == "string":
        return pc.cast(values, pa.string())
    if kind == "null":
        return pa.nulls(len(values), pa.string())
    if kind == "timestamp":
        text = pc.strftime(values, format="%Y-%m-%dT%H:%M:%S")
        return pc.binary_join_element_wise(text, "Z" if values.type.tz else "", "") if values.type.tz else text
    if kind in ("number", "boolean", "date"):
        return pc.cast(values, pa.string())
    # Nested values have no Arrow cast to string; JSON text is the faithful rendering.
    return pa.array(
        [None if value is None else json.dumps(value, default=str, sort_keys=True) for value in values.to_pylist()],
        pa.string(),
    )


CONVERTERS = {
    "string": lambda values: (to_string(values), nothing_failed(len(values))),
    "integer": to_integer,
    "number": to_float,
    "boolean": to_boolean,
    "timestamp": to_timestamp,
    "date": to_date,
}


def common_type(types: list[pa.DataType]) -> pa.DataType:
    """The type several values are unified to: equal types stay, numbers widen, anything else is string."""
    real = [t for t in types if not pa.types.is_null(t)]
    if not real:
        return pa.null()
    if all(t == real[0] for t in real):
        return real[0]
    kinds = {kind_of(t) for t in real}
    if kinds == {"number"}:
        if all(pa.types.is_integer(t) for t in real):
            return pa.int64()
        return pa.float64()
    if kinds <= {"timestamp", "date"}:
        return TIMESTAMP
    return pa.string()


def cast_to(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast to a type chosen by ``common_type`` (always succeeds for such a type)."""
    if values.type == target:
        return values
    if pa.types.is_string(target):
        return to_string(values)
    if pa.types.is_null(values.type):
        return pa.nulls(len(values), type=target)  # type: ignore[call-overload]  # stubs overload on concrete types
    if target == TIMESTAMP:
        return to_timestamp(values)[0]
    return pc.cast(values, target)
