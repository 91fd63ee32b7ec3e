"""Inputs and results of the health check, and reading its config file and durations.

The check itself is :func:`nexla_ops.operations.health.check_health`; its module docstring gives
the verdict rules and the exit code.
"""

from __future__ import annotations

import pathlib
import re
from datetime import datetime
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from nexla_ops.domain import ProbeVerdict
from nexla_ops.resources import parse_flow_kind

Verdict = Literal["healthy", "warning", "unknown", "critical"]
# Verdicts from best to worst: the worst finding decides a flow, the worst flow the report. An
# unknown (the API could not tell) outranks a warning but never hides a critical finding.
VERDICT_RANK: dict[str, int] = {"healthy": 0, "warning": 1, "unknown": 2, "critical": 3}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any, field: str = "duration") -> float:
    """Seconds from a number of seconds or a string like ``90s``, ``15m``, ``6h``, ``2d``; ValueError names ``field``."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a duration like 90s, 15m, 6h or 2d, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"{field}: expected a duration like 90s, 15m, 6h or 2d, got {value!r}")
        seconds = float(match.group(1)) * _UNIT_S[match.group(2).lower()]
    if seconds <= 0:
        raise ValueError(f"{field}: must be greater than zero")
    return seconds


class HealthThresholds(BaseModel):
    """SLA thresholds; every field has a default and can come from flags or a config file."""

    model_config = ConfigDict(extra="forbid")

    window_s: float = Field(default=86400, description="window for records and error rate (seconds; '24h' in files)")
    max_age_s: float | None = Field(default=None, description="last run older than this is a warning, 2x is critical")
    warn_intervals: float = Field(default=2, gt=0, description="schedule intervals since the last run before warning")
    critical_intervals: float = Field(default=4, gt=0, description="schedule intervals since the last run before critical")
    warn_error_rate: float = Field(default=0.01, ge=0, le=1, description="errors / (records + errors) above this warns")
    critical_error_rate: float = Field(default=0.1, ge=0, le=1, description="error rate above this is critical")
    min_records: int | None = Field(default=None, ge=0, description="fewer records in the window is a warning")
    paused: Literal["healthy", "warning", "critical"] = Field(default="warning", description="verdict for a paused flow")
    probe_credentials: bool = True

    @field_validator("window_s", "max_age_s", mode="before")
    @classmethod
    def _durations(cls, value: Any, info: Any) -> Any:
        return None if value is None else parse_duration(value, info.field_name)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> HealthThresholds:
        """Thresholds from a config mapping; accepts ``window``/``max_age`` for the ``_s`` fields and
        ``max_error_rate`` for ``critical_error_rate``."""
        return cls.model_validate(threshold_fields(data))


class ResourceRef(BaseModel):
    """A source, nexset or destination selected for the check."""

    kind: str
    id: int

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return parse_flow_kind(value).value

    @classmethod
    def parse(cls, text: str) -> ResourceRef:
        """``KIND:ID`` (e.g. ``data_sources:12`` or ``source:12``); ValueError naming ``resource`` otherwise."""
        kind, sep, rid = text.partition(":")
        if not sep or not rid.strip().isdigit():
            raise ValueError(f"resource: expected KIND:ID such as data_sources:12, got {text!r}")
        return cls(kind=kind.strip(), id=int(rid))


class HealthConfig(BaseModel):
    """A health config file: thresholds, the flows/resources to check and per-flow threshold overrides.

    YAML or JSON, for example::

        thresholds: {window: 24h, max_error_rate: 0.05, paused: warning}
        flows: [12, {id: 40, max_age: 2h}]
        resources: ["data_sinks:7"]
    """

    thresholds: HealthThresholds = Field(default_factory=HealthThresholds)
    flow_ids: list[int] = Field(default_factory=list)
    resources: list[ResourceRef] = Field(default_factory=list)
    overrides: dict[int, dict[str, Any]] = Field(default_factory=dict, description="flow id -> threshold fields")


def load_health_config(path: str | pathlib.Path) -> HealthConfig:
    """Read a YAML or JSON health config; ValueError naming the file and the field on any problem."""
    file = pathlib.Path(path)
    try:
        raw = yaml.safe_load(file.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"config: {file} does not exist") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"config: {file} is not valid YAML or JSON ({exc.__class__.__name__})") from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValueError(f"config: {file} must hold a mapping with thresholds/flows/resources")
    unknown = set(raw) - {"thresholds", "flows", "resources"}
    if unknown:
        raise ValueError(f"config: {file} has unknown keys {sorted(unknown)}; use thresholds, flows, resources")
    thresholds_raw = raw.get("thresholds") or {}
    if not isinstance(thresholds_raw, dict):
        raise ValueError(f"config: {file}: thresholds must be a mapping")
    try:
        thresholds = HealthThresholds.from_mapping(thresholds_raw)
    except ValueError as exc:
        raise ValueError(f"config: {file}: thresholds: {exc}") from None
    flow_ids: list[int] = []
    overrides: dict[int, dict[str, Any]] = {}
    for position, entry in enumerate(raw.get("flows") or []):
        if isinstance(entry, int) and not isinstance(entry, bool):
            flow_ids.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get("id"), int):
            flow_ids.append(entry["id"])
            extra = {k: v for k, v in entry.items() if k != "id"}
            if extra:
                try:
                    HealthThresholds.model_validate({**thresholds.model_dump(), **threshold_fields(extra)})
                except ValueError as exc:
                    raise ValueError(f"config: {file}: flows[{position}]: {exc}") from None
                overrides[entry["id"]] = threshold_fields(extra)
        else:
            raise ValueError(f"config: {file}: flows[{position}] must be a flow id or {{id: ..., <thresholds>}}")
    resources = []
    for position, entry in enumerate(raw.get("resources") or []):
        try:
            if isinstance(entry, str):
                resources.append(ResourceRef.parse(entry))
            elif isinstance(entry, dict):
                resources.append(ResourceRef(kind=entry.get("type") or entry.get("kind") or "", id=entry.get("id")))
            else:
                raise ValueError("expected KIND:ID or {type, id}")
        except ValueError as exc:
            raise ValueError(f"config: {file}: resources[{position}]: {exc}") from None
    return HealthConfig(thresholds=thresholds, flow_ids=flow_ids, resources=resources, overrides=overrides)


def threshold_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Config-file threshold keys as HealthThresholds fields (``window``, ``max_age``, ``max_error_rate``)."""
    out = {("window_s" if k == "window" else "max_age_s" if k == "max_age" else k): v for k, v in data.items()}
    if "max_error_rate" in out:
        out["critical_error_rate"] = out.pop("max_error_rate")
    return out


