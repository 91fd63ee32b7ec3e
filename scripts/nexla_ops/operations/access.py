"""Who may do what on a resource: list, grant, revoke and replace accessors (contract section 4.7).

Rules these operations keep, whatever the caller asks:

* Every change reads the accessor list first (``before``) and reads it back afterwards
  (``after``); a dry run reads ``before`` and predicts ``after`` without any mutating request.
* Grant is idempotent: an accessor that already holds every requested role is left alone and no
  request is sent; a 409 "already present" from the server also counts as unchanged.
* Revoke without roles removes the accessor entirely (``DELETE`` with an explicit body); revoke
  with roles removes only those roles, by replacing the list with the before list minus them
  (the API has no "remove one role" request). An accessor that is not present is left alone.
* Nothing may leave a resource without an owner: revoke and replace refuse (``OperationRefused``)
  when the result would hold no ``owner`` role. The check uses the before list; the server
  enforces the same rule.
* ``DELETE .../accessors`` with no body means "remove everyone" to the API: an empty selection is
  refused before anything is sent, and the request always carries the accessors to remove.
* Several resources may be changed in one call; each gets its own outcome, and one failing does
  not stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nexla_ops.domain import (
    Accessor,
    ErrorDocument,
    OrgAccessor,
    TeamAccessor,
    UserAccessor,
    error_document,
    parse_accessors,
)
from nexla_ops.errors import ConflictError, NexlaError
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.resources import ResourceKind, parse_kind

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient

ROLE_ORDER = ("owner", "admin", "operator", "collaborator")


class AccessRole(StrEnum):
    """The four access roles, highest first: owner > admin > operator > collaborator."""

    OWNER = "owner"
    ADMIN = "admin"
    OPERATOR = "operator"
    COLLABORATOR = "collaborator"


class AccessorType(StrEnum):
    """Who an accessor is: one user, every member of a team, or every member of an org."""

    USER = "USER"
    TEAM = "TEAM"
    ORG = "ORG"


# Which identifying fields each accessor type accepts (besides ``id``).
_IDENTIFIERS: dict[AccessorType, tuple[str, ...]] = {
    AccessorType.USER: ("email",),
    AccessorType.TEAM: ("name",),
    AccessorType.ORG: ("email_domain", "client_identifier"),
}


def _sorted_roles(roles: Any) -> list[str]:
    return sorted(
        dict.fromkeys(str(r) for r in roles), key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else 99
    )


class AccessorRef(BaseModel):
    """Identifies one accessor in a request: USER by ``id`` or ``email``, TEAM by ``id`` or
    ``name``, ORG by ``id``, ``email_domain`` or ``client_identifier``.

    ``roles`` overrides the change's roles for this accessor only (useful for ``replace``).
    """

    model_config = ConfigDict(extra="forbid")

    type: AccessorType
    id: int | None = Field(default=None, gt=0)
    email: str | None = None
    name: str | None = None
    email_domain: str | None = None
    client_identifier: str | None = None
    org_id: int | None = Field(
        default=None, gt=0, description="USER only: the user's org, for cross-org grants"
    )
    roles: list[AccessRole] | None = None

    @model_validator(mode="after")
    def _one_identity(self) -> AccessorRef:
        allowed = _IDENTIFIERS[self.type]
        given = [f for f in ("email", "name", "email_domain", "client_identifier") if getattr(self, f)]
        wrong = [f for f in given if f not in allowed]
        if wrong:
            raise ValueError(
                f"{self.type.value} accessors are identified by id or {' / '.join(allowed)}, "
                f"not {', '.join(wrong)}"
            )
        if self.id is None and not given:
            raise ValueError(f"a {self.type.value} accessor needs id or {' / '.join(allowed)}")
        if self.id is not None and given:
            raise ValueError(f"give either id or {given[0]} for a {self.type.value} accessor, not both")
        if self.org_id is not None and self.type is not AccessorType.USER:
            raise ValueError("org_id applies to USER accessors only")
        return self

    def label(self) -> str:
        """Short human form, e.g. ``USER alice@example.com`` or ``TEAM 12``."""
        for field in ("email", "name", "email_domain", "client_identifier"):
            value = getattr(self, field)
            if value:
                return f"{self.type.value} {value}"
        return f"{self.type.value} {self.id}"

    def identity(self) -> dict[str, Any]:
        """The identifying fields as the API expects them (no roles)."""
        body: dict[str, Any] = {"type": self.type.value}
        for field in ("id", "email", "name", "email_domain", "client_identifier", "org_id"):
            value = getattr(self, field)
            if value is not None:
                body[field] = value
        return body


AnyAccessor = UserAccessor | TeamAccessor | OrgAccessor


def _roles_of(accessor: AnyAccessor) -> list[str]:
    return _sorted_roles(r for r in accessor.access_roles if r)


def _ident(accessor: AnyAccessor) -> str | None:
    for field in ("email", "name", "email_domain", "client_identifier"):
        value = getattr(accessor, field, None)
        if value:
            return str(value)
    return None


def _matches(accessor: AnyAccessor, ref: AccessorRef) -> bool:
    """True when ``ref`` names ``accessor`` (ids, or case-insensitive email/name/domain)."""
    if accessor.type != ref.type.value:
        return False
    if ref.id is not None:
        return accessor.id == ref.id
    for field in _IDENTIFIERS[ref.type]:
        wanted, have = getattr(ref, field), getattr(accessor, field, None)
        if wanted and have and wanted.strip().lower() == str(have).strip().lower():
            return True
    return False


def _label(accessor: AnyAccessor) -> str:
    ident = _ident(accessor)
    return f"{accessor.type} {accessor.id}" + (f" ({ident})" if ident else "")


def _entry(accessor: AnyAccessor, roles: list[str] | None = None) -> dict[str, Any]:
    """``accessor`` as a request entry (identified by id when known) with ``roles`` or its own roles."""
    body: dict[str, Any] = {"type": accessor.type}
    if accessor.id is not None:
        body["id"] = accessor.id
    else:
        for field in _IDENTIFIERS[AccessorType(accessor.type)]:
            if getattr(accessor, field, None):
                body[field] = getattr(accessor, field)
    body["access_roles"] = _roles_of(accessor) if roles is None else list(roles)
    return body


class AccessList(BaseModel):
    """The accessors of one resource."""

    resource_type: ResourceKind
    resource_id: int
    accessors: list[Accessor]

    @property
    def owners(self) -> list[AnyAccessor]:
        return [a for a in self.accessors if AccessRole.OWNER.value in a.access_roles]


class AccessChange(BaseModel):
    """A grant, revoke or replace request for one or more resources of one type.

    ``roles``: the roles to grant (required for grant and replace, unless every accessor carries
    its own ``roles``); for revoke, the roles to take away, or empty to remove the accessors
    entirely. ``dry_run`` reads the current accessors and reports the predicted result without
    sending any change.
    """

    model_config = ConfigDict(extra="forbid")

    resource_type: ResourceKind
    resource_ids: list[int] = Field(min_length=1)
    accessors: list[AccessorRef] = Field(min_length=1)
    roles: list[AccessRole] = Field(default_factory=list)
    dry_run: bool = False

    @field_validator("resource_type", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> ResourceKind:
        return parse_kind(value)

    @field_validator("resource_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(i <= 0 for i in value):
            raise ValueError("resource_ids must be positive integers")
        return list(dict.fromkeys(value))


Outcome = Literal["changed", "unchanged", "would_change", "refused", "failed"]


class ResourceAccessOutcome(BaseModel):
    """What happened on one resource: the accessors before and after, and the changes made."""

    resource_type: ResourceKind
    resource_id: int
    outcome: Outcome
    changes: list[str] = Field(default_factory=list, description="one line per accessor changed")
    before: list[Accessor] | None = None
    after: list[Accessor] | None = Field(default=None, description="read back (or predicted on a dry run)")
    error: ErrorDocument | None = None


class AccessChangeResult(BaseModel):
    """Per-resource outcomes of a grant, revoke or replace."""

    action: Literal["grant", "revoke", "replace"]
    dry_run: bool
    results: list[ResourceAccessOutcome]

    @property
    def failed(self) -> list[ResourceAccessOutcome]:
        return [r for r in self.results if r.outcome in ("failed", "refused")]

    @property
    def exit_code(self) -> int:
        """0 when every resource succeeded; else the failures' shared exit code, or 1 when they differ."""
        codes = {r.error.exit_code if r.error else 1 for r in self.failed}
        if not codes:
            return 0
        return codes.pop() if len(codes) == 1 else 1


