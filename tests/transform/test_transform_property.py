"""Property: the engine gives the same records as a plain-Python reference implementation.

The reference below is written independently of the engine, record by record, with SQL null
semantics. Records are compared with null/missing fields removed, since a columnar table has a
column (null) where a ragged record simply lacks the key.
"""

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexla_ops.transform import run_on_records

INT_FIELDS = ("a", "b", "c")
TEXT_FIELDS = ("s", "u")


def _and(x, y):
    if x is False or y is False:
        return False
    return None if x is None or y is None else True


def _or(x, y):
    if x is True or y is True:
        return True
    return None if x is None or y is None else False


def _cmp(x, y, f):
    return None if x is None or y is None else f(x, y)


class Failed(Exception):
    """The reference's equivalent of a record error: the record is dropped."""


def _divide_guarded(r):
    if r.get("a") is None:
        return False
    if r.get("b") is None:
        return None
    if r["b"] == 0:
        raise Failed
    return r["a"] / r["b"] > 1


def _mod3(x):
    return None if x is None else int(math.fmod(x, 3))


# (expression text, reference on one record)
EXPRESSIONS = [
    ("a + b", lambda r: _cmp(r.get("a"), r.get("b"), lambda x, y: x + y)),
    ("a * 2 - b", lambda r: _cmp(r.get("a"), r.get("b"), lambda x, y: x * 2 - y)),
    ("coalesce(a, b, 0)", lambda r: next((v for v in (r.get("a"), r.get("b")) if v is not None), 0)),
    ("s || 'x'", lambda r: None if r.get("s") is None else r["s"] + "x"),
    ("upper(s)", lambda r: None if r.get("s") is None else r["s"].upper()),
    ("length(u)", lambda r: None if r.get("u") is None else len(r["u"])),
    ("a % 3", lambda r: _mod3(r.get("a"))),
    ("if(a > b, a, b)", lambda r: r.get("a") if _cmp(r.get("a"), r.get("b"), lambda x, y: x > y) else r.get("b")),
    ("concat(s, '-', u)", lambda r: (r.get("s") or "") + "-" + (r.get("u") or "")),
]

CONDITIONS = [
    ("a > 0", lambda r: _cmp(r.get("a"), 0, lambda x, y: x > y)),
    ("a > b or s = 'x'", lambda r: _or(_cmp(r.get("a"), r.get("b"), lambda x, y: x > y),
                                       _cmp(r.get("s"), "x", lambda x, y: x == y))),
    ("s in ('x', 'y')", lambda r: None if r.get("s") is None else r["s"] in ("x", "y")),
    ("u not in ('x')", lambda r: None if r.get("u") is None else r["u"] != "x"),
    ("a is null", lambda r: r.get("a") is None),
    ("not (b < 5)", lambda r: None if r.get("b") is None else not r["b"] < 5),
    ("c is not null and s != 'y'", lambda r: _and(r.get("c") is not None, _cmp(r.get("s"), "y", lambda x, y: x != y))),
    ("a is not null and a / b > 1", _divide_guarded),
]


def _reference_rename(records, columns, fields):
    present = [source for source in fields if source in columns]
    targets = {fields[source] for source in present}
    renamed = [fields[c] if c in present else c for c in columns if c in present or c not in targets]
    out = [{fields.get(k, k) if k in present else k: v for k, v in record.items()
            if k in present or k not in targets} for record in records]
    return out, renamed


