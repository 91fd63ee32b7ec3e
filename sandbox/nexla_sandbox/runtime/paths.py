"""Where object-store connectors live on disk: `<data_dir>/<type>/<path>`, never outside that root."""

from __future__ import annotations

import pathlib
import re

OBJECT_STORE_TYPES: tuple[str, ...] = ("s3", "gcs", "azure_blb")
"""Connector types the sandbox serves from local folders."""

WEBHOOK_TYPE = "nexla_rest"

_SCHEME = re.compile(r"^(s3|gs|gcs|az|abfs|wasbs?)://", re.IGNORECASE)


class ConnectorPathError(ValueError):
    """A connector path that would leave the connector's root (absolute, `..`, or malformed)."""


def connector_root(data_dir: pathlib.Path, connector_type: str) -> pathlib.Path:
    """The folder standing in for every bucket of `connector_type`."""
    return pathlib.Path(data_dir) / connector_type


def resolve_path(data_dir: pathlib.Path, connector_type: str, path: str | None, *, field: str = "path",
                 root_allowed: bool = False) -> pathlib.Path:
    """Map a connector's `path` (e.g. `ingest/orders/`) to a folder or file under the connector root.

    A bucket URL prefix (`s3://`) is accepted and dropped. Absolute paths and `..` segments are refused with
    a `ConnectorPathError` naming `field`, so no configuration can read or write outside the root.
    """
    parts = path_parts(path, field=field, root_allowed=root_allowed)
    root = connector_root(data_dir, connector_type)
    return root.joinpath(*parts) if parts else root


def path_parts(path: object, *, field: str = "path", root_allowed: bool = False) -> list[str]:
    """The segments of a connector path, or ConnectorPathError naming `field` when it is not a safe relative path.

    Refused: a non-string, a NUL byte, an absolute path, a `..` segment. With `root_allowed`, `/` alone
    names the connector root (what a probe of the bucket's top level sends).
    """
    if path is None:
        return []
    if not isinstance(path, str):
        raise ConnectorPathError(f"{field} must be a string; got {type(path).__name__}")
    if "\x00" in path:
        raise ConnectorPathError(f"{field} must not contain a NUL byte")
    text = _SCHEME.sub("", path.strip())
    if root_allowed and text.strip("/") == "":
        return []
    if text.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", text):
        raise ConnectorPathError(f"{field} must be relative to the connector root; got absolute path {path!r}")
    parts = [part for part in re.split(r"[\\/]+", text) if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise ConnectorPathError(f"{field} must not contain '..' segments; got {path!r}")
    return parts


def relative_name(data_dir: pathlib.Path, connector_type: str, target: pathlib.Path) -> str:
    """The connector-relative, forward-slash name of `target` (what probes and metrics report)."""
    return target.relative_to(connector_root(data_dir, connector_type)).as_posix()


def inbox_dir(data_dir: pathlib.Path, source_id: int) -> pathlib.Path:
    """Folder of the batches pushed to a webhook source, one file per accepted request."""
    return pathlib.Path(data_dir) / WEBHOOK_TYPE / f"source-{source_id}"
