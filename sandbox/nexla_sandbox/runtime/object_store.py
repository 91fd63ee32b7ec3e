"""Object-store connectors (s3, gcs, azure_blb) over local folders: credential probes, trees, samples, inputs.

Probe rules (documented in the sandbox README):
- the credential's secret must be present and non-empty: s3 `secret_access_key`; gcs one of
  `service_account_json`, `credentials_json`, `private_key`; azure_blb one of `account_key`,
  `sas_token`, `connection_string`;
- the connector root `<data_dir>/<type>/` must exist (the probe never creates it; the demo data
  generator and sinks do);
- an optional `bucket` (s3, gcs) or `container` (azure_blb) must name an existing top-level folder.
Other connector types are accepted without a connection check (`connection_verified: false`).
A credential that does not connect raises ProbeFailure (the API answers 403 `{status, message}`);
a path that cannot be probed raises ProbeArgumentError (400 naming the field). `/` is the root.
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


class ProbeArgumentError(ValueError):
    """A probe request naming a path that cannot be probed; ``field`` names the argument."""

    def __init__(self, message: str, field: str = "path") -> None:
        super().__init__(message)
        self.field = field


def probe(data_dir: pathlib.Path, credential: dict, secrets: dict) -> dict:
    """The probe ``output`` of a credential that connects; ProbeFailure when it does not."""
    ctype = credential_type(credential)
    if ctype not in OBJECT_STORE_TYPES:
        return {"connection_verified": False,
                "message": f"the sandbox does not connect to '{ctype or 'unknown'}'; credential accepted unverified"}
    check_credential(data_dir, credential, secrets)
    return {"connection_verified": True, "message": f"connected to the {ctype} store"}


def _object_store(ctype: str, what: str) -> None:
    if ctype not in OBJECT_STORE_TYPES:
        raise ProbeArgumentError(f"probe {what} is not available for '{ctype}' in the sandbox", "credentials_type")


def probe_tree(data_dir: pathlib.Path, credential: dict, secrets: dict, path: str | None, depth: int) -> dict:
    """Folders and files under `path` (``/`` = the root) down to `depth` levels, as a probe tree answer."""
    ctype = credential_type(credential)
    _object_store(ctype, "tree")
    check_credential(data_dir, credential, secrets)
    try:
        start = resolve_path(data_dir, ctype, path, root_allowed=True)
    except ConnectorPathError as exc:
        raise ProbeArgumentError(str(exc)) from exc
    if not start.is_dir():
        raise ProbeArgumentError(f"path '{path}' is not a folder in the {ctype} store")
    tree = {"tree": _tree(data_dir, ctype, start, depth)}
    # Nexla documents the listing under `output`; nexla-sdk 1.0.8's ProbeTreeResponse requires `object`.
    return {"status": "ok", "message": "Ok", "connection_type": ctype, "output": tree, "object": tree}


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
    """Up to ten records of the file at `path` (or the first data file under it), as a probe sample answer."""
    ctype = credential_type(credential)
    _object_store(ctype, "sample")
    check_credential(data_dir, credential, secrets)
    try:
        target = resolve_path(data_dir, ctype, path, root_allowed=True)
    except ConnectorPathError as exc:
        raise ProbeArgumentError(str(exc)) from exc
    files = input_files(target)
    if not files:
        raise ProbeArgumentError(f"no data files under '{path or ''}' in the {ctype} store")
    try:
        result = read_file(files[0])
    except (FormatError, OSError) as exc:
        raise ProbeArgumentError(f"cannot read {relative_name(data_dir, ctype, files[0])}: {exc}") from exc
    table = result.table.slice(0, SAMPLE_SIZE)
    return {"status": "ok", "message": "Ok", "connection_type": ctype,
            "output": {"contentType": "application/json", "statusCode": 200,
                       "file": relative_name(data_dir, ctype, files[0]),
                       "response": {"columns": table.schema.names, "data": table.to_pylist()}}}


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
