"""The official Nexla transform format: recognise it, check it whole, run it record by record.

Real Nexla stores ``{version, data_maps, transforms: [operation, ...], custom_config}`` where each
operation is a standard Jolt operation or ``nexla.custom``. The same list also arrives bare (a raw
Jolt spec) or as a reusable transform's ``{code, code_type}``. ``official_form`` turns any of those
into one ``OfficialTransform``; the authoring form (``{"operations": [...]}``) is not official and
gives None.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import jolt
from .custom import CUSTOM, CustomScript, check_custom, run_custom
from .errors import TransformSpecError, TransformSpecErrors
from .limits import Deadline, Limits, TransformLimitError

OFFICIAL_OPERATIONS = (*jolt.JOLT_OPERATIONS, CUSTOM)
CODE_TYPES = ("jolt_standard", "jolt_custom")
_OBJECT_KEYS = ("version", "data_maps", "transforms", "custom_config", "description")


@dataclass(frozen=True)
class OfficialTransform:
    """A transform in the format real Nexla documents; ``as_body()`` is what goes in a nexset's ``transform``."""

    transforms: list[dict[str, Any]]
    version: int = 1
    data_maps: list[Any] = field(default_factory=list)
    custom_config: dict[str, Any] = field(default_factory=dict)

    def as_body(self) -> dict[str, Any]:
        return {"version": self.version, "data_maps": list(self.data_maps), "transforms": list(self.transforms),
                "custom_config": dict(self.custom_config)}


def is_authoring(spec: Any) -> bool:
    """Whether ``spec`` is the authoring form ``{"version": 1, "operations": [...]}``."""
    return isinstance(spec, dict) and "operations" in spec and "transforms" not in spec and "code" not in spec


def official_form(spec: Any) -> OfficialTransform | None:
    """The official transform ``spec`` stands for (None for the authoring form).

    Raises TransformSpecError when ``spec`` is none of the accepted shapes; the operations inside are
    not checked here (``check_official`` does that).
    """
    if isinstance(spec, list):
        return OfficialTransform(transforms=spec)
    if not isinstance(spec, dict):
        raise TransformSpecError(
            "transform must be an object {version, data_maps, transforms: [...], custom_config}, a Jolt list "
            f"[{{\"operation\": ..., \"spec\": ...}}], or {{\"version\": 1, \"operations\": [...]}}; got {type(spec).__name__}"
        )
    if is_authoring(spec):
        return None
    if "code" in spec:
        code_type = spec.get("code_type", "jolt_standard")
        if code_type not in CODE_TYPES:
            raise TransformSpecError(f"code_type must be one of {', '.join(CODE_TYPES)}, got {code_type!r}",
                                     field="code_type")
        code = spec["code"]
        if isinstance(code, dict) and is_authoring(code):
            return None
        return official_form(code)
    if "transforms" in spec:
        unknown = sorted(set(spec) - set(_OBJECT_KEYS))
        if unknown:
            raise TransformSpecError(
                f"transform has unknown key(s) {', '.join(map(repr, unknown))} (allowed: {', '.join(_OBJECT_KEYS[:4])})",
                field=unknown[0])
        transforms = spec["transforms"]
        if not isinstance(transforms, list):
            raise TransformSpecError(f"'transforms' must be a list of operations, got {type(transforms).__name__}",
                                     field="transforms")
        version = spec.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int):
            raise TransformSpecError(f"'version' must be an integer, got {version!r}", field="version")
        data_maps = spec.get("data_maps") or []
        if not isinstance(data_maps, list):
            raise TransformSpecError(f"'data_maps' must be a list, got {type(data_maps).__name__}", field="data_maps")
        custom_config = spec.get("custom_config") or {}
        if not isinstance(custom_config, dict):
            raise TransformSpecError(f"'custom_config' must be an object, got {type(custom_config).__name__}",
                                     field="custom_config")
        return OfficialTransform(transforms, version, data_maps, custom_config)
    if "operation" in spec and "spec" in spec:
        return OfficialTransform(transforms=[spec])
    raise TransformSpecError(
        "transform needs 'transforms' (the official format), 'operations' (the authoring format) or 'code' "
        f"(a reusable transform); got keys {', '.join(map(repr, sorted(spec))) or 'none'}"
    )


