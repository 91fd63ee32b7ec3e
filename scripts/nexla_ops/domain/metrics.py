"""Daily metrics, run-summary envelopes and run log entries.

Log entries come in two shapes, both parsed here once:

* documented (real Nexla): ``{status, message, logs: {data: [{timestamp (epoch ms), resource_id,
  resource_type: SOURCE|DATASET|SINK, log, log_type: LOG|SUMMARY, severity: INFO|WARNING|ERROR}],
  meta: {current_page, pages_count, total_count, org_id, run_id}}}``;
* flat (the sandbox, older servers): ``{logs: [{timestamp (ISO), level, message, resource_type:
  data_sources..., resource_id, run_id, details}], meta: {currentPage, pageCount, totalCount}}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, ConfigDict, Field, field_validator, model_validator

from .base import NexlaModel, PageMeta, none_to_list
from .runs import to_datetime

LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
_LEVEL_ALIASES = {"WARNING": "WARN", "FATAL": "ERROR", "CRITICAL": "ERROR", "SEVERE": "ERROR", "TRACE": "DEBUG"}
# The documented resource_type values, as the kinds every other API path uses.
_RESOURCE_TYPES = {"SOURCE": "data_sources", "DATASET": "data_sets", "SINK": "data_sinks",
                   "DATA_SOURCE": "data_sources", "DATA_SET": "data_sets", "DATA_SINK": "data_sinks"}


def normalise_level(value: Any) -> str | None:
    """DEBUG/INFO/WARN/ERROR from a level or severity name (WARNING -> WARN, FATAL -> ERROR)."""
    if value is None or value == "":
        return None
    upper = str(value).strip().upper()
    return _LEVEL_ALIASES.get(upper, upper)


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
    """One run log line, whichever shape it came in (see the module docstring)."""

    # Operations return entries as they are: only the fields below, never stray server keys.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    timestamp: datetime | None = None
    level: str | None = Field(default=None, validation_alias=AliasChoices("level", "severity"))
    message: str = Field(default="", validation_alias=AliasChoices("message", "log"))
    log_type: str | None = None
    resource_type: str | None = None
    resource_id: int | None = None
    run_id: int | None = Field(default=None, validation_alias=AliasChoices("run_id", "runId"))
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        data = dict(raw)
        data["timestamp"] = to_datetime(data.get("timestamp", data.get("time")))
        for key in ("level", "severity"):
            if key in data:
                data[key] = normalise_level(data[key])
        for key in ("message", "log"):
            if key in data:
                data[key] = "" if data[key] is None else str(data[key])
        kind = data.get("resource_type")
        if isinstance(kind, str):
            data["resource_type"] = _RESOURCE_TYPES.get(kind.upper(), kind)
        for key in ("resource_id", "run_id", "runId"):
            value = data.get(key)
            if value is not None and not (isinstance(value, int) or str(value).isdigit()):
                data[key] = None
        details = data.get("details")
        data["details"] = details if isinstance(details, dict) else ({"value": details} if details else {})
        return data


FlowLog = LogEntry


class LogsPage(NexlaModel):
    """``GET /data_flows/{type}/{id}/logs`` in either shape: ``logs`` is the page's entries."""

    status: int | None = None
    message: str | None = None
    logs: list[LogEntry] = []
    meta: PageMeta | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and isinstance(raw.get("logs"), dict):
            nested = raw["logs"]
            return {**raw, "logs": nested.get("data"), "meta": nested.get("meta", raw.get("meta"))}
        return raw

    @field_validator("logs", mode="before")
    @classmethod
    def _null_logs(cls, value: Any) -> Any:
        return [row for row in none_to_list(value) if isinstance(row, dict)]

    @classmethod
    def parse(cls, body: Any) -> LogsPage:
        return cls.model_validate(body if isinstance(body, dict) else {})


__all__ = [
    "LEVELS",
    "LEVEL_RANK",
    "DailyMetric",
    "DailyMetrics",
    "FlowLog",
    "LogEntry",
    "LogsPage",
    "RunSummaryMetrics",
    "RunSummaryPage",
    "RunSummaryRow",
    "normalise_level",
]
