"""What a credential rotation keeps: the old credential's accessors, and the field names old vs new.

Rotation creates a new credential; without this, the teams and users the old one was shared with
lose it. :func:`copy_accessors` grants the new credential every accessor of the old one (with the
same roles) right after it is created, so the switch never leaves anyone without access;
:func:`rotation_diff` is what the dry run shows: field names and accessors, old vs new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from nexla_ops.operations.access import list_access
from nexla_ops.resources import ResourceKind

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient


class RotationDiff(BaseModel):
    """Field names and accessors, old vs new."""

    fields_old: list[str]
    fields_new: list[str]
    accessors_old: list[str]
    accessors_new: list[str]


async def _accessors(client: AsyncNexlaClient, credential_id: int) -> list[dict[str, Any]]:
    """Request entries (type, id or identifier, roles) for every accessor of a credential."""
    listed = await list_access(client, ResourceKind.CREDENTIALS, credential_id)
    entries = []
    for accessor in listed.accessors:
        entry = accessor.model_dump(exclude_none=True, include={"type", "id", "email", "name", "email_domain",
                                                                  "client_identifier", "org_id"})
        entry["access_roles"] = sorted(role for role in accessor.access_roles if role)
        if entry["access_roles"]:
            entries.append(entry)
    return entries


def _labels(entries: list[dict[str, Any]]) -> list[str]:
    def who(entry: dict[str, Any]) -> str:
        ident = entry.get("id", entry.get("email") or entry.get("name") or entry.get("email_domain"))
        return f"{entry['type']} {ident}"

    return sorted(f"{who(e)}: {', '.join(e['access_roles'])}" for e in entries)


async def copy_accessors(client: AsyncNexlaClient, old_id: int, new_id: int) -> list[str]:
    """Grant credential ``new_id`` every accessor of ``old_id``; returns what was granted (labels)."""
    entries = await _accessors(client, old_id)
    if entries:
        await client.put(f"/data_credentials/{new_id}/accessors", json={"accessors": entries})
    return _labels(entries)


def _field_names(credential: Mapping[str, Any]) -> list[str]:
    names = set(credential.get("credentials_non_secure_data") or {})
    secure = credential.get("credentials")
    if isinstance(secure, Mapping):
        names |= set(secure)
    return sorted(names)


async def rotation_diff(
    client: AsyncNexlaClient, old: Mapping[str, Any], new_fields: Mapping[str, Any]
) -> RotationDiff:
    """The dry run's comparison for rotating ``old`` (the credential as read) to ``new_fields``."""
    entries = _labels(await _accessors(client, int(old["id"])))
    return RotationDiff(fields_old=_field_names(old), fields_new=sorted(new_fields), accessors_old=entries,
                        accessors_new=entries)


__all__ = ["RotationDiff", "copy_accessors", "rotation_diff"]
