"""Credentials, sources, nexsets, destinations and reusable transforms, as the API answers them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from .base import Connector, NexlaModel, Resource, none_to_list


class Credential(Resource):
    """A data credential. Responses never carry the secret ``credentials`` blob; if a server sends
    one anyway it is kept as an extra field, so always pass output through ``redact`` before showing it."""

    id: int
    name: str
    credentials_type: str
    verified_status: str | None = None
    verified_at: datetime | None = None
    connector: Connector | None = None
    credentials_version: str | None = None
    credentials_non_secure_data: dict[str, Any] | None = None
    api_keys: list[Any] = []
    copied_from_id: int | None = None
    referenced_resource_ids: dict[str, list[int]] | None = None
    managed: bool = False

    @field_validator("api_keys", mode="before")
    @classmethod
    def _null_keys(cls, value: Any) -> Any:
        return none_to_list(value)


class DataSetBrief(NexlaModel):
    id: int
    owner_id: int | None = None
    org_id: int | None = None
    name: str | None = None
    description: str | None = None
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class RunId(NexlaModel):
    id: int
    created_at: datetime | None = None


class Source(Resource):
    id: int
    name: str
    status: str
    source_type: str
    connector_type: str | None = None
    ingest_method: str | None = None
    source_format: str | None = None
    source_config: dict[str, Any] | None = None
    poll_schedule: Any = None
    data_credentials_id: int | None = None
    data_credentials: Credential | None = None
    data_sets: list[DataSetBrief] = []
    run_ids: list[RunId] = []
    flow_type: str | None = None
    copied_from_id: int | None = None
    managed: bool | None = None

    @field_validator("data_sets", "run_ids", mode="before")
    @classmethod
    def _null_children(cls, value: Any) -> Any:
        return none_to_list(value)


class DataSinkSimplified(NexlaModel):
    id: int
    name: str | None = None
    owner_id: int | None = None
    org_id: int | None = None
    status: str | None = None
    sink_type: str | None = Field(None, alias="sinkType")


class Nexset(Resource):
    id: int
    name: str | None = None
    status: str | None = None
    flow_type: str | None = None
    data_source_id: int | None = None
    parent_data_sets: list[DataSetBrief] = []
    data_sinks: list[DataSinkSimplified] = []
    transform_id: int | None = None
    has_custom_transform: bool | None = None
    transform: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    copied_from_id: int | None = None

    @field_validator("parent_data_sets", "data_sinks", mode="before")
    @classmethod
    def _null_children(cls, value: Any) -> Any:
        return none_to_list(value)


class Destination(Resource):
    id: int
    name: str
    status: str
    sink_type: str
    connector_type: str | None = None
    data_set_id: int | None = None
    data_source_id: int | None = None
    sink_format: str | None = None
    sink_config: dict[str, Any] | None = None
    sink_schedule: Any = None
    in_memory: bool = False
    data_credentials_id: int | None = None
    data_credentials: Credential | None = None
    flow_type: str | None = None
    copied_from_id: int | None = None


class Transform(NexlaModel):
    """A reusable record/attribute transform or code container (``access_roles`` is an object here)."""

    id: int
    name: str
    description: str | None = None
    code_type: str | None = None
    output_type: str | None = None
    code_encoding: str | None = None
    code: Any = None
    reusable: bool | None = None
    access_roles: Any = None
    data_sets: list[int] = []
    tags: list[str] = []
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("data_sets", "tags", mode="before")
    @classmethod
    def _null_lists(cls, value: Any) -> Any:
        return none_to_list(value)
