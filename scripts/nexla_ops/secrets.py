"""Where a credential's secret values come from: never the spec, never the conversation.

A secret field of a deployment spec names a source instead of holding a value:

* ``{from_env: VAR}``: an environment variable of the process using the spec;
* ``{from_keyring: NAME}``: an entry in the OS keyring (``keyring`` package), service
  ``NEXLA_KEYRING_SERVICE`` (default ``nexla-ops``), user name ``NAME``; store one with
  ``keyring set nexla-ops NAME``;
* ``{from_dotenv: {file: PATH, key: KEY}}``: a key of a ``.env`` file the user points at;
* ``{from_user: LABEL}``: typed by the user when the spec is used. Only a face that can ask a
  human out of band supplies it (the MCP server, through a loopback page it opens with URL-mode
  elicitation; see ``nexla_mcp.secret_page``), with :func:`given_secrets` around the operation.
  Anywhere else it is an error saying which other source to use.

A literal value in a secret field (any field :func:`nexla_ops.redaction.is_secret_key` calls
secret, the rule that redacts it everywhere) is refused with this list.

Whoever runs an operation can narrow ``from_env`` with :func:`secret_policy`: the MCP server does,
so a tool caller reads only variables with an allowed prefix (``NEXLA_MCP_SECRET_ENV_PREFIXES``,
default ``NEXLA_SECRET_``) and only into secret fields, and cannot copy the server's environment
into a readable field. Scripts run with the user's own environment and keep the open default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nexla_ops.redaction import is_secret_key, register_secret
from pydantic import BaseModel, ConfigDict, Field

KEYRING_SERVICE = "nexla-ops"
DEFAULT_MCP_ENV_PREFIXES = ("NEXLA_SECRET_",)
HOW_TO = (
    "write it as {from_env: VAR}, {from_keyring: NAME} (store it with `keyring set nexla-ops NAME`), "
    "{from_dotenv: {file: PATH, key: KEY}} or, through the MCP server, {from_user: LABEL} (the user types it "
    "on a private page), so the value never appears in the spec or the conversation"
)


class _Ref(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvRef(_Ref):
    """A value read from an environment variable when the spec is used, so the file holds no secret."""

    from_env: str = Field(min_length=1, description="Name of the environment variable holding the value.")


class KeyringRef(_Ref):
    """A value read from the OS keyring (service nexla-ops, this user name)."""

    from_keyring: str = Field(min_length=1, description="Keyring entry name (user name under service nexla-ops).")


class DotenvEntry(_Ref):
    file: str = Field(min_length=1, description="Path of the .env file.")
    key: str = Field(min_length=1, description="Key in that file.")


class DotenvRef(_Ref):
    """A value read from a key of a .env file."""

    from_dotenv: DotenvEntry


class UserRef(_Ref):
    """A value the user types out of band when the spec is used (through the MCP server only)."""

    from_user: str = Field(
        min_length=1, max_length=200,
        description="What to ask for, shown to the user, e.g. 'password of the orders database'.",
    )


SecretRef = EnvRef | KeyringRef | DotenvRef | UserRef
SECRET_REFS = (EnvRef, KeyringRef, DotenvRef, UserRef)
_TAGS = {"from_env": "env-ref", "from_keyring": "keyring-ref", "from_dotenv": "dotenv-ref", "from_user": "user-ref"}


def ref_tag(value: Any) -> str:
    """The union tag of a field value: which source it names, or ``literal``."""
    if isinstance(value, SECRET_REFS):
        return _TAGS[next(iter(type(value).model_fields))]
    if isinstance(value, dict):
        return next((tag for key, tag in _TAGS.items() if key in value), "env-ref")
    return "literal"


_REF_TYPES: dict[str, type[EnvRef | KeyringRef | DotenvRef | UserRef]] = {
    "env-ref": EnvRef, "keyring-ref": KeyringRef, "dotenv-ref": DotenvRef, "user-ref": UserRef,
}


def as_secret_ref(value: Any) -> SecretRef | None:
    """``value`` as a secret reference (a parsed ref, or plain data such as ``{from_env: VAR}``), else None."""
    if isinstance(value, SECRET_REFS):
        return value
    if isinstance(value, Mapping) and any(key in value for key in _TAGS):
        return _REF_TYPES[ref_tag(dict(value))].model_validate(dict(value))
    return None


class SecretSourceError(ValueError):
    """A secret could not be read from the source named, or may not be read from it here."""


@dataclass(frozen=True)
class SecretPolicy:
    """``env_prefixes`` None: any variable into any field; otherwise only these prefixes, only into secret fields."""

    env_prefixes: tuple[str, ...] | None = None


_POLICY: ContextVar[SecretPolicy] = ContextVar("nexla_secret_policy", default=SecretPolicy())
_GIVEN: ContextVar[Mapping[str, str] | None] = ContextVar("nexla_given_secrets", default=None)


@contextmanager
def secret_policy(policy: SecretPolicy) -> Iterator[None]:
    """Apply ``policy`` to every secret resolved inside the block (this task and the tasks it starts)."""
    token = _POLICY.set(policy)
    try:
        yield
    finally:
        _POLICY.reset(token)


@contextmanager
def given_secrets(values: Mapping[str, str]) -> Iterator[None]:
    """Answer every ``{from_user: LABEL}`` resolved inside the block from ``values`` (label -> value)."""
    for value in values.values():
        register_secret(value)
    token = _GIVEN.set(values)
    try:
        yield
    finally:
        _GIVEN.reset(token)


def alternatives(field: str, name: str | None = None, policy: SecretPolicy | None = None) -> str:
    """The other ways to give secret ``field`` (of deployment ``name``), with concrete names to use."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{name}_{field}" if name else field).strip("_")
    prefixes = (policy or _POLICY.get()).env_prefixes
    variable = f"{(prefixes or DEFAULT_MCP_ENV_PREFIXES)[0]}{slug.upper()}"
    return (
        f"store it in the OS keyring (`keyring set {KEYRING_SERVICE} {slug.lower()}`) and write "
        f"{{from_keyring: {slug.lower()}}}, or put {slug.upper()}=... in a .env file and write "
        f"{{from_dotenv: {{file: PATH, key: {slug.upper()}}}}}, or have the operator export {variable} "
        f"before starting the server and write {{from_env: {variable}}}"
    )


