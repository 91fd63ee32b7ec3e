"""The shared opaque cursor: round trip, and refusal of anything it did not write."""

from __future__ import annotations

import pytest

from nexla_ops.operations.cursor import decode_cursor, encode_cursor

LOGS = {"run_id": int, "offset": int}


def test_round_trip_and_empty_cursor() -> None:
    cursor = encode_cursor({"run_id": 17, "offset": 200})
    assert "=" not in cursor and "17" not in cursor
    assert decode_cursor(cursor, fields=LOGS) == {"run_id": 17, "offset": 200}
    assert decode_cursor(encode_cursor({"name": "a b"}), fields={"name": str}) == {"name": "a b"}
    assert decode_cursor(None, fields=LOGS) == {}
    assert decode_cursor("", fields=LOGS) == {}


@pytest.mark.parametrize(
    "cursor, reason",
    [
        ("not-a-cursor", "not a next_cursor"),
        ("!!!", "not a next_cursor"),
        (encode_cursor({"offset": 5}), "expected the fields"),  # a run-summary cursor passed to logs
        (encode_cursor({"page": 2, "offset": 0}), "expected the fields"),  # a listing cursor
        (encode_cursor({"run_id": 1, "offset": -1}), "'offset' is not a non-negative integer"),
        (encode_cursor({"run_id": "1", "offset": 0}), "'run_id' is not a non-negative integer"),
        ("WzEsMl0", "expected the fields"),  # base64 of a JSON list
    ],
)
def test_refuses_what_it_did_not_write(cursor: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^cursor is invalid or from another listing: .*{reason}"):
        decode_cursor(cursor, fields=LOGS)


def test_refuses_a_boolean_for_an_integer() -> None:
    with pytest.raises(ValueError, match="'offset' is not a non-negative integer"):
        decode_cursor(encode_cursor({"offset": True}), fields={"offset": int})