def _path(kind: ResourceKind, resource_id: int) -> str:
    return f"{kind.path}/{resource_id}/accessors"


def _parse(body: Any) -> list[AnyAccessor]:
    accessors = parse_accessors(body)
    for accessor in accessors:
        accessor.access_roles = _roles_of(accessor)
    return accessors


async def list_access(client: AsyncNexlaClient, kind: ResourceKind | str, resource_id: int) -> AccessList:
    """The accessors of one resource (``GET {collection}/{id}/accessors``)."""
    kind = parse_kind(kind)
    body = await client.get(_path(kind, resource_id))
    return AccessList(resource_type=kind, resource_id=resource_id, accessors=_parse(body))


def _roles_for(ref: AccessorRef, change: AccessChange) -> list[str]:
    return _sorted_roles(r.value for r in (ref.roles if ref.roles is not None else change.roles))


def _require_roles(change: AccessChange, action: str) -> None:
    missing = [ref.label() for ref in change.accessors if not _roles_for(ref, change)]
    if missing:
        raise ValueError(
            f"{action} needs roles: give roles (owner, admin, operator, collaborator) "
            f"for {', '.join(missing)}"
        )


def _has_owner(accessors: list[AnyAccessor]) -> bool:
    return any(AccessRole.OWNER.value in a.access_roles for a in accessors)