class HealthCheckRequest(BaseModel):
    """What to check and how strictly. No selection means every flow visible to the caller."""

    flow_ids: list[int] = Field(default_factory=list)
    resources: list[ResourceRef] = Field(default_factory=list)
    thresholds: HealthThresholds = Field(default_factory=HealthThresholds)
    overrides: dict[int, dict[str, Any]] = Field(default_factory=dict, description="flow id -> threshold fields")
    fail_on: Literal["critical", "warning"] = "critical"
    alert_webhook: SecretStr | None = Field(default=None, description="URL to POST a JSON summary to; never shown")
    alert_on: Literal["warning", "critical", "always"] = "warning"
    per_page: int = Field(default=100, ge=1, le=1000)
    access_role: Literal["collaborator", "operator", "admin", "owner"] = Field(
        default="collaborator", description="flows shared with you at this role or higher (owner: only yours)"
    )
    concurrency: int = Field(default=8, ge=1, le=64)
    max_flows_listed: int = Field(default=500, ge=1, description="flows in the report; unhealthy ones come first")

    @classmethod
    def from_config(cls, config: HealthConfig, **fields: Any) -> HealthCheckRequest:
        """A request from a loaded config; keyword ``fields`` (e.g. from flags) take precedence."""
        base: dict[str, Any] = {
            "flow_ids": config.flow_ids,
            "resources": config.resources,
            "thresholds": config.thresholds,
            "overrides": config.overrides,
        }
        base.update({k: v for k, v in fields.items() if v is not None})
        return cls.model_validate(base)


class CredentialHealth(BaseModel):
    """Result of probing one credential used by the checked flows."""

    id: int
    name: str | None = None
    ok: bool
    verdict: ProbeVerdict = "passed"
    # unknown because the API failed: probe again later
    retryable: bool = False
    message: str
    used_by_flows: list[int] = Field(default_factory=list)


class FlowHealth(BaseModel):
    """Health of one flow with the reasons for its verdict."""

    flow_id: int
    name: str | None = None
    status: str | None = None
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    source_id: int | None = None
    schedule: str | None = Field(default=None, description="the source's cron expression, if any")
    expected_interval_s: float | None = None
    last_run_at: datetime | None = None
    last_run_id: int | None = None
    age_s: float | None = None
    runs_in_window: int = 0
    records_in_window: int = 0
    errors_in_window: int = 0
    error_rate: float | None = None
    paused_resources: list[str] = Field(default_factory=list)
    errored_resources: list[str] = Field(default_factory=list)
    credential_ids: list[int] = Field(default_factory=list)


class AlertOutcome(BaseModel):
    """Whether the webhook alert went out (the URL itself is never reported)."""

    attempted: bool
    delivered: bool = False
    status_code: int | None = None
    error: str | None = None


class HealthReport(BaseModel):
    """Health of the checked flows: overall verdict, per-flow verdicts and reasons, credentials, alert."""

    checked_at: datetime
    overall: Verdict
    fail_on: Literal["critical", "warning"]
    counts: dict[str, int]
    flows_checked: int
    flows: list[FlowHealth]
    truncated: bool = Field(default=False, description="True when only max_flows_listed flows are listed")
    missing: list[str] = Field(default_factory=list, description="selected flows or resources that were not found")
    credentials: list[CredentialHealth] = Field(default_factory=list)
    thresholds: HealthThresholds
    alert: AlertOutcome | None = None
    # The API failed for some flow: check again later (exit 6).
    retryable: bool = False

    @property
    def exit_code(self) -> int:
        """5 when the check fails (see :mod:`nexla_ops.operations.health`), 6 when it could not
        judge every flow (API outage: retry), 4 when a selected flow or resource does not exist
        (a mistyped id in a cron job must not pass silently), 1 when only the alert failed, else 0."""
        # A flow known to be at warning fails a fail_on=warning check even when another flow is
        # unknown: retrying cannot turn that into a pass.
        warned = self.overall == "warning" or self.counts.get("warning", 0) > 0
        if self.overall == "critical" or (self.fail_on == "warning" and warned):
            return 5
        if self.overall == "unknown":
            return 6
        if self.missing:
            return 4
        if self.alert is not None and self.alert.attempted and not self.alert.delivered:
            return 1
        return 0
