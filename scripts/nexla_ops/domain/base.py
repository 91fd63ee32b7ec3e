"""Base class and embedded objects shared by every Nexla model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class NexlaModel(BaseModel):
    """Lenient API model: unknown fields are kept (``model_extra``), field aliases and names both accepted.

    Only the fields the API contract marks required are required; everything else defaults to
    ``None`` (or an empty list for list fields the API sometimes sends as ``null``).
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the API's own field names, unknown fields included."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=False)


def none_to_list(value: Any) -> Any:
    return [] if value is None else value


class Owner(NexlaModel):
    id: int
    full_name: str | None = None
    email: str | None = None
    email_verified_at: datetime | None = None


class OrgRef(NexlaModel):
    """The ``org`` object embedded in resources."""

    id: int
    name: str | None = None
    email_domain: str | None = None
    client_identifier: str | None = None


class Connector(NexlaModel):
    id: int | None = None
    type: str | None = None
    connection_type: str | None = None
    name: str | None = None
    description: str | None = None
    nexset_api_compatible: bool | None = None


class Resource(NexlaModel):
    """Fields every owned resource may carry (all optional)."""

    owner: Owner | None = None
    org: OrgRef | None = None
    access_roles: list[str] = []
    tags: list[str] = []
    description: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("access_roles", "tags", mode="before")
    @classmethod
    def _null_lists(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in value if v is not None]
        return none_to_list(value)


class PageMeta(NexlaModel):
    """``meta`` of the logs, flow-metrics and run-summary envelopes (camelCase or snake_case on the wire)."""

    current_page: int | None = Field(None, validation_alias=AliasChoices("currentPage", "current_page"))
    page_count: int | None = Field(None, validation_alias=AliasChoices("pageCount", "page_count", "pages_count"))
    total_count: int | None = Field(None, validation_alias=AliasChoices("totalCount", "total_count"))
    per_page: int | None = Field(None, validation_alias=AliasChoices("perPage", "per_page"))
