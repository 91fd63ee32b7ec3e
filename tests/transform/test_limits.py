"""Bounded work: expression depth, literal size, output per record and per batch, time; nexla.custom."""

from __future__ import annotations

import base64

import pytest

from nexla_ops.transform import (
    Limits,
    TransformLimitError,
    TransformSpecError,
    run_on_records,
    transform_problems,
)


def nested_replace(levels: int) -> str:
    text = "s"
    for _ in range(levels):
        text = f"replace({text}, 'a', 'aa')"
    return text


def test_twenty_nested_replaces_fail_the_records_instead_of_exhausting_memory():
    spec = {"version": 1, "operations": [{"operation": "compute", "expression": nested_replace(20), "as": "t"}]}
    records = [{"s": "a" * 10}, {"s": "b"}]
    result = run_on_records(spec, records)
    # 10 * 2**20 characters is over the 1 MiB per-record limit; the record without an 'a' is fine.
    assert result.records() == [{"s": "b", "t": "b"}]
    (error,) = result.errors
    assert error.operation_index == 0 and error.operation == "compute"
    assert "over the per-record limit of 1048576 bytes" in error.message


def test_the_per_record_limit_is_configurable_and_applies_to_concatenation():
    limits = Limits(max_record_bytes=8)
    spec = {"operations": [{"operation": "compute", "expression": "s || s || s", "as": "t"}]}
    result = run_on_records(spec, [{"s": "abc"}, {"s": "a"}], limits=limits)
    assert result.records() == [{"s": "a", "t": "aaa"}] and result.error_count == 1


def test_a_batch_over_its_limit_stops_the_call_naming_the_operation():
    spec = {"operations": [{"operation": "rename", "fields": {"s": "x"}},
                           {"operation": "compute", "expression": "replace(x, 'a', 'aaaa')", "as": "t"}]}
    with pytest.raises(TransformLimitError, match="replace"):
        run_on_records(spec, [{"s": "a" * 100}] * 10, limits=Limits(max_batch_bytes=2_000))
    jolt = [{"operation": "shift", "spec": {"s": ["a", "b", "c"]}}]
    with pytest.raises(TransformLimitError, match=r"transforms\[0\] \(shift\): the output batch"):
        run_on_records(jolt, [{"s": "x" * 100}] * 10, limits=Limits(max_batch_bytes=2_000))


def test_an_oversized_jolt_record_is_set_aside():
    spec = [{"operation": "shift", "spec": {"s": ["a", "b", "c", "d"]}}]
    result = run_on_records(spec, [{"s": "x" * 30}, {"s": "y"}], limits=Limits(max_record_bytes=100))
    assert result.records() == [{"a": "y", "b": "y", "c": "y", "d": "y"}]
    assert result.errors[0].operation == "shift" and "per-record limit of 100 bytes" in result.errors[0].message


def test_expression_depth_and_literal_size_are_checked_before_running():
    deep = {"operations": [{"operation": "compute", "expression": "(" * 70 + "1" + ")" * 70, "as": "x"}]}
    (problem,) = transform_problems(deep)
    assert problem.operation_index == 0 and "deeper than the limit of 64" in problem.message
    chain = {"operations": [{"operation": "compute", "expression": " + ".join(["a"] * 80), "as": "x"}]}
    assert "over the limit of 64" in transform_problems(chain)[0].message
    huge = {"operations": [{"operation": "filter", "condition": f"a = '{'x' * 70_000}'"}]}
    assert "over the limit of 65536" in transform_problems(huge)[0].message
    big_default = {"operations": [{"operation": "default", "values": {"a": "x" * 70_000}}]}
    assert "the default for 'a'" in transform_problems(big_default)[0].message
    jolt = [{"operation": "default", "spec": {"a": "x" * 70_000}}]
    assert "a literal of 70000 characters" in transform_problems(jolt)[0].message
    deep_jolt: dict = {}
    node = deep_jolt
    for _ in range(70):
        node["a"] = {}
        node = node["a"]
    assert "nested deeper than 64 levels" in transform_problems([{"operation": "remove", "spec": deep_jolt}])[0].message


