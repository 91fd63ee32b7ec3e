"""What a credential rotation keeps: the old credential's accessors and non-secret fields.

Rotation creates a new credential; without this, the teams and users the old one was shared with
lose it, and the new credential lacks every field the caller did not give again.
:func:`copy_accessors` grants the new credential every accessor of the old one (with the same
roles) right after it is created, so the switch never leaves anyone without access;
:func:`carried_fields` are the old credential's non-secret fields (its ``credentials_non_secure_data``)
the new one keeps, so rotating a secret needs only the new secret; :func:`rotation_diff` is what
the dry run shows: field names, non-secret values and accessors, old vs new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from nexla_ops.operations.access import list_access
from nexla_ops.operations.connectors import secret_fields
from nexla_ops.redaction import is_secret_key
from nexla_ops.resources import ResourceKind

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient


class RotationDiff(BaseModel):
    """Field names, non-secret values (field -> [old, new]) and accessors, old vs new."""

    fields_old: list[str]
    fields_new: list[str]
    values: dict[str, list[Any]]
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


def non_secret_fields(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``credential`` (as read) that are safe to show and to carry over.

    The API shows only non-secret fields in ``credentials_non_secure_data``; a field that the
    catalogue or the redaction rule calls secret is dropped all the same, so a server that shows
    too much never makes rotation copy or print a secret.
    """
    shown = credential.get("credentials_non_secure_data")
    if not isinstance(shown, Mapping):
        return {}
    secret = secret_fields(str(credential.get("credentials_type") or ""))
    return {k: v for k, v in shown.items() if k not in secret and not is_secret_key(k)}


def carried_fields(old: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The old credential's non-secret fields that the new one keeps: all those not ``given`` anew."""
    return {k: v for k, v in non_secret_fields(old).items() if k not in given}


async def rotation_diff(
    client: AsyncNexlaClient, old: Mapping[str, Any], new_fields: Mapping[str, Any], plain: Mapping[str, Any]
) -> RotationDiff:
    """The dry run's comparison for rotating ``old`` (the credential as read) to ``new_fields``.

    ``plain`` are the new fields whose values may be shown (carried over or given plainly, never
    those read from the environment); ``values`` maps each non-secret field to [old, new], null
    where a side has no shown value.
    """
    entries = _labels(await _accessors(client, int(old["id"])))
    before = non_secret_fields(old)
    after = {k: v for k, v in plain.items() if not is_secret_key(k)}
    values = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))}
    return RotationDiff(fields_old=sorted(before), fields_new=sorted(new_fields), values=values,
                        accessors_old=entries, accessors_new=entries)


__all__ = ["RotationDiff", "carried_fields", "copy_accessors", "non_secret_fields", "rotation_diff"]
