"""Object-store connectors (s3, gcs, azure_blb) over local folders: credential probes, trees, samples, inputs.

Probe rules (documented in the sandbox README):
- the credential's secret must be present and non-empty: s3 `secret_access_key`; gcs one of
  `service_account_json`, `credentials_json`, `private_key`; azure_blb one of `account_key`,
  `sas_token`, `connection_string`;
- the connector root `<data_dir>/<type>/` must exist (the probe never creates it; the demo data
  generator and sinks do);
- an optional `bucket` (s3, gcs) or `container` (azure_blb) must name an existing top-level folder.
Other connector types are accepted without a connection check (`connection_verified: false`).
"""

from __future__ import annotations

import pathlib
from typing import Any

from .formats import FormatError, format_of, read_file
from .paths import OBJECT_STORE_TYPES, ConnectorPathError, connector_root, relative_name, resolve_path

SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "s3": ("secret_access_key",),
    "gcs": ("service_account_json", "credentials_json", "private_key"),
    "azure_blb": ("account_key", "sas_token", "connection_string"),
}
_BUCKET_FIELDS = ("bucket", "container")
SAMPLE_SIZE = 10


class ProbeFailure(Exception):
    """Why a credential does not connect; the message is safe to show (never contains secrets)."""


def credential_type(credential: dict) -> str:
    return str(credential.get("credentials_type") or credential.get("connector_type") or "").lower()


def check_credential(data_dir: pathlib.Path, credential: dict, secrets: dict) -> pathlib.Path:
    """Return the connector root for a valid object-store credential, else raise ProbeFailure."""
    ctype = credential_type(credential)
    fields = SECRET_FIELDS[ctype]
    if not any(str(secrets.get(name) or "").strip() for name in fields):
        names = " or ".join(f"'{name}'" for name in fields)
        raise ProbeFailure(f"{ctype} credential is missing its secret: set credentials.{names} to a non-empty value")
    root = connector_root(data_dir, ctype)
    if not root.is_dir():
        raise ProbeFailure(
            f"{ctype} storage root '{ctype}/' does not exist in the sandbox data dir; "
            "create it or write the demo data first"
        )
    public = credential.get("credentials_non_secure_data") or {}
    for field in _BUCKET_FIELDS:
        bucket = secrets.get(field) or public.get(field)
        if bucket:
            try:
                target = resolve_path(data_dir, ctype, str(bucket), field=f"credentials.{field}")
            except ConnectorPathError as exc:
                raise ProbeFailure(str(exc)) from exc
            if not target.is_dir():
                raise ProbeFailure(f"{ctype} {field} '{bucket}' does not exist under the '{ctype}/' root")
    return root


def probe(data_dir: pathlib.Path, credential: dict, secrets: dict) -> dict:
    ctype = credential_type(credential)
    if ctype not in OBJECT_STORE_TYPES:
        return {
            "status": "success",
            "message": f"the sandbox does not connect to '{ctype or 'unknown'}'; credential accepted unverified",
            "connection_verified": False,
        }
    try:
        check_credential(data_dir, credential, secrets)
    except ProbeFailure as exc:
        return {"status": "failed", "message": str(exc), "connection_verified": False}
    return {"status": "success", "message": f"connected to the {ctype} store", "connection_verified": True}


def _failed(ctype: str, message: str, key: str) -> dict:
    return {"status": "failed", "message": message, "connection_type": ctype, key: {}}


def probe_tree(data_dir: pathlib.Path, credential: dict, secrets: dict, path: str | None, depth: int) -> dict:
    """List folders and files under `path` down to `depth` levels (ProbeTreeResponse shape)."""
    ctype = credential_type(credential)
    if ctype not in OBJECT_STORE_TYPES:
        return _failed(ctype, f"probe tree is not available for '{ctype}' in the sandbox", "object")
    if depth < 1:
        return _failed(ctype, "depth must be 1 or more", "object")
    try:
        check_credential(data_dir, credential, secrets)
        start = resolve_path(data_dir, ctype, path)
    except (ProbeFailure, ConnectorPathError) as exc:
        return _failed(ctype, str(exc), "object")
    if not start.is_dir():
        return _failed(ctype, f"path '{path}' is not a folder in the {ctype} store", "object")
    tree = _tree(data_dir, ctype, start, depth)
    return {"status": "ok", "message": f"{len(tree)} entries", "connection_type": ctype, "object": {"tree": tree}}


def _tree(data_dir: pathlib.Path, ctype: str, folder: pathlib.Path, depth: int) -> list[dict]:
    entries: list[dict] = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            continue
        name = relative_name(data_dir, ctype, child)
        if child.is_dir():
            node: dict[str, Any] = {"name": child.name, "type": "folder", "path": name + "/", "children": []}
            if depth > 1:
                node["children"] = _tree(data_dir, ctype, child, depth - 1)
            entries.append(node)
        else:
            entries.append({"name": child.name, "type": "file", "path": name, "size": child.stat().st_size})
    return entries


def probe_sample(data_dir: pathlib.Path, credential: dict, secrets: dict, path: str | None) -> dict:
    """Read up to ten records from the file at `path` (or the first data file under it)."""
    ctype = credential_type(credential)
    if ctype not in OBJECT_STORE_TYPES:
        return _failed(ctype, f"probe sample is not available for '{ctype}' in the sandbox", "output")
    try:
        check_credential(data_dir, credential, secrets)
        target = resolve_path(data_dir, ctype, path)
    except (ProbeFailure, ConnectorPathError) as exc:
        return _failed(ctype, str(exc), "output")
    files = input_files(target)
    if not files:
        return _failed(ctype, f"no data files under '{path or ''}' in the {ctype} store", "output")
    try:
        result = read_file(files[0])
    except (FormatError, OSError) as exc:
        return _failed(ctype, f"cannot read {relative_name(data_dir, ctype, files[0])}: {exc}", "output")
    table = result.table.slice(0, SAMPLE_SIZE)
    fields = [{"name": field.name, "type": str(field.type)} for field in table.schema]
    return {
        "status": "ok",
        "message": f"sampled {relative_name(data_dir, ctype, files[0])}",
        "connection_type": ctype,
        "output": {"sample_data": table.to_pylist(), "schema": {"fields": fields}},
    }


def input_files(target: pathlib.Path, file_format: str | None = None) -> list[pathlib.Path]:
    """Data files at `target` (a file, or every data file below a folder), in name order.

    Hidden files (a leading dot, used for partial writes) are skipped; without `file_format`, only
    files whose extension names a supported format are taken.
    """
    if target.is_file():
        return [target]
    if not target.is_dir():
        return []
    found = []
    for candidate in sorted(target.rglob("*")):
        if not candidate.is_file() or any(part.startswith(".") for part in candidate.relative_to(target).parts):
            continue
        if file_format or format_of(candidate):
            found.append(candidate)
    return found
