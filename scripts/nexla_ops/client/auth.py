"""Session-token bookkeeping (pure state; the sync and async clients do the exchange I/O).

Service-key mode: the key is exchanged at ``POST /token`` (``Authorization: Basic <raw key>``) and
the session token is reused until ``refresh_margin_s`` before it expires. A token that lives less
than twice the margin is renewed at half its lifetime instead, so a short-lived token is not
re-exchanged before every request (a flaw of the official SDK's 3600 s margin).
Access-token mode: the token is used as is and never renewed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..config import Settings
from ..errors import AuthenticationError
from ..redaction import register_secret

DEFAULT_EXPIRES_IN_S = 86400.0


class TokenCache:
    """Holds the current bearer token and decides when a new exchange is needed."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        self.exchanges = 0
        if settings.access_token is not None:
            self._token = settings.access_token.get_secret_value()
            self._renew_at = float("inf")
        for secret in settings.secret_values():
            register_secret(secret)

    @property
    def service_key_mode(self) -> bool:
        return self._settings.service_key is not None

    def basic_authorization(self) -> str:
        """``Authorization`` header value for ``POST /token`` (the key as issued, not base64-encoded)."""
        if self._settings.service_key is None:
            raise AuthenticationError("No service key to exchange; this client was given an access token.")
        return f"Basic {self._settings.service_key.get_secret_value()}"

    def current(self) -> str | None:
        """The token to send, or ``None`` when a (re-)exchange is needed first."""
        with self._lock:
            if self._token is not None and self._clock() < self._renew_at:
                return self._token
            return None

    def store(self, body: Any) -> str:
        """Keep the token from a ``POST /token`` response body and return it."""
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                "POST /token answered without an access_token; NEXLA_API_URL may not point at a Nexla API.",
                hint="Check NEXLA_API_URL (it should end in /nexla-api).",
            )
        try:
            lifetime = float(body.get("expires_in") or DEFAULT_EXPIRES_IN_S)
        except (TypeError, ValueError):
            lifetime = DEFAULT_EXPIRES_IN_S
        margin = min(self._settings.token_refresh_margin_s, lifetime / 2)
        register_secret(token)
        with self._lock:
            self._token = token
            self._renew_at = self._clock() + lifetime - margin
            self.exchanges += 1
        return token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after the server rejected it (only if no other caller replaced it already)."""
        with self._lock:
            if self.service_key_mode and self._token == token:
                self._token = None
                self._renew_at = 0.0
