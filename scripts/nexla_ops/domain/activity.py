"""Server-side audit entries, notifications and async tasks, as the API answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import field_validator

from .base import NexlaModel, none_to_list


class AuditEntry(NexlaModel):
    """One entry of ``GET {P}/{id}/audit_log`` (the SDK's ``LogEntry``): who changed what, when."""

    id: int
    item_type: str | None = None
    item_id: int | None = None
    event: str | None = None
    change_summary: list[str] = []
    object_changes: dict[str, Any] = {}
    request_ip: str | None = None
    request_user_agent: str | None = None
    request_url: str | None = None
    user: dict[str, Any] | None = None
    org_id: int | None = None
    owner_id: int | None = None
    owner_email: str | None = None
    created_at: datetime | None = None

    @field_validator("change_summary", mode="before")
    @classmethod
    def _null_summary(cls, value: Any) -> Any:
        return none_to_list(value)

    @field_validator("object_changes", mode="before")
    @classmethod
    def _null_changes(cls, value: Any) -> Any:
        return {} if value is None else value


class Notification(NexlaModel):
    id: int
    level: str
    message: str
    resource_type: str | None = None
    resource_id: int | None = None
    message_id: int | None = None
    read_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AsyncTask(NexlaModel):
    """One ``/async_tasks`` task; ``error`` is an object in the OpenAPI and text on older deployments."""

    id: int
    type: str | None = None
    status: str | None = None
    progress: int | None = None
    result: Any = None
    result_url: str | None = None
    error: Any = None
    created_at: datetime | None = None
    stopped_at: datetime | None = None
    updated_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