def _refuse_ownerless(predicted: list[AnyAccessor], kind: ResourceKind, resource_id: int) -> None:
    if not _has_owner(predicted):
        raise OperationRefused(
            f"this would leave {kind.label} {resource_id} without an owner",
            hint="grant the owner role to someone else first, then revoke",
        )


@dataclass
class _Plan:
    """What to send for one resource, and the accessor list it should produce."""

    method: Literal["PUT", "POST", "DELETE"] | None
    entries: list[dict[str, Any]]
    predicted: list[AnyAccessor]
    changes: list[str]


def _predict_entry(ref: AccessorRef, roles: list[str]) -> AnyAccessor:
    return parse_accessors([{**ref.identity(), "access_roles": roles}])[0]


def _plan_grant(before: list[AnyAccessor], change: AccessChange) -> _Plan:
    predicted = [a.model_copy(deep=True) for a in before]
    entries: list[dict[str, Any]] = []
    changes: list[str] = []
    for ref in change.accessors:
        roles = _roles_for(ref, change)
        current = next((a for a in predicted if _matches(a, ref)), None)
        if current is not None and set(roles) <= set(current.access_roles):
            continue
        entries.append({**ref.identity(), "access_roles": roles})
        if current is None:
            predicted.append(_predict_entry(ref, roles))
            changes.append(f"grant {', '.join(roles)} to {ref.label()}")
        else:
            added = [r for r in roles if r not in current.access_roles]
            current.access_roles = _sorted_roles([*current.access_roles, *roles])
            changes.append(f"grant {', '.join(added)} to {_label(current)}")
    return _Plan(method="PUT" if entries else None, entries=entries, predicted=predicted, changes=changes)


def _plan_revoke(before: list[AnyAccessor], change: AccessChange) -> _Plan:
    remove_roles = _sorted_roles(r.value for r in change.roles)
    predicted = [a.model_copy(deep=True) for a in before]
    removals: list[dict[str, Any]] = []
    changes: list[str] = []
    partial = False
    for ref in change.accessors:
        current = next((a for a in predicted if _matches(a, ref)), None)
        if current is None:
            continue
        roles = _roles_for(ref, change) if ref.roles is not None else remove_roles
        if not roles or set(current.access_roles) <= set(roles):
            predicted.remove(current)
            removals.append(_entry(current))
            changes.append(f"remove {_label(current)}")
        elif set(roles) & set(current.access_roles):
            taken = [r for r in roles if r in current.access_roles]
            current.access_roles = [r for r in current.access_roles if r not in roles]
            partial = True
            changes.append(f"revoke {', '.join(taken)} from {_label(current)}")
    if not changes:
        return _Plan(method=None, entries=[], predicted=predicted, changes=[])
    if partial:
        # Only a full replacement can take away some roles and keep the rest.
        return _Plan(
            method="POST", entries=[_entry(a) for a in predicted], predicted=predicted, changes=changes
        )
    return _Plan(method="DELETE", entries=removals, predicted=predicted, changes=changes)