def reference(records, operations):
    """Apply ``operations`` to ``records`` one record at a time.

    Like a table, the batch has a set of columns (every key any record had, which outlives the
    records a filter removes); a record lacking a column holds null there.
    """
    columns = list(dict.fromkeys(key for record in records for key in record))
    records = [{c: r.get(c) for c in columns} for r in records]
    for op in operations:
        kind = op["operation"]
        if kind == "rename":
            records, columns = _reference_rename(records, columns, op["fields"])
        elif kind == "compute":
            function = dict(EXPRESSIONS)[op["expression"]]
            kept = []
            for record in records:
                try:
                    record[op["as"]] = function(record)
                except Failed:
                    continue
                kept.append(record)
            records = kept
            columns = columns if op["as"] in columns else [*columns, op["as"]]
        elif kind == "filter":
            function = dict(CONDITIONS)[op["condition"]]
            kept = []
            for record in records:
                try:
                    if function(record) is True:
                        kept.append(record)
                except Failed:
                    continue
            records = kept
        elif kind == "default":
            for key, value in op["values"].items():
                for record in records:
                    if record.get(key) is None:
                        record[key] = value
                columns = columns if key in columns else [*columns, key]
        elif kind == "select":
            # A field the batch does not have is not created by select.
            columns = [key for key in dict.fromkeys(op["fields"]) if key in columns]
            records = [{key: record[key] for key in columns} for record in records]
        elif kind == "flatten":
            path = op["path"]
            exploded = []
            for record in records:
                for item in record.get(path) or []:
                    base = {k: v for k, v in record.items() if k != path}
                    base.update({f"{path}.{k}": v for k, v in item.items()})
                    exploded.append(base)
            records = exploded
            columns = [c for c in columns if c != path]
    return records


def normalise(records):
    return [{k: v for k, v in record.items() if v is not None} for record in records]


small_int = st.integers(-20, 20)
text = st.sampled_from(["x", "y", "z", "", "Ab"])


@st.composite
def flat_record(draw):
    record = {}
    for name in INT_FIELDS:
        choice = draw(st.sampled_from(["value", "null", "missing"]))
        if choice != "missing":
            record[name] = draw(small_int) if choice == "value" else None
    for name in TEXT_FIELDS:
        choice = draw(st.sampled_from(["value", "null", "missing"]))
        if choice != "missing":
            record[name] = draw(text) if choice == "value" else None
    return record


@st.composite
def operation(draw, computed):
    kind = draw(st.sampled_from(["rename", "filter", "compute", "default", "select"]))
    if kind == "rename":
        group = draw(st.sampled_from([INT_FIELDS, TEXT_FIELDS]))
        source, target = draw(st.permutations(group))[:2]
        return {"operation": "rename", "fields": {source: target}}
    if kind == "filter":
        return {"operation": "filter", "condition": draw(st.sampled_from([c for c, _ in CONDITIONS]))}
    if kind == "compute":
        computed.append(f"t{len(computed)}")
        return {"operation": "compute", "expression": draw(st.sampled_from([e for e, _ in EXPRESSIONS])),
                "as": computed[-1]}
    if kind == "default":
        name = draw(st.sampled_from(INT_FIELDS + TEXT_FIELDS))
        value = draw(small_int) if name in INT_FIELDS else draw(text)
        return {"operation": "default", "values": {name: value}}
    names = list(INT_FIELDS + TEXT_FIELDS) + computed
    return {"operation": "select", "fields": draw(st.lists(st.sampled_from(names), min_size=1, max_size=4,
                                                             unique=True))}


@st.composite
def pipeline(draw):
    computed: list[str] = []
    return [draw(operation(computed)) for _ in range(draw(st.integers(1, 5)))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(flat_record(), max_size=12), operations=pipeline())
def test_flat_pipelines_match_reference(records, operations):
    result = run_on_records({"version": 1, "operations": operations}, records)
    assert normalise(result.records()) == normalise(reference(records, operations))
    assert result.operation_counts[-1].records_out == len(result.records())


item = st.fixed_dictionaries({}, optional={"sku": text, "q": small_int})
nested_record = st.fixed_dictionaries(
    {"id": small_int},
    optional={"items": st.one_of(st.none(), st.lists(item, max_size=3)), "s": text},
)


@settings(max_examples=100, deadline=None)
@given(records=st.lists(nested_record, max_size=8), threshold=small_int)
def test_flatten_then_filter_and_rename_match_reference(records, threshold):
    operations = [
        {"operation": "flatten", "path": "items"},
        {"operation": "filter", "condition": f"items.q is null or items.q > {threshold}"},
        {"operation": "rename", "fields": {"items.sku": "sku"}},
    ]
    exploded = reference(records, operations[:1])
    columns = list(dict.fromkeys(key for record in exploded for key in record))
    kept = [r for r in exploded if r.get("items.q") is None or r["items.q"] > threshold]
    expected, _ = _reference_rename(kept, columns, {"items.sku": "sku"})
    result = run_on_records({"version": 1, "operations": operations}, records)
    assert normalise(result.records()) == normalise(expected)
