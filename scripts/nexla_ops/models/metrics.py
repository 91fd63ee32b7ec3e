"""Daily metrics, run summaries and flow logs (contract §4.6)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from .base import NexlaModel, PageMeta, none_to_list


class DailyMetric(NexlaModel):
    time: str
    records: int = 0
    size: int = 0
    errors: int = 0


class DailyMetrics(NexlaModel):
    """``GET /{type}/{id}/metrics``: ``{"status": 200, "metrics": [DailyMetric, ...]}``."""

    status: int
    metrics: list[DailyMetric]


class RunSummaryRow(NexlaModel):
    """One run in ``/metrics/run_summary`` (camelCase on the wire; snake_case names accepted too)."""

    run_id: int | None = Field(None, alias="runId")
    last_written: int | None = Field(None, alias="lastWritten")
    data_set_id: int = Field(alias="dataSetId")
    records: int
    size: int
    errors: int
    status: str | None = None


class RunSummaryMetrics(NexlaModel):
    data: list[RunSummaryRow] = []
    meta: PageMeta | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _null_data(cls, value: Any) -> Any:
        return none_to_list(value)


class RunSummaryPage(NexlaModel):
    """``GET /{type}/{id}/metrics/run_summary``: ``{"status", "metrics": {"data": [...], "meta": {...}}}``."""

    status: int
    metrics: RunSummaryMetrics

    @property
    def rows(self) -> list[RunSummaryRow]:
        return self.metrics.data

    @property
    def meta(self) -> PageMeta | None:
        return self.metrics.meta


class LogEntry(NexlaModel):
    """One flow run log line; every field is optional in the contract."""

    timestamp: Any = None
    level: str | None = None
    message: str | None = None
    resource_id: int | None = None
    resource_type: str | None = None
    run_id: int | None = None
    details: dict[str, Any] | None = None


FlowLog = LogEntry


class LogsPage(NexlaModel):
    """``GET /data_flows/{type}/{id}/logs``: ``{"status", "message", "logs": [...], "meta": {...}}``."""

    status: int | None = None
    message: str | None = None
    logs: list[LogEntry] = []
    meta: PageMeta | None = None

    @field_validator("logs", mode="before")
    @classmethod
    def _null_logs(cls, value: Any) -> Any:
        return none_to_list(value)