@dataclass(frozen=True)
class _Step:
    index: int
    name: str
    spec: Any
    script: CustomScript | None = None


def check_official(form: OfficialTransform, limits: Limits) -> tuple[list[_Step], list[TransformSpecError]]:
    """The runnable steps and every static mistake of ``form`` (all of them, not the first)."""
    steps: list[_Step] = []
    problems: list[TransformSpecError] = []
    for index, raw in enumerate(form.transforms):
        if not isinstance(raw, dict):
            problems.append(TransformSpecError(
                f"transforms[{index}]: must be an object {{\"operation\": ..., \"spec\": ...}}, got {type(raw).__name__}",
                operation_index=index))
            continue
        name = raw.get("operation")
        if name not in OFFICIAL_OPERATIONS:
            problems.append(TransformSpecError(
                f"transforms[{index}]: unknown operation {name!r} (supported: {', '.join(OFFICIAL_OPERATIONS)})",
                operation_index=index, field="operation"))
            continue
        extra = sorted(set(raw) - {"operation", "spec", "description"})
        if extra:
            problems.append(TransformSpecError(
                f"transforms[{index}] ({name}): unknown key {extra[0]!r} (allowed: operation, spec)",
                operation_index=index, field=extra[0]))
        if "spec" not in raw and name != jolt.SORT:
            problems.append(TransformSpecError(f"transforms[{index}] ({name}): missing required key 'spec'",
                                               operation_index=index, field="spec"))
            continue
        if name == CUSTOM:
            script, found = check_custom(index, raw["spec"], limits)
            problems += found
            if script is not None:
                steps.append(_Step(index, name, raw["spec"], script))
            continue
        found = jolt.check_operation(index, name, raw.get("spec"), limits)
        problems += found
        if not found:
            steps.append(_Step(index, name, raw.get("spec")))
    return steps, problems


def checked_steps(form: OfficialTransform, limits: Limits) -> list[_Step]:
    steps, problems = check_official(form, limits)
    if problems:
        raise TransformSpecErrors(problems)
    return steps


@dataclass
class OfficialRun:
    """Output records, and per step: (index, name, records in, records out, failures)."""

    records: list[dict[str, Any]]
    errors: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    counts: list[tuple[int, str, int, int, int]] = field(default_factory=list)


def _size(document: Any) -> int:
    return len(json.dumps(document, default=str))


def run_official(form: OfficialTransform, records: list[dict[str, Any]], limits: Limits,
                 deadline: Deadline) -> OfficialRun:
    """Run every step over ``records`` (JSON-safe dicts); a record a step cannot handle is set aside."""
    steps = checked_steps(form, limits)
    run = OfficialRun(records=records)
    for step in steps:
        label = f"transforms[{step.index}] ({step.name})"
        records_in = len(run.records)
        kept: list[dict[str, Any]] = []
        failures = 0
        if step.script is not None:
            outcomes = run_custom(step.index, step.script, run.records, form.custom_config, limits)
            deadline.check(label, step.index)
        else:
            outcomes = []
            for position, record in enumerate(run.records):
                if position % 64 == 0:
                    deadline.check(label, step.index)
                try:
                    outcomes.append([jolt.run_operation(step.name, step.spec, record, limits)])
                except jolt.JoltRecordError as error:
                    outcomes.append(str(error))
        batch = 0
        for record, outcome in zip(run.records, outcomes):
            message = outcome if isinstance(outcome, str) else None
            if message is None:
                for item in outcome:
                    size = _size(item)
                    if not isinstance(item, dict):
                        message = f"the output is a {type(item).__name__}, not an object"
                    elif size > limits.max_record_bytes:
                        message = (f"the output record is {size} bytes, over the per-record limit of "
                                   f"{limits.max_record_bytes} bytes")
                    batch += size
            if message is not None:
                failures += 1
                run.errors.append((step.index, step.name, message, record))
            elif not isinstance(outcome, str):
                kept += outcome
            if batch > limits.max_batch_bytes:
                raise TransformLimitError(f"{label}: the output batch is over the limit of "
                                          f"{limits.max_batch_bytes} bytes", operation_index=step.index)
        run.records = kept
        run.counts.append((step.index, step.name, records_in, len(kept), failures))
    return run

