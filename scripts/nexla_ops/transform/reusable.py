"""Translate a reusable (JOLT-style) transform's ``code`` into an engine transform object."""

from __future__ import annotations

from typing import Any

from .errors import TransformSpecError

_WILDCARDS = ("*", "&", "@", "$", "#", "[")


def from_reusable(code: list[dict]) -> dict:
    """``{"version": 1, "operations": [...]}`` for the JOLT ops ``shift``, ``remove`` and ``default``.

    - ``shift`` maps input paths to output names: ``{"old": "new"}`` or nested ``{"customer":
      {"email": "email"}}`` becomes a rename of ``customer.email``. ``"*": "&"`` at the top level keeps
      every other field; without it only the shifted fields are kept (a select), as JOLT does.
    - ``remove`` ``{"ssn": "", "customer": {"dob": ""}}`` drops ``ssn`` and ``customer.dob``.
    - ``default`` ``{"field": value}`` fills missing or null fields.
    Other JOLT features (wildcards elsewhere, ``&1``, ``@``, ``$``, arrays) raise TransformSpecError.
    """
    if not isinstance(code, list):
        raise TransformSpecError(f"reusable transform code must be a list of operations, got {type(code).__name__}")
    operations: list[dict] = []
    for index, op in enumerate(code):
        if not isinstance(op, dict) or not isinstance(op.get("spec"), dict):
            raise TransformSpecError(
                f"code[{index}]: expected {{\"operation\": ..., \"spec\": {{...}}}}", operation_index=index
            )
        name = op.get("operation")
        spec = op["spec"]
        if name == "shift":
            passthrough = spec.get("*") == "&"
            mapping = _shift_paths({k: v for k, v in spec.items() if k != "*" or not passthrough}, "", index)
            renames = {source: target for source, target in mapping.items() if source != target}
            if renames:
                operations.append({"operation": "rename", "fields": renames})
            if not passthrough:
                operations.append({"operation": "select", "fields": list(mapping.values())})
        elif name == "remove":
            operations.append({"operation": "drop", "fields": _remove_paths(spec, "", index)})
        elif name == "default":
            operations.append({"operation": "default", "values": dict(spec)})
        else:
            raise TransformSpecError(
                f"code[{index}]: JOLT operation {name!r} is not supported by the local engine "
                "(supported: shift, remove, default)",
                operation_index=index,
            )
    return {"version": 1, "operations": operations}


def _check_key(key: str, index: int) -> None:
    if any(mark in key for mark in _WILDCARDS):
        raise TransformSpecError(
            f"code[{index}]: JOLT key {key!r} uses a wildcard or reference the local engine does not support",
            operation_index=index,
        )


def _shift_paths(spec: dict[str, Any], prefix: str, index: int) -> dict[str, str]:
    paths: dict[str, str] = {}
    for key, target in spec.items():
        _check_key(key, index)
        path = f"{prefix}{key}"
        if isinstance(target, dict):
            paths.update(_shift_paths(target, path + ".", index))
        elif isinstance(target, str) and target and not any(m in target for m in _WILDCARDS if m != "&"):
            paths[path] = key if target == "&" else target
        else:
            raise TransformSpecError(
                f"code[{index}]: shift target {target!r} for {path!r} is not supported (use a field name)",
                operation_index=index,
            )
    return paths


def _remove_paths(spec: dict[str, Any], prefix: str, index: int) -> list[str]:
    paths: list[str] = []
    for key, value in spec.items():
        _check_key(key, index)
        if isinstance(value, dict) and value:
            paths += _remove_paths(value, f"{prefix}{key}.", index)
        else:
            paths.append(f"{prefix}{key}")
    return paths