def test_the_time_limit_stops_a_call():
    spec = {"operations": [{"operation": "rename", "fields": {"a": "b"}}]}
    with pytest.raises(TransformLimitError, match=r"operations\[0\] \(rename\): the transform took longer"):
        run_on_records(spec, [{"a": 1}], limits=Limits(max_seconds=-1))
    with pytest.raises(TransformLimitError, match=r"transforms\[0\] \(sort\)"):
        run_on_records([{"operation": "sort"}], [{"a": 1}], limits=Limits(max_seconds=-1))


def script(source: str) -> list[dict]:
    encoded = base64.b64encode(source.encode()).decode()
    return [{"operation": "nexla.custom", "spec": {"language": "python", "encoding": "base64", "script": encoded}}]


GOOD = """
def transform(input, metadata, args):
    if input.get("drop"):
        return None
    if input.get("boom"):
        raise ValueError("no boom")
    print("noise on stdout")
    return {**input, "tag": args.get("tag", "none"), "n": input["n"] * 2}
"""


def test_custom_scripts_are_refused_unless_the_operator_allows_them():
    with pytest.raises(TransformSpecError, match="NEXLA_TRANSFORM_RUN_SCRIPTS=1") as caught:
        run_on_records(script(GOOD), [{"n": 1}], limits=Limits(run_scripts=False))
    assert caught.value.operation_index == 0
    js = [{"operation": "nexla.custom", "spec": {"language": "javascript", "script": base64.b64encode(b"x").decode()}}]
    assert transform_problems(js) == []
    with pytest.raises(TransformSpecError, match="javascript scripts are not run"):
        run_on_records(js, [{"n": 1}], limits=Limits(run_scripts=True))


def test_an_allowed_python_script_runs_in_a_child_process_per_record():
    spec = {"transforms": script(GOOD), "custom_config": {"tag": "t1"}}
    result = run_on_records(spec, [{"n": 1}, {"n": 2, "drop": True}, {"n": 3, "boom": True}],
                            limits=Limits(run_scripts=True))
    assert result.records() == [{"n": 2, "drop": None, "boom": None, "tag": "t1"}]  # a table row has every column
    (error,) = result.errors
    assert error.operation == "nexla.custom" and error.message == "ValueError: no boom" and error.record["n"] == 3
    assert [(c.records_in, c.records_out, c.errors) for c in result.operation_counts] == [(3, 1, 1)]


def test_a_script_is_stopped_at_its_time_and_memory_limits():
    loop = script("def transform(input, metadata, args):\n    while True:\n        pass\n")
    with pytest.raises(TransformSpecError, match="limit"):
        run_on_records(loop, [{"n": 1}], limits=Limits(run_scripts=True, script_seconds=1))
    hog = script("def transform(input, metadata, args):\n    return {'x': len(bytearray(2 * 1024 ** 3))}\n")
    result = run_on_records(hog, [{"n": 1}], limits=Limits(run_scripts=True, script_memory_bytes=256 * 1024 ** 2))
    assert result.records() == [] and "MemoryError" in result.errors[0].message


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"language": "ruby", "script": "eA=="}, "language: must be one of python, python3, javascript"),
        ({"language": "python", "script": "!!"}, "script: is not valid base64"),
        ({"language": "python", "script": base64.b64encode(b"def transform(:").decode()}, "python syntax error"),
        ({"language": "python", "script": base64.b64encode(b"x = 1").decode()}, "must define transform"),
        ({"language": "python", "script": base64.b64encode(b"def transform(a):\n  return a").decode()},
         "takes 1 argument"),
    ],
)
def test_script_mistakes_are_static_errors(spec, message):
    (problem,) = transform_problems([{"operation": "nexla.custom", "spec": spec}])
    assert message in problem.message and problem.message.startswith("transforms[0] (nexla.custom)")


def test_a_record_nested_too_deep_is_refused_before_any_recursive_walk():
    document: dict = {"v": 1}
    for _ in range(900):
        document = {"a": document}
    with pytest.raises(TransformSpecError, match=r"records\[0\] is nested deeper than 64 levels"):
        run_on_records([{"operation": "shift", "spec": {"a": "b"}}], [document])
