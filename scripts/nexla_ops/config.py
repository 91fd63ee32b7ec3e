"""Client settings, read from the same environment variables as the official Nexla SDK.

``Settings.from_env()`` is the one way scripts and the MCP server build settings; every field
has an environment variable and can be overridden by keyword (``Settings.from_env(read_only=True)``).
The table of variables, defaults and meanings lives in REFERENCE.md ("Configuration").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from .errors import ConfigError

DEFAULT_API_URL = "https://dataops.nexla.io/nexla-api"
DEFAULT_AUDIT_LOG = "~/.nexla-ops/audit.jsonl"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _parse_rate(raw: str) -> float | None:
    # "auto" (like leaving the variable unset) asks the client to learn the tenant's limit.
    return None if raw.strip().lower() == "auto" else float(raw)


def _parse_optional_path(raw: str) -> str | None:
    # An empty value is the documented way to switch the audit file off.
    return raw.strip() or None


# field name -> (environment variable, parser); order is the order in REFERENCE.md.
ENV_VARS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "api_url": ("NEXLA_API_URL", str),
    "service_key": ("NEXLA_SERVICE_KEY", str),
    "access_token": ("NEXLA_ACCESS_TOKEN", str),
    "timeout_s": ("NEXLA_TIMEOUT", float),
    "max_attempts": ("NEXLA_MAX_ATTEMPTS", int),
    "retry_budget_s": ("NEXLA_RETRY_BUDGET", float),
    "rate_limit_per_s": ("NEXLA_RATE_LIMIT", _parse_rate),
    "rate_limit_burst": ("NEXLA_RATE_LIMIT_BURST", int),
    "read_only": ("NEXLA_READ_ONLY", _parse_bool),
    "audit_log_path": ("NEXLA_AUDIT_LOG", _parse_optional_path),
    "actor": ("NEXLA_ACTOR", str),
    "breaker_failure_threshold": ("NEXLA_BREAKER_FAILURES", int),
    "breaker_failure_ratio": ("NEXLA_BREAKER_FAILURE_RATIO", float),
    "breaker_window": ("NEXLA_BREAKER_WINDOW", int),
    "breaker_cooldown_s": ("NEXLA_BREAKER_COOLDOWN", float),
    "token_refresh_margin_s": ("NEXLA_TOKEN_REFRESH_MARGIN", float),
}


class Settings(BaseModel):
    """Everything the client needs to talk to one Nexla API.

    Exactly one of ``service_key`` (preferred; exchanged for session tokens) and
    ``access_token`` (used as is, never renewed) must be set, else :class:`ConfigError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_url: str = Field(DEFAULT_API_URL, description="Base URL of the API, ending in /nexla-api.")
    service_key: SecretStr | None = Field(None, description="Nexla service key (NEXLA_SERVICE_KEY).")
    access_token: SecretStr | None = Field(None, description="Session access token (NEXLA_ACCESS_TOKEN).")
    timeout_s: float = Field(30.0, gt=0, description="Per-request timeout in seconds.")
    max_attempts: int = Field(5, ge=1, le=20, description="Attempts per replay-safe request, first try included.")
    retry_budget_s: float = Field(60.0, ge=0, description="Total seconds one request may spend retrying.")
    rate_limit_per_s: float | None = Field(
        None,
        ge=0,
        description="Client-side requests per second; 0 disables; None learns the tenant's limit (/limits, 429s).",
    )
    rate_limit_burst: int = Field(10, ge=1, description="Requests that may go out at once before pacing starts.")
    read_only: bool = Field(False, description="Refuse every request that could change something.")
    audit_log_path: str | None = Field(
        DEFAULT_AUDIT_LOG, description="JSONL file that records every mutation; None disables it."
    )
    actor: str | None = Field(None, description="Who is acting, for audit lines (default: the API user, if known).")
    breaker_failure_threshold: int = Field(5, ge=1, description="Failures in the window before the breaker opens.")
    breaker_failure_ratio: float = Field(0.5, gt=0, le=1, description="Failure share of the window that opens it.")
    breaker_window: int = Field(10, ge=1, description="Number of recent calls the breaker looks at.")
    breaker_cooldown_s: float = Field(30.0, gt=0, description="Seconds the breaker stays open before one probe.")
    token_refresh_margin_s: float = Field(300.0, ge=0, description="Renew a session token this long before expiry.")

    @field_validator("api_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, e.g. https://dataops.nexla.io/nexla-api")
        return value

    @field_validator("service_key", "access_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str):
            return value.strip()
        return value

    @model_validator(mode="after")
    def _exactly_one_credential(self) -> Settings:
        if self.service_key is not None and self.access_token is not None:
            raise ConfigError(
                "Both NEXLA_SERVICE_KEY and NEXLA_ACCESS_TOKEN are set; set only one "
                "(NEXLA_SERVICE_KEY is preferred because its session tokens renew automatically)."
            )
        if self.service_key is None and self.access_token is None:
            raise ConfigError(
                "No Nexla credentials: set NEXLA_SERVICE_KEY (preferred) or NEXLA_ACCESS_TOKEN, "
                "and NEXLA_API_URL if you are not on https://dataops.nexla.io/nexla-api."
            )
        if self.breaker_failure_threshold > self.breaker_window:
            raise ConfigError(
                "NEXLA_BREAKER_FAILURES must not exceed NEXLA_BREAKER_WINDOW "
                f"({self.breaker_failure_threshold} > {self.breaker_window}).",
                hint="Lower NEXLA_BREAKER_FAILURES or raise NEXLA_BREAKER_WINDOW.",
            )
        return self

    @property
    def auth_mode(self) -> str:
        """``"service_key"`` or ``"access_token"``."""
        return "service_key" if self.service_key is not None else "access_token"

    @property
    def audit_file(self) -> Path | None:
        """The audit log path with ``~`` expanded, or ``None`` when auditing to a file is off."""
        return Path(self.audit_log_path).expanduser() if self.audit_log_path else None

    def secret_values(self) -> tuple[str, ...]:
        """The raw secrets these settings hold (for scrubbing output)."""
        return tuple(s.get_secret_value() for s in (self.service_key, self.access_token) if s is not None)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``env`` (default ``os.environ``), then apply keyword ``overrides``.

        Passing ``service_key`` or ``access_token`` as an override ignores both auth variables
        in the environment, so an explicit credential never conflicts with an inherited one.
        Raises :class:`ConfigError` naming the variable when a value is missing or malformed.
        """
        source = os.environ if env is None else env
        unknown = set(overrides) - set(cls.model_fields)
        if unknown:
            raise ConfigError(
                f"Unknown setting(s): {', '.join(sorted(unknown))}.",
                hint=f"Valid settings: {', '.join(cls.model_fields)}.",
            )
        values: dict[str, Any] = {}
        explicit_auth = "service_key" in overrides or "access_token" in overrides
        for field, (var, parse) in ENV_VARS.items():
            if explicit_auth and field in ("service_key", "access_token"):
                continue
            raw = source.get(var)
            if raw is None or (raw.strip() == "" and field != "audit_log_path"):
                continue
            try:
                values[field] = parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{var} has an invalid value: {exc}.", hint=f"Fix or unset {var}.") from None
        values.update(overrides)
        return cls.build(values)

    @classmethod
    def build(cls, values: Mapping[str, Any]) -> Settings:
        """Validate ``values`` into settings, turning pydantic errors into a ConfigError naming the variable."""
        try:
            return cls(**values)
        except PydanticValidationError as exc:
            problems = []
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else "settings"
                var = ENV_VARS.get(field, (field, None))[0]
                problems.append(f"{var} ({field}): {err['msg']}")
            raise ConfigError(
                "Invalid Nexla client settings: " + "; ".join(problems) + ".",
                hint="Fix the named environment variable or argument.",
            ) from None


__all__ = ["DEFAULT_API_URL", "DEFAULT_AUDIT_LOG", "ENV_VARS", "Settings"]
