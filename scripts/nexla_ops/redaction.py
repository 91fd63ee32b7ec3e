"""Keep secrets out of anything shown to a person or an agent.

Two tools:

* :func:`redact` deep-copies JSON-like data and replaces the value of every key that looks
  secret (passwords, tokens, keys, credential blobs, webhook keys, ...) with ``***REDACTED***``.
* :func:`scrub_text` removes secret *values* from free text: every value registered with
  :func:`register_secret` (the client registers the service key and each session token),
  any ``extra_secrets`` passed in, ``Bearer``/``Basic`` authorization values,
  ``api_key=``/``token=``-style query parameters, and the password of any URL that carries one
  (``postgres://user:PASSWORD@host`` keeps ``user`` and ``host``).

Both are applied by the client to error messages, error bodies and audit lines; callers use
:func:`redact` on any resource they print.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***REDACTED***"

# Values shorter than this are never registered: scrubbing "ab" out of every message would
# destroy text without protecting anything worth protecting.
_MIN_SECRET_LENGTH = 6

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api_?keys?|access_?key|private_?key|service_?key|webhook_?key"
    r"|client_?key|authorization|^auth$|cookie|session_?id|signature|credentials?$|_key$|^key$|^pwd$|dsn"
    r"|connection_?string|service_?account_?json|credentials?_json)",
    re.IGNORECASE,
)
# Keys that match the pattern above by accident: identifiers, types, timestamps and a few
# well-known non-secret names from the Nexla API.
_NOT_SECRET_KEY = re.compile(
    r"(_ids?$|_type$|_at$|_count$|_in$|_version$|non_secure|^token_type$|^(primary|partition|sort|foreign|map_primary)_key$"
    r"|^key_columns$)",
    re.IGNORECASE,
)

_AUTH_VALUE = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=:-]+", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"([?&;\s\"'](?:api_?key|access_?token|token|password|secret|service_?key|key|signature)=)[^&\s\"']+",
    re.IGNORECASE,
)
# scheme://user:password@host: the password is whatever lies between the first ':' after the
# authority starts and the last '@' before the host, so a password containing '@' or ':' goes whole.
_URL_PASSWORD = re.compile(
    r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@\"'<>]*:)([^\s/?#\"'<>]*)(@[^\s@/?#\"'<>:]+)"
)
_JSON_SECRET = re.compile(
    r"(\"(?:password|secret|token|access_token|api_key|service_key|secret_access_key|client_secret"
    r"|private_key|webhook_key)\"\s*:\s*\")[^\"]*(\")",
    re.IGNORECASE,
)

_registry_lock = threading.Lock()
_registered: set[str] = set()


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a value that must not be displayed."""
    return bool(_SECRET_KEY.search(key)) and not _NOT_SECRET_KEY.search(key)


def register_secret(value: str | None) -> None:
    """Remember a secret value so that every later :func:`scrub_text` call removes it."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _registry_lock:
            _registered.add(value)


def register_secrets_in(obj: Any) -> None:
    """Register every string value found under a secret-looking key of JSON-like ``obj``.

    The client calls this on request bodies, so a credential secret it sends is scrubbed from
    anything it later shows, even if a server echoes it back in an error message. Passwords of
    URLs anywhere in ``obj`` are registered too.
    """
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if isinstance(key, str) and is_secret_key(key):
                for leaf in _string_leaves(value):
                    register_secret(leaf)
            else:
                register_secrets_in(value)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            register_secrets_in(item)
    elif isinstance(obj, str) and "@" in obj:
        # A URL's password sent under an ordinary key ("url", "host") is a secret too, and a
        # server may echo it without its URL around it.
        for match in _URL_PASSWORD.finditer(obj):
            register_secret(match.group(2))


def _string_leaves(obj: Any) -> Iterable[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for value in obj.values():
            yield from _string_leaves(value)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _string_leaves(item)


def scrub_text(text: str, extra_secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with known secret values, auth header values and secret query params removed."""
    if not text:
        return text
    with _registry_lock:
        secrets = set(_registered)
    secrets.update(s for s in extra_secrets if s and len(s) >= _MIN_SECRET_LENGTH)
    # Longest first, so a secret that contains another is removed whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _JSON_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(2)}", text)


def redact(obj: Any, extra_secrets: Iterable[str | None] = ()) -> Any:
    """Deep copy of JSON-like ``obj`` with secret-looking keys' values replaced by ``***REDACTED***``.

    Strings elsewhere are passed through :func:`scrub_text`, so a token echoed inside a
    message or URL is removed too. Pydantic models are dumped to dicts first.
    """
    extras = tuple(extra_secrets)
    return _redact(obj, extras)


def _conceals(value: Any) -> bool:
    """Whether a value under a secret-looking key must be hidden.

    Numbers and booleans are counts and flags (``data_credentials: 3``, ``probe_credentials: true``),
    and a list of records is a listing (a health
    report's ``credentials``, a source's ``api_keys``) whose fields are checked one by one instead.
    """
    if value in (None, "", [], {}) or isinstance(value, bool | int | float):
        return False
    return not (isinstance(value, list) and all(isinstance(item, Mapping) for item in value))


def _redact(obj: Any, extras: tuple[str | None, ...]) -> Any:
    if hasattr(obj, "model_dump") and callable(obj.model_dump):
        obj = obj.model_dump(mode="json", by_alias=True)
    if isinstance(obj, Mapping):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            if isinstance(key, str) and is_secret_key(key) and _conceals(value):
                out[key] = REDACTED
            else:
                out[key] = _redact(value, extras)
        return out
    if isinstance(obj, (list, tuple)):
        return [_redact(item, extras) for item in obj]
    if isinstance(obj, str):
        return scrub_text(obj, extras)
    return obj


class SecretScrubbingFilter(logging.Filter):
    """Logging filter that scrubs registered secrets from every record it sees.

    Install it on a handler (``handler.addFilter(SecretScrubbingFilter())``) to make sure no
    library or third-party log line prints a token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = scrub_text(message)
        record.args = None
        return True
