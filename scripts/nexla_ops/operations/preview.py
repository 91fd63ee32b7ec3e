"""Preview what a credential can reach before any source exists: the files at a path and sample records.

Two probe calls on the credential: ``POST /data_credentials/{id}/probe/tree`` ``{depth, path}``
lists folders and files, then ``POST .../probe/sample`` ``{path}`` reads records. When the path
is a folder, the first file the tree lists is sampled, so the sample always names its file.

Probe answers come in more than one shape (the OpenAPI's ``output.response`` with ``columns`` and
``data`` or a text body; nested name maps or entry lists for trees; ``output.sample_data``); each is
read here into one :class:`PreviewResult`. A probe the API refuses (``status: failed``, or 400/403/422)
raises :class:`ProbeFailedError`: the preview is a check, so a failure is never a result. Both probes
are retried like reads (they change nothing); a temporary failure that outlasts the retries is raised
as the client's retryable error. ``validate_deployment`` reads its samples through this function.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.errors import ExitCode, NexlaError
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient

MAX_ENTRIES = 200
_OK = ("ok", "success")


class ProbeFailedError(NexlaError):
    """The API could not list or read with the credential (path missing, no files, bad secret)."""

    default_exit_code = ExitCode.CHECK_FAILED
    default_hint = "Check the path (relative to the bucket or root) and that the credential probes OK (probe_credential)."


class PreviewRequest(BaseModel):
    """What to look at."""

    credential_id: int = Field(ge=1)
    path: str | None = Field(default=None, description="Folder or file, relative to the connector's root.")
    depth: int = Field(default=1, ge=1, le=5)
    sample_size: int = Field(default=5, ge=0, le=100, description="0 lists files only.")


class PreviewEntry(BaseModel):
    path: str
    type: Literal["file", "folder"]
    size: int | None = None


class PreviewResult(BaseModel):
    """Files under the path; records of one."""

    credential_id: int
    connection_type: str | None = None
    path: str | None = None
    entries: list[PreviewEntry]
    truncated: bool = False
    sampled_file: str | None = None
    fields: dict[str, str] = Field(default_factory=dict, description="field -> type")
    records: list[dict[str, Any]] = Field(default_factory=list)


# Real Nexla (and the sandbox) answer a failed probe with an error status: 400, or 403 with a message.
_PROBE_FAILURES = (400, 403, 422)


async def _probe(client: AsyncNexlaClient, path: str, body: dict[str, Any], what: str,
                 request: PreviewRequest) -> dict[str, Any]:
    try:
        # Probe tree/sample only read, so a lost answer may be asked again like a GET's.
        reply = await client.post(path, json=body, replay_safe=True)
    except NexlaError as error:
        if error.status not in _PROBE_FAILURES:
            raise
        raise ProbeFailedError(f"probe {what} failed for credential {request.credential_id}: {error.message}",
                               status=error.status, resource_type="data_credentials",
                               resource_id=request.credential_id) from None
    return _check(reply, what, request)


def _check(body: Any, what: str, request: PreviewRequest) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ProbeFailedError(f"unexpected probe {what} reply", resource_type="data_credentials",
                               resource_id=request.credential_id)
    status = str(body.get("status") or "ok").lower()
    if status not in _OK:
        raise ProbeFailedError(
            f"probe {what} failed for credential {request.credential_id}: {body.get('message') or status}",
            resource_type="data_credentials", resource_id=request.credential_id,
        )
    return body


def _flatten(node: Any, prefix: str, out: list[PreviewEntry]) -> None:
    """Entries of a tree in either shape: a list of ``{name, type, path, children}`` or nested name maps."""
    if isinstance(node, list):
        for item in node:
            if not isinstance(item, dict):
                continue
            path = str(item.get("path") or prefix + str(item.get("name", "")))
            folder = item.get("type") in ("folder", "directory", "dir") or "children" in item
            out.append(PreviewEntry(path=path, type="folder" if folder else "file",
                                    size=item.get("size") if isinstance(item.get("size"), int) else None))
            _flatten(item.get("children") or [], path.rstrip("/") + "/", out)
    elif isinstance(node, dict):
        for name, child in sorted(node.items()):
            if isinstance(child, dict) and child:
                out.append(PreviewEntry(path=f"{prefix}{name}/", type="folder"))
                _flatten(child, f"{prefix}{name}/", out)
            else:
                out.append(PreviewEntry(path=f"{prefix}{name}", type="file",
                                        size=child if isinstance(child, int) and not isinstance(child, bool) else None))


def _tree_entries(body: dict[str, Any], path: str | None) -> list[PreviewEntry]:
    root = body.get("object", body.get("output", {}))
    if isinstance(root, dict) and "tree" in root:
        root = root["tree"]
    entries: list[PreviewEntry] = []
    base = (path or "").strip("/")
    _flatten(root, f"{base}/" if base else "", entries)
    return entries


def _records(output: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Records and field types from a probe/sample ``output`` in any of its shapes."""
    if not isinstance(output, dict):
        return [], {}
    if isinstance(output.get("sample_data"), list):
        fields = {
            str(f.get("name")): str(f.get("type"))
            for f in (output.get("schema") or {}).get("fields", [])
            if isinstance(f, dict)
        }
        return [r for r in output["sample_data"] if isinstance(r, dict)], fields
    response = output.get("response")
    if isinstance(response, dict) and isinstance(response.get("data"), list):
        columns = [str(c) for c in response.get("columns") or []]
        return [r for r in response["data"] if isinstance(r, dict)], {c: "unknown" for c in columns}
    if isinstance(response, str):
        return _parse_text(response), {}
    return [], {}


