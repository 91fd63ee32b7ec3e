"""The standard Jolt operations real Nexla runs, applied to one JSON document at a time.

``check_operation`` finds every static mistake of one operation without running it;
``run_operation`` applies a checked operation to a document and returns the new document. The
supported subset (documented in TRANSFORMS.md, "The official format"): ``shift`` (literal keys,
``a|b``, ``*`` patterns, ``&``/``&N``/``&(N,M)``, ``@``/``@(N,path)``, ``$``/``$N``, ``#literal``,
value matching, output arrays ``[]``/``[N]``/``[&N]``/``[#N]``), ``default``, ``remove``,
``modify-overwrite-beta``, ``modify-default-beta`` (functions in ``FUNCTIONS``), ``cardinality``
and ``sort``.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import TransformSpecError
from .limits import Limits

SHIFT, DEFAULT, REMOVE = "shift", "default", "remove"
MODIFY_OVERWRITE, MODIFY_DEFAULT = "modify-overwrite-beta", "modify-default-beta"
CARDINALITY, SORT = "cardinality", "sort"
JOLT_OPERATIONS = (SHIFT, DEFAULT, REMOVE, MODIFY_OVERWRITE, MODIFY_DEFAULT, CARDINALITY, SORT)
_MAX_DOCUMENT_DEPTH = 256


class JoltRecordError(Exception):
    """One document could not be transformed (a limit, or a value an operation cannot handle)."""


# -- references and patterns ------------------------------------------------------------------------

_REFERENCE = re.compile(r"&\((\d+),(\d+)\)|&(\d*)|@\((\d+),([^)]*)\)|\$(\d*)|#(\d+)")


@dataclass(frozen=True)
class _Level:
    """One step of the walk: the input key matched there, its ``*`` captures and the value under it."""

    key: str
    captures: tuple[str, ...]
    value: Any
    match_index: int


def _lookup(value: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _level(stack: list[_Level], up: int) -> _Level:
    if up >= len(stack):
        raise JoltRecordError(f"reference goes {up} level(s) up, past the top of the document")
    return stack[-1 - up]


def _as_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _substitute(text: str, stack: list[_Level]) -> str:
    """``text`` with every ``&``, ``@(N,path)``, ``$`` and ``#N`` reference replaced from the walk."""

    def one(match: re.Match[str]) -> str:
        whole_level, whole_group, amp, at_level, at_path, dollar, hash_level = match.groups()
        if whole_level is not None:
            captures = _level(stack, int(whole_level)).captures
            group = int(whole_group)
            if group >= len(captures):
                raise JoltRecordError(f"&({whole_level},{whole_group}) names a capture the key does not have")
            return captures[group]
        if amp is not None:
            return _level(stack, int(amp or 0)).key
        if at_level is not None:
            return _as_key(_lookup(_level(stack, int(at_level)).value, at_path))
        if dollar is not None:
            return _level(stack, int(dollar or 0)).key
        return str(_level(stack, max(int(hash_level) - 1, 0)).match_index)

    return _REFERENCE.sub(one, text)


def _pattern(key: str) -> re.Pattern[str] | None:
    """A regex for a ``*`` key (None for a literal key); each ``*`` is one capture group."""
    if "*" not in key:
        return None
    parts = [re.escape(part) for part in key.split("*")]
    return re.compile("^" + "(.*?)".join(parts[:-1]) + "(.*)" + parts[-1] + "$" if len(parts) > 1 else "^$")