def _plan_replace(before: list[AnyAccessor], change: AccessChange) -> _Plan:
    predicted: list[AnyAccessor] = []
    entries: list[dict[str, Any]] = []
    for ref in change.accessors:
        roles = _roles_for(ref, change)
        entries.append({**ref.identity(), "access_roles": roles})
        known = next((a for a in before if _matches(a, ref)), None)
        predicted.append(
            known.model_copy(update={"access_roles": roles}) if known else _predict_entry(ref, roles)
        )
    changes: list[str] = []
    for old in before:
        new = next((p for p in predicted if p.type == old.type and p.id is not None and p.id == old.id), None)
        if new is None:
            changes.append(f"remove {_label(old)}")
        elif new.access_roles != old.access_roles:
            changes.append(f"set {_label(old)} to {', '.join(new.access_roles)}")
    for new in predicted:
        if not any(old.type == new.type and old.id is not None and old.id == new.id for old in before):
            changes.append(f"grant {', '.join(new.access_roles)} to {_label(new)}")
    return _Plan(method="POST" if changes else None, entries=entries, predicted=predicted, changes=changes)


_PLANNERS = {"grant": _plan_grant, "revoke": _plan_revoke, "replace": _plan_replace}


async def _change_one(
    client: AsyncNexlaClient, action: str, change: AccessChange, resource_id: int
) -> ResourceAccessOutcome:
    kind = change.resource_type
    base = {"resource_type": kind, "resource_id": resource_id}
    before: list[AnyAccessor] | None = None
    try:
        before = (await list_access(client, kind, resource_id)).accessors
        plan = _PLANNERS[action](before, change)
        if action != "grant" and plan.method is not None:
            _refuse_ownerless(plan.predicted, kind, resource_id)
        if plan.method is None:
            return ResourceAccessOutcome(**base, outcome="unchanged", before=before, after=before)
        if change.dry_run:
            return ResourceAccessOutcome(
                **base, outcome="would_change", changes=plan.changes, before=before, after=plan.predicted
            )
        if not plan.entries:
            # Never reached by the planners; guards the API's "no body = remove everyone".
            raise OperationRefused("refusing to send an accessor change with an empty selection")
        try:
            await _send(client, plan.method, _path(kind, resource_id), plan.entries)
        except ConflictError:
            if action != "grant":
                raise
        after = (await list_access(client, kind, resource_id)).accessors
        outcome: Outcome = "changed" if _key(after) != _key(before) else "unchanged"
        return ResourceAccessOutcome(
            **base, outcome=outcome, changes=plan.changes, before=before, after=after
        )
    except (NexlaError, ValueError) as error:
        outcome = "refused" if isinstance(error, OperationRefused) else "failed"
        return ResourceAccessOutcome(**base, outcome=outcome, before=before, error=error_document(error))


async def _send(client: AsyncNexlaClient, method: str, path: str, entries: list[dict[str, Any]]) -> Any:
    body = {"accessors": entries}
    if method == "PUT":
        return await client.put(path, json=body)
    if method == "POST":
        return await client.post(path, json=body)
    return await client.delete(path, json=body)


def _key(accessors: list[AnyAccessor]) -> list[tuple[str, int | None, tuple[str, ...]]]:
    return sorted((a.type, a.id, tuple(a.access_roles)) for a in accessors)


async def _apply(client: AsyncNexlaClient, action: str, change: AccessChange) -> AccessChangeResult:
    results = [await _change_one(client, action, change, rid) for rid in change.resource_ids]
    return AccessChangeResult(action=action, dry_run=change.dry_run, results=results)


async def grant_access(client: AsyncNexlaClient, change: AccessChange) -> AccessChangeResult:
    """Add roles for the given accessors (``PUT .../accessors``, merge); already-held roles are no-ops."""
    _require_roles(change, "grant")
    return await _apply(client, "grant", change)


async def revoke_access(client: AsyncNexlaClient, change: AccessChange) -> AccessChangeResult:
    """Remove the given accessors (or only ``change.roles`` from them); refuses to remove the last owner."""
    return await _apply(client, "revoke", change)


async def replace_access(client: AsyncNexlaClient, change: AccessChange) -> AccessChangeResult:
    """Make the given accessors the complete list (``POST .../accessors``).

    Refuses a list without an owner.
    """
    _require_roles(change, "replace")
    return await _apply(client, "replace", change)


__all__ = [
    "AccessChange",
    "AccessChangeResult",
    "AccessList",
    "AccessRole",
    "AnyAccessor",
    "AccessorRef",
    "AccessorType",
    "ResourceAccessOutcome",
    "grant_access",
    "list_access",
    "replace_access",
    "revoke_access",
]
