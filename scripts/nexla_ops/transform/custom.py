"""``nexla.custom`` scripts: static checks always, python runs only in a bounded child process.

A script is code chosen by whoever wrote the transform, so it never runs inside the engine's
process. When ``Limits.run_scripts`` is on, a python script runs in a fresh interpreter
(``python -I``, empty environment, a temporary working folder) that caps its own address space
and CPU time before the script is loaded, and the parent kills it at the wall-clock limit. That
bounds the work; it is not a security boundary, which is why running is off unless the operator
turns it on. JavaScript scripts are checked for shape only and never run here.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from .errors import TransformSpecError
from .limits import RUN_SCRIPTS_VARIABLE, Limits

CUSTOM = "nexla.custom"
LANGUAGES = ("python", "python3", "javascript")

# The child reads {"script", "records", "args", "memory", "seconds"} on stdin and writes one JSON
# result per record: {"records": [...]} or {"error": "..."}. The script's own prints go to stderr.
_HARNESS = r"""
import json, resource, sys
job = json.loads(sys.stdin.read())
resource.setrlimit(resource.RLIMIT_AS, (job["memory"], job["memory"]))
resource.setrlimit(resource.RLIMIT_CPU, (job["seconds"], job["seconds"]))
out, sys.stdout = sys.stdout, sys.stderr
scope = {"__name__": "nexla_custom"}
try:
    exec(compile(job["script"], "<nexla.custom>", "exec"), scope)
except BaseException as error:
    out.write(json.dumps({"fatal": f"the script failed to load: {type(error).__name__}: {error}"}) + "\n")
    raise SystemExit(0)
for record in job["records"]:
    try:
        result = scope["transform"](record, {}, job["args"])
        if result is None:
            result = []
        elif isinstance(result, dict):
            result = [result]
        elif not (isinstance(result, list) and all(isinstance(item, dict) for item in result)):
            raise TypeError(f"transform() must return an object, a list of objects or None, got {type(result).__name__}")
        out.write(json.dumps({"records": result}, default=str) + "\n")
    except Exception as error:
        out.write(json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")
out.flush()
"""


@dataclass(frozen=True)
class CustomScript:
    language: str
    source: str


def check_custom(index: int, spec: Any, limits: Limits) -> tuple[CustomScript | None, list[TransformSpecError]]:
    """The decoded script and every static mistake in a ``nexla.custom`` operation's ``spec``."""
    problems: list[TransformSpecError] = []

    def fail(key: str, message: str) -> None:
        problems.append(TransformSpecError(f"transforms[{index}] ({CUSTOM}).spec.{key}: {message}",
                                           operation_index=index, field=f"spec.{key}"))

    if not isinstance(spec, dict):
        problems.append(TransformSpecError(
            f"transforms[{index}] ({CUSTOM}).spec: must be an object {{language, encoding, script}}",
            operation_index=index, field="spec"))
        return None, problems
    language = spec.get("language")
    if language not in LANGUAGES:
        fail("language", f"must be one of {', '.join(LANGUAGES)}, got {language!r}")
    encoding = spec.get("encoding", "base64")
    if encoding not in ("base64", None, "none"):
        fail("encoding", f"must be \"base64\", got {encoding!r}")
    script = spec.get("script")
    if not isinstance(script, str) or not script:
        fail("script", "must be the script text (base64 encoded when encoding is base64)")
        return None, problems
    if len(script) > limits.max_spec_chars:
        fail("script", f"is {len(script)} characters, over the limit of {limits.max_spec_chars}")
        return None, problems
    source = script
    if encoding == "base64":
        try:
            source = base64.b64decode(script, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            fail("script", "is not valid base64 of UTF-8 text")
            return None, problems
    if language in ("python", "python3"):
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            fail("script", f"python syntax error at line {error.lineno}: {error.msg}")
            return None, problems
        function = next((node for node in tree.body if isinstance(node, ast.FunctionDef)
                         and node.name == "transform"), None)
        if function is None:
            fail("script", "must define transform(input, metadata, args)")
        elif len(function.args.args) + len(function.args.posonlyargs) != 3 and function.args.vararg is None:
            fail("script", f"transform() must take (input, metadata, args), it takes "
                           f"{len(function.args.args) + len(function.args.posonlyargs)} argument(s)")
    if problems or not isinstance(language, str):
        return None, problems
    return CustomScript(language, source), problems


def refusal(index: int, script: CustomScript, limits: Limits) -> str | None:
    """Why this script will not run here, or None when it will."""
    label = f"transforms[{index}] ({CUSTOM})"
    if script.language == "javascript":
        return f"{label}: javascript scripts are not run by the local engine (real Nexla runs them)"
    if not limits.run_scripts:
        return (f"{label}: python scripts are not run by the local engine unless the operator sets "
                f"{RUN_SCRIPTS_VARIABLE}=1 (each batch then runs in a separate process limited to "
                f"{limits.script_seconds:g} s and {limits.script_memory_bytes // 1_048_576} MiB)")
    return None


def run_custom(index: int, script: CustomScript, records: list[Any], args: Any,
               limits: Limits) -> list[list[dict[str, Any]] | str]:
    """Per record, the records the script returned or an error message.

    Raises TransformSpecError when the script cannot run at all (refused, does not load, killed at
    its time or memory limit).
    """
    label = f"transforms[{index}] ({CUSTOM})"
    why = refusal(index, script, limits)
    if why is not None:
        raise TransformSpecError(why, operation_index=index, field="spec")
    if not records:
        return []
    job = json.dumps({"script": script.source, "records": records, "args": args if args is not None else {},
                      "memory": limits.script_memory_bytes, "seconds": max(1, math.ceil(limits.script_seconds))},
                     default=str)
    with tempfile.TemporaryDirectory(prefix="nexla-custom-") as folder:
        try:
            done = subprocess.run([sys.executable, "-I", "-c", _HARNESS], input=job, capture_output=True,
                                  text=True, timeout=limits.script_seconds, env={}, cwd=folder, check=False)
        except subprocess.TimeoutExpired:
            raise TransformSpecError(f"{label}: the script ran longer than its limit of {limits.script_seconds:g} s",
                                     operation_index=index) from None
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if lines and "fatal" in lines[0]:
        raise TransformSpecError(f"{label}: {lines[0]['fatal']}", operation_index=index)
    if len(lines) != len(records):
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise TransformSpecError(f"{label}: the script stopped after {len(lines)} of {len(records)} record(s) "
                                 f"(over its memory or CPU limit?): {tail[0][:300]}", operation_index=index)
    return [line["records"] if "records" in line else str(line["error"]) for line in lines]