def _children(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return [(str(position), item) for position, item in enumerate(value)]
    return []


def _is_special(key: str) -> bool:
    return key.startswith(("@", "$", "#"))


def _matches(spec: dict[str, Any], key: str) -> tuple[str, tuple[str, ...]] | None:
    """The spec key that takes input ``key`` (literals before patterns, ``*`` alone last) and its captures."""
    for spec_key in spec:
        if not _is_special(spec_key) and "*" not in spec_key and key in spec_key.split("|"):
            return spec_key, (key,)
    patterned = [k for k in spec if not _is_special(k) and "*" in k]
    patterned.sort(key=lambda k: k == "*")
    for spec_key in patterned:
        for alternative in spec_key.split("|"):
            regex = _pattern(alternative)
            found = regex.match(key) if regex is not None else None
            if found is not None:
                return spec_key, (key, *found.groups())
    return None


# -- shift ----------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^(?P<name>[^\[]*)(?:\[(?P<index>[^\]]*)\])?$")


def _split_path(path: str) -> list[str]:
    """Dot-separated segments, dots inside ``@(...)`` kept."""
    segments, depth, current = [], 0, ""
    for char in path:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "." and depth == 0:
            segments.append(current)
            current = ""
        else:
            current += char
    segments.append(current)
    return segments


def _write(output: dict[str, Any], path: str, value: Any, stack: list[_Level]) -> None:
    node: Any = output
    segments = _split_path(path)
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        parsed = _SEGMENT.match(segment)
        if parsed is None:
            raise JoltRecordError(f"output path segment {segment!r} is not valid")
        name = _substitute(parsed.group("name"), stack)
        index_text = parsed.group("index")
        if name:
            if not isinstance(node, dict):
                raise JoltRecordError(f"output path {path!r} writes a key into a list")
            if index_text is None:
                if last:
                    _put(node, name, value)
                    return
                child = node.get(name)
                if not isinstance(child, dict):
                    child = node[name] = {}
                node = child
                continue
            if not isinstance(node.get(name), list):
                node[name] = [] if name not in node else [node[name]]
            node = node[name]
        elif index_text is None or not isinstance(node, list):
            raise JoltRecordError(f"output path {path!r} has an empty segment")
        if index_text == "":
            if last:
                node.append(value)
                return
            node.append({})
            node = node[-1]
            continue
        index_value = _substitute(index_text, stack)
        if not index_value.isdigit():
            raise JoltRecordError(f"output array index {index_value!r} in {path!r} is not a number")
        index = int(index_value)
        node.extend([None] * (index + 1 - len(node)))
        if last:
            node[index] = value if node[index] is None else _merged(node[index], value)
            return
        if not isinstance(node[index], dict):
            node[index] = {}
        node = node[index]


def _merged(existing: Any, value: Any) -> Any:
    if isinstance(existing, dict) and isinstance(value, dict):
        merged = dict(existing)
        for key, item in value.items():
            _put(merged, key, item)
        return merged
    return (existing if isinstance(existing, list) else [existing]) + [value]


def _put(node: dict[str, Any], key: str, value: Any) -> None:
    # Two inputs shifted to one output key make a list, as Jolt does.
    node[key] = _merged(node[key], value) if key in node else value


def _emit(target: Any, value: Any, stack: list[_Level], output: dict[str, Any]) -> None:
    for path in target if isinstance(target, list) else [target]:
        if path == "":
            continue
        _write(output, path, copy.deepcopy(value), stack)


def _shift(spec: dict[str, Any], stack: list[_Level], output: dict[str, Any]) -> None:
    here = stack[-1]
    for spec_key, target in spec.items():
        if not _is_special(spec_key):
            continue
        if spec_key.startswith("#"):
            value: Any = spec_key[1:]
        elif spec_key.startswith("$"):
            value = _substitute(spec_key, stack)
        elif spec_key == "@":
            value = here.value
        else:
            match = re.fullmatch(r"@\((\d+),([^)]*)\)|@(\d+)", spec_key)
            if match is None:
                continue
            level = int(match.group(1) or match.group(3) or 0)
            value = _lookup(_level(stack, level).value, match.group(2) or "")
        level_here = _Level(here.key, here.captures, value, here.match_index)
        if isinstance(target, dict):
            _shift(target, [*stack, level_here], output)
        else:
            _emit(target, value, [*stack, level_here], output)
    counts: dict[str, int] = {}
    if isinstance(here.value, (dict, list)):
        entries = _children(here.value)
    elif here.value is not None and stack[:-1]:
        entries = [(_as_key(here.value), None)]  # value matching: spec keys compared with the value itself
    else:
        entries = []
    for key, child in entries:
        found = _matches(spec, key)
        if found is None:
            continue
        spec_key, captures = found
        counts[spec_key] = counts.get(spec_key, -1) + 1
        matched = _Level(key, captures, child if child is not None or isinstance(here.value, (dict, list))
                         else here.value, counts[spec_key])
        target = spec[spec_key]
        if isinstance(target, dict):
            _shift(target, [*stack, matched], output)
        else:
            _emit(target, matched.value, [*stack, matched], output)


# -- default, remove, cardinality -------------------------------------------------------------------

def _targets(key: str, node: Any) -> list[str]:
    """The keys of ``node`` a default/remove/modify/cardinality spec key names."""
    existing = [k for k, _ in _children(node)]
    if "*" in key:
        regexes = [r for r in (_pattern(alt) for alt in key.split("|")) if r is not None]
        return [k for k in existing if any(r.match(k) for r in regexes)]
    return key.split("|")


def _get(node: Any, key: str) -> tuple[bool, Any]:
    if isinstance(node, dict):
        return key in node, node.get(key)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return True, node[int(key)]
    return False, None


def _set(node: Any, key: str, value: Any) -> None:
    if isinstance(node, dict):
        node[key] = value
    elif isinstance(node, list) and key.isdigit():
        index = int(key)
        node.extend([None] * (index + 1 - len(node)))
        node[index] = value


def _default(spec: dict[str, Any], node: Any) -> None:
    for raw_key, value in spec.items():
        as_list = raw_key.endswith("[]")
        key = raw_key[:-2] if as_list else raw_key
        for name in _targets(key, node):
            present, current = _get(node, name)
            if isinstance(value, dict):
                if current is None and "*" not in key:
                    current = [] if as_list else {}
                    _set(node, name, current)
                if isinstance(current, (dict, list)):
                    _default(value, current)
            elif not present or current is None:
                _set(node, name, copy.deepcopy(value))


def _remove(spec: dict[str, Any], node: Any) -> None:
    for key, value in spec.items():
        for name in _targets(key, node):
            present, current = _get(node, name)
            if not present:
                continue
            if isinstance(value, dict) and value:
                _remove(value, current)
            elif isinstance(node, dict):
                del node[name]
            elif isinstance(node, list):
                node[int(name)] = _REMOVED
        if isinstance(node, list):
            node[:] = [item for item in node if item is not _REMOVED]


_REMOVED = object()


def _cardinality(spec: dict[str, Any], node: Any) -> None:
    for key, value in spec.items():
        for name in _targets(key, node):
            present, current = _get(node, name)
            if not present:
                continue
            if isinstance(value, dict):
                if isinstance(current, (dict, list)):
                    _cardinality(value, current)
            elif value == "ONE" and isinstance(current, list):
                _set(node, name, current[0] if current else None)
            elif value == "MANY" and not isinstance(current, list):
                _set(node, name, [] if current is None else [current])


def _sorted(value: Any, depth: int = 0) -> Any:
    if depth > _MAX_DOCUMENT_DEPTH:
        raise JoltRecordError(f"the document is nested deeper than {_MAX_DOCUMENT_DEPTH} levels")
    if isinstance(value, dict):
        return {key: _sorted(value[key], depth + 1) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item, depth + 1) for item in value]
    return value