def mcp_policy(environ: Mapping[str, str] | None = None) -> SecretPolicy:
    """The MCP server's policy: prefixes from ``NEXLA_MCP_SECRET_ENV_PREFIXES`` (comma-separated)."""
    raw = (os.environ if environ is None else environ).get("NEXLA_MCP_SECRET_ENV_PREFIXES")
    prefixes = tuple(p.strip() for p in raw.split(",") if p.strip()) if raw else DEFAULT_MCP_ENV_PREFIXES
    return SecretPolicy(env_prefixes=prefixes)


def literal_secret_message(field: str) -> str | None:
    """Why a literal value may not stand in field ``field`` (None when the field is not secret)."""
    if not is_secret_key(field):
        return None
    return f"{field} is a secret: do not write its value here; {HOW_TO}"


def _from_env(ref: EnvRef, field: str, environ: Mapping[str, str]) -> str:
    policy = _POLICY.get()
    if policy.env_prefixes is not None:
        if not is_secret_key(field):
            raise SecretSourceError(f"from_env fills only secret fields here; {field} is not one (write its value)")
        if not ref.from_env.startswith(policy.env_prefixes):
            allowed = ", ".join(f"{p}*" for p in policy.env_prefixes)
            raise SecretSourceError(
                f"environment variable {ref.from_env} is not allowed here (allowed: {allowed}); "
                "use from_keyring or from_dotenv, or ask the operator to export it under an allowed prefix"
            )
    found = environ.get(ref.from_env)
    if not found:
        raise SecretSourceError(f"environment variable {ref.from_env} is not set")
    return found


def _from_keyring(ref: KeyringRef, environ: Mapping[str, str]) -> str:
    import keyring
    from keyring.errors import KeyringError

    service = environ.get("NEXLA_KEYRING_SERVICE") or KEYRING_SERVICE
    try:
        found = keyring.get_password(service, ref.from_keyring)
    except KeyringError as error:
        raise SecretSourceError(f"the OS keyring could not be read ({type(error).__name__})") from None
    if not found:
        raise SecretSourceError(
            f"keyring entry {ref.from_keyring!r} (service {service}) is not set; store it with "
            f"`keyring set {service} {ref.from_keyring}`"
        )
    return found


def _from_dotenv(ref: DotenvRef) -> str:
    from dotenv import dotenv_values

    path = Path(ref.from_dotenv.file).expanduser()
    if not path.is_file():
        raise SecretSourceError(f".env file {ref.from_dotenv.file} does not exist")
    found = dotenv_values(path).get(ref.from_dotenv.key)
    if not found:
        raise SecretSourceError(f"key {ref.from_dotenv.key} is not set in {ref.from_dotenv.file}")
    return found


def not_secret_message(field: str) -> str | None:
    """Why ``{from_user: ...}`` may not fill ``field`` (None when it may): a readable field takes its value
    as written, and a typed value must never land where anyone can read it back."""
    if is_secret_key(field):
        return None
    return f"from_user fills only secret fields; {field} is not one (write its value)"


def _from_user(ref: UserRef, field: str) -> str:
    refused = not_secret_message(field)
    if refused:
        raise SecretSourceError(refused)
    found = (_GIVEN.get() or {}).get(ref.from_user)
    if not found:
        raise SecretSourceError(
            f"{field} is asked from the user ({ref.from_user!r}), which only the MCP server can do, with a client "
            f"that supports URL elicitation; otherwise {alternatives(field)}"
        )
    return found


def resolve_secret(ref: SecretRef, field: str, environ: Mapping[str, str] | None = None) -> str:
    """The value ``ref`` names for ``field`` (registered for scrubbing); SecretSourceError says what is missing."""
    env = os.environ if environ is None else environ
    if isinstance(ref, EnvRef):
        value = _from_env(ref, field, env)
    elif isinstance(ref, KeyringRef):
        value = _from_keyring(ref, env)
    elif isinstance(ref, UserRef):
        value = _from_user(ref, field)
    else:
        value = _from_dotenv(ref)
    register_secret(value)
    return value


__all__ = [
    "SECRET_REFS",
    "DotenvEntry",
    "DotenvRef",
    "EnvRef",
    "KeyringRef",
    "SecretPolicy",
    "SecretRef",
    "SecretSourceError",
    "UserRef",
    "alternatives",
    "as_secret_ref",
    "given_secrets",
    "literal_secret_message",
    "mcp_policy",
    "not_secret_message",
    "ref_tag",
    "resolve_secret",
    "secret_policy",
]