def _parse_text(text: str) -> list[dict[str, Any]]:
    """A text sample body: a JSON array or object, or one JSON object per line; other text gives nothing."""
    try:
        parsed = json.loads(text)
    except ValueError:
        try:
            parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            return []
    if isinstance(parsed, dict):
        parsed = [parsed]
    return [row for row in parsed if isinstance(row, dict)] if isinstance(parsed, list) else []


def _field_types(records: list[dict[str, Any]]) -> dict[str, str]:
    types: dict[str, str] = {}
    for record in records:
        for key, value in record.items():
            types.setdefault(key, type(value).__name__ if value is not None else "null")
    return types


async def preview_source(
    client: AsyncNexlaClient, request: PreviewRequest, progress: ProgressCallback = no_progress
) -> PreviewResult:
    """List what ``request.path`` holds with the credential and sample records from it."""
    base = f"/data_credentials/{request.credential_id}/probe"
    tree_body: dict[str, Any] = {"depth": request.depth}
    if request.path:
        tree_body["path"] = request.path
    entries: list[PreviewEntry] = []
    connection_type: str | None = None
    try:
        tree = await _probe(client, f"{base}/tree", tree_body, "tree", request)
        connection_type = tree.get("connection_type")
        entries = _tree_entries(tree, request.path)
    except ProbeFailedError:
        # A file path is not a folder: the tree refuses it, the sample below still reads it.
        if not request.path or request.path.endswith("/"):
            raise
    await progress(ProgressEvent(step="tree", message=f"{len(entries)} entries under {request.path or '/'}"))
    result = PreviewResult(
        credential_id=request.credential_id, connection_type=connection_type, path=request.path,
        entries=entries[:MAX_ENTRIES], truncated=len(entries) > MAX_ENTRIES,
    )
    if request.sample_size == 0:
        return result
    files = [entry.path for entry in entries if entry.type == "file"]
    target = files[0] if files else request.path
    if target is None or (not files and entries):
        return result
    sample = await _probe(client, f"{base}/sample", {"path": target}, "sample", request)
    records, fields = _records(sample.get("output"))
    records = records[: request.sample_size]
    result.connection_type = result.connection_type or sample.get("connection_type")
    result.sampled_file = target
    result.records = records
    result.fields = fields or _field_types(records)
    await progress(ProgressEvent(step="sample", message=f"{len(records)} record(s) from {target}"))
    return result


__all__ = ["PreviewEntry", "PreviewRequest", "PreviewResult", "ProbeFailedError", "preview_source"]