# -- modify functions -------------------------------------------------------------------------------

def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                parsed = float(value.strip())
            except ValueError:
                return None
            return parsed if math.isfinite(parsed) else None
    return None


def _to_integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _to_double(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else float(number)


def _to_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _to_string(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return _as_key(value) if not isinstance(value, float) else str(value)


def _strings(args: list[Any]) -> list[str]:
    flat: list[Any] = []
    for arg in args:
        flat += arg if isinstance(arg, list) else [arg]
    return [text for text in (_to_string(item) for item in flat) if text is not None]


def _numbers(args: list[Any]) -> list[float | int]:
    flat: list[Any] = []
    for arg in args:
        flat += arg if isinstance(arg, list) else [arg]
    return [n for n in (_number(item) for item in flat) if n is not None]


def _text(function: Callable[[str], Any]) -> Callable[[list[Any]], Any]:
    return lambda args: function(args[0]) if args and isinstance(args[0], str) else None


def _substring(args: list[Any]) -> str | None:
    if len(args) != 3 or not isinstance(args[0], str):
        return None
    start, end = _to_integer(args[1]), _to_integer(args[2])
    if start is None or end is None or not 0 <= start <= end <= len(args[0]):
        return None
    return args[0][start:end]


def _pad(left: bool) -> Callable[[list[Any]], Any]:
    def pad(args: list[Any]) -> str | None:
        if len(args) != 3:
            return None
        text, width, fill = _to_string(args[0]), _to_integer(args[1]), _to_string(args[2])
        if text is None or width is None or not fill or len(fill) != 1:
            return None
        return text.rjust(width, fill) if left else text.ljust(width, fill)

    return pad


def _divide(args: list[Any]) -> float | None:
    numbers = [_number(arg) for arg in args]
    if len(numbers) != 2 or numbers[0] is None or numbers[1] is None or numbers[1] == 0:
        return None
    return numbers[0] / numbers[1]


def _divide_and_round(args: list[Any]) -> float | None:
    digits = _to_integer(args[0]) if args else None
    quotient = _divide(args[1:])
    return None if digits is None or quotient is None else round(quotient, digits)


def _subtract(kind: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
    def subtract(args: list[Any]) -> Any:
        numbers = [_number(arg) for arg in args]
        if len(numbers) != 2 or numbers[0] is None or numbers[1] is None:
            return None
        return kind(numbers[0] - numbers[1])

    return subtract


def _sum(kind: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
    return lambda args: kind(sum(_numbers(args)))


def _element_at(args: list[Any]) -> Any:
    items = next((arg for arg in args if isinstance(arg, list)), None)
    index = next((_to_integer(arg) for arg in args if not isinstance(arg, list)), None)
    if items is None or index is None or not 0 <= index < len(items):
        return None
    return items[index]


def _size(args: list[Any]) -> int | None:
    value = args[0] if len(args) == 1 else None
    return len(value) if isinstance(value, (str, list, dict)) else None


def _squash(value: Any, deep: bool) -> Any:
    if isinstance(value, list):
        return [_squash(v, deep) if deep else v for v in value if v is not None]
    if isinstance(value, dict):
        return {k: _squash(v, deep) if deep else v for k, v in value.items() if v is not None}
    return value


def _single(function: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
    return lambda args: function(args[0]) if len(args) == 1 else None


def _kind_check(test: Callable[[Any], bool]) -> Callable[[list[Any]], Any]:
    return lambda args: args[0] if len(args) == 1 and test(args[0]) else None


FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "toUpper": _text(str.upper),
    "toLower": _text(str.lower),
    "trim": _text(str.strip),
    "concat": lambda args: "".join(_strings(args)),
    "join": lambda args: args[0].join(_strings(args[1:])) if args and isinstance(args[0], str) else None,
    "split": lambda args: re.split(args[0], args[1])
    if len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], str) else None,
    "substring": _substring,
    "leftPad": _pad(True),
    "rightPad": _pad(False),
    "toInteger": _single(_to_integer),
    "toLong": _single(_to_integer),
    "toDouble": _single(_to_double),
    "toBoolean": _single(_to_boolean),
    "toString": _single(_to_string),
    "size": _size,
    "abs": lambda args: abs(n) if len(args) == 1 and (n := _number(args[0])) is not None else None,
    "min": lambda args: min(_numbers(args), default=None),
    "max": lambda args: max(_numbers(args), default=None),
    "avg": lambda args: (sum(found) / len(found)) if (found := _numbers(args)) else None,
    "intSum": _sum(int),
    "longSum": _sum(int),
    "doubleSum": _sum(float),
    "intSubtract": _subtract(int),
    "longSubtract": _subtract(int),
    "doubleSubtract": _subtract(float),
    "divide": _divide,
    "divideAndRound": _divide_and_round,
    "firstElement": _single(lambda v: v[0] if isinstance(v, list) and v else None),
    "lastElement": _single(lambda v: v[-1] if isinstance(v, list) and v else None),
    "elementAt": _element_at,
    "toList": lambda args: (args[0] if isinstance(args[0], list) else [args[0]]) if len(args) == 1 else list(args),
    "sort": _single(lambda v: sorted(v, key=_as_key) if isinstance(v, list) else None),
    "squashNulls": _single(lambda v: _squash(v, False)),
    "recursivelySquashNulls": _single(lambda v: _squash(v, True)),
    "noop": _single(lambda v: v),
    "isPresent": _single(lambda v: v),
    "notNull": _single(lambda v: v),
    "isString": _kind_check(lambda v: isinstance(v, str)),
    "isNumber": _kind_check(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)),
    "isInteger": _kind_check(lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "isLong": _kind_check(lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "isBoolean": _kind_check(lambda v: isinstance(v, bool)),
    "isList": _kind_check(lambda v: isinstance(v, list)),
    "isMap": _kind_check(lambda v: isinstance(v, dict)),
}

_CALL = re.compile(r"^=(?P<name>[A-Za-z]+)(?:\((?P<args>.*)\))?$", re.DOTALL)


@dataclass(frozen=True)
class _Call:
    name: str
    args: tuple[str, ...] | None  # None: applied to the current value


def _split_args(text: str) -> list[str]:
    args, current, depth, quote = [], "", 0, ""
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            args.append(current.strip())
            current = ""
            continue
        current += char
    if quote:
        raise ValueError("an argument's quote is not closed")
    if current.strip() or args:
        args.append(current.strip())
    return args


def parse_call(text: str) -> _Call:
    """``=name`` or ``=name(arg, ...)``; ValueError saying what is wrong otherwise."""
    match = _CALL.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a function call like =toUpper or =concat(@(1,a),'-')")
    name = match.group("name")
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r} (supported: {', '.join(sorted(FUNCTIONS))})")
    args = match.group("args")
    return _Call(name, None if args is None else tuple(_split_args(args)))


def _argument(text: str, levels: list[Any]) -> Any:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    reference = re.fullmatch(r"@\((\d+),([^)]*)\)|@(\d*)", text)
    if reference is not None:
        up = int(reference.group(1) or reference.group(3) or 0)
        if up >= len(levels):
            return None
        return _lookup(levels[-1 - up], reference.group(2) or "")
    number = _number(text)
    return number if number is not None else text


def _modify_value(value: Any, current: Any, levels: list[Any]) -> Any:
    if isinstance(value, list):
        for option in value:
            result = _modify_value(option, current, levels)
            if result is not None:
                return result
        return None
    if isinstance(value, str) and value.startswith("="):
        call = parse_call(value)
        args = [current] if call.args is None else [_argument(arg, levels) for arg in call.args]
        return FUNCTIONS[call.name](args)
    if isinstance(value, str) and value.startswith("@"):
        return _argument(value, levels)
    return copy.deepcopy(value)


def _modify(spec: dict[str, Any], node: Any, levels: list[Any], overwrite: bool, limits: Limits) -> None:
    for key, value in spec.items():
        for name in _targets(key, node):
            present, current = _get(node, name)
            if isinstance(value, dict):
                if current is None and "*" not in key:
                    current = {}
                    _set(node, name, current)
                if isinstance(current, (dict, list)):
                    _modify(value, current, [*levels, current], overwrite, limits)
                continue
            if not overwrite and present and current is not None:
                continue
            result = _modify_value(value, current, [*levels, current])
            if isinstance(result, str) and len(result) > limits.max_record_bytes:
                raise JoltRecordError(f"{key!r} would hold {len(result)} characters, over the per-record limit "
                                      f"of {limits.max_record_bytes} bytes")
            if result is not None:
                _set(node, name, result)


# -- running ----------------------------------------------------------------------------------------

def run_operation(name: str, spec: Any, document: Any, limits: Limits) -> Any:
    """``document`` after the Jolt operation ``name`` with ``spec`` (checked by ``check_operation``).

    Raises JoltRecordError when this document cannot be transformed.
    """
    if name == SORT:
        return _sorted(document)
    if name == SHIFT:
        output: dict[str, Any] = {}
        _shift(spec, [_Level("", ("",), document, 0)], output)
        return output
    result = copy.deepcopy(document)
    if name == DEFAULT:
        _default(spec, result)
    elif name == REMOVE:
        _remove(spec, result)
    elif name == CARDINALITY:
        _cardinality(spec, result)
    else:
        _modify(spec, result, [result], name == MODIFY_OVERWRITE, limits)
    return result


# -- static checks ----------------------------------------------------------------------------------

def check_operation(index: int, name: str, spec: Any, limits: Limits) -> list[TransformSpecError]:
    """Every static mistake in one Jolt operation's ``spec`` (empty when it can run)."""
    problems: list[TransformSpecError] = []

    def fail(where: str, message: str) -> None:
        location = f".spec{where}" if where else ".spec"
        problems.append(TransformSpecError(f"transforms[{index}] ({name}){location}: {message}",
                                           operation_index=index, field="spec"))

    if name == SORT:
        if spec not in (None, {}) and not isinstance(spec, dict):
            fail("", f"must be an object (sort takes no settings), got {type(spec).__name__}")
        return problems
    if not isinstance(spec, dict):
        fail("", f"must be an object, got {type(spec).__name__}")
        return problems
    try:
        size = len(json.dumps(spec))
    except (TypeError, ValueError):
        fail("", "must be JSON")
        return problems
    if size > limits.max_spec_chars:
        fail("", f"is {size} characters, over the limit of {limits.max_spec_chars}")
        return problems

    def walk(node: dict[str, Any], where: str, depth: int) -> None:
        if depth > limits.max_spec_depth:
            fail(where, f"is nested deeper than {limits.max_spec_depth} levels")
            return
        for key, value in node.items():
            here = f"{where}[{key!r}]"
            if name == SHIFT:
                check_shift_key(key, here)
            if isinstance(value, dict):
                walk(value, here, depth + 1)
            elif name == SHIFT:
                targets = value if isinstance(value, list) else [value]
                if not targets or not all(isinstance(t, str) for t in targets):
                    fail(here, f"the output must be a path string, a list of them or an object, got {value!r}")
                else:
                    for target in targets:
                        check_path(target, here, depth + 1)
            elif name == REMOVE and value != "":
                fail(here, f"must be \"\" (remove it) or an object, got {value!r}")
            elif name == CARDINALITY and value not in ("ONE", "MANY"):
                fail(here, f"must be \"ONE\", \"MANY\" or an object, got {value!r}")
            elif name in (MODIFY_OVERWRITE, MODIFY_DEFAULT):
                for option in value if isinstance(value, list) else [value]:
                    if isinstance(option, str) and option.startswith("="):
                        try:
                            parse_call(option)
                        except ValueError as error:
                            fail(here, str(error))
            if not isinstance(value, dict):
                literal = value if isinstance(value, str) else json.dumps(value)
                if len(literal) > limits.max_literal_chars:
                    fail(here, f"a literal of {len(literal)} characters is over the limit of "
                               f"{limits.max_literal_chars}")

    def check_shift_key(key: str, here: str) -> None:
        if key.startswith("@") and key != "@" and not re.fullmatch(r"@\(\d+,[^)]*\)|@\d+", key):
            fail(here, f"key {key!r} must be @, @N or @(N,path)")
        elif key.startswith("$") and not re.fullmatch(r"\$\d*", key):
            fail(here, f"key {key!r} must be $ or $N")
        elif "&" in key and not key.startswith("#"):
            fail(here, f"key {key!r}: & references are allowed in output paths, not in input keys")

    def check_path(target: str, here: str, depth: int) -> None:
        for segment in _split_path(target) if target else []:
            parsed = _SEGMENT.match(segment)
            if parsed is None or (not parsed.group("name") and parsed.group("index") is None):
                fail(here, f"output path {target!r} has a bad segment {segment!r}")
                return
            for text in (parsed.group("name"), parsed.group("index") or ""):
                leftover = _REFERENCE.sub("", text)
                if "&" in leftover or "@" in leftover:
                    fail(here, f"output path {target!r}: a reference in {segment!r} is not &, &N, &(N,M) or @(N,path)")
                    return
                for match in _REFERENCE.finditer(text):
                    up = match.group(1) or match.group(3) or match.group(4)
                    if up and int(up) > depth:
                        fail(here, f"output path {target!r} refers {up} levels up but is only {depth} deep")
                        return

    walk(spec, "", 1)
    return problems
