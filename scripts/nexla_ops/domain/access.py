"""Accessors (the SDK's union bug fixed with a discriminated union), teams, users, orgs, projects (§4.7-4.10)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, field_validator

from .base import NexlaModel, OrgRef, Owner, Resource, none_to_list


class _AccessorBase(NexlaModel):
    access_roles: list[str] = []
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("access_roles", mode="before")
    @classmethod
    def _null_roles(cls, value: Any) -> Any:
        return none_to_list(value)


class UserAccessor(_AccessorBase):
    type: Literal["USER"] = "USER"
    id: int | None = None
    email: str | None = None
    org_id: int | None = None


class TeamAccessor(_AccessorBase):
    type: Literal["TEAM"] = "TEAM"
    id: int | None = None
    name: str | None = None


class OrgAccessor(_AccessorBase):
    type: Literal["ORG"] = "ORG"
    id: int | None = None
    client_identifier: str | None = None
    email_domain: str | None = None


Accessor = Annotated[UserAccessor | TeamAccessor | OrgAccessor, Field(discriminator="type")]
_ACCESSORS = TypeAdapter(list[Accessor])


def parse_accessors(body: Any) -> list[UserAccessor | TeamAccessor | OrgAccessor]:
    """Accessor list from a ``GET/PUT/POST/DELETE {P}/{id}/accessors`` reply (a non-list reply means none)."""
    if not isinstance(body, list):
        return []
    return _ACCESSORS.validate_python(body)


class TeamMember(NexlaModel):
    id: int
    email: str | None = None
    admin: bool = False


class Team(Resource):
    id: int
    name: str
    description: str | None = ""
    member: bool | None = None
    members: list[TeamMember] = []

    @field_validator("members", mode="before")
    @classmethod
    def _null_members(cls, value: Any) -> Any:
        return none_to_list(value)


class OrgMembership(NexlaModel):
    id: int
    name: str | None = None
    org_membership_status: str | None = None
    is_admin: bool | None = Field(None, alias="is_admin?")


class User(NexlaModel):
    id: int
    email: str
    full_name: str | None = None
    impersonated: bool | None = None
    default_org: OrgRef | None = None
    status: str | None = None
    account_locked: bool | None = None
    org_memberships: list[OrgMembership] = []
    super_user: bool | None = Field(None, alias="superUser")
    user_tier: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("org_memberships", mode="before")
    @classmethod
    def _null_memberships(cls, value: Any) -> Any:
        return none_to_list(value)


class Org(NexlaModel):
    id: int
    name: str
    access_roles: list[str] = []
    email_domain: str | None = None
    client_identifier: str | None = None
    status: str | None = None
    owner: Owner | None = None


class ProjectDataFlow(NexlaModel):
    id: int
    project_id: int | None = None
    data_source_id: int | None = None
    data_set_id: int | None = None
    data_sink_id: int | None = None
    name: str | None = None
    description: str | None = None


class Project(Resource):
    id: int
    name: str
    description: str | None = ""
    data_flows: list[ProjectDataFlow] = []
    flows: list[ProjectDataFlow] = []
    flows_count: int | None = None

    @field_validator("data_flows", "flows", mode="before")
    @classmethod
    def _null_flows(cls, value: Any) -> Any:
        return none_to_list(value)
