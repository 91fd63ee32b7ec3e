"""Streamable HTTP transport, safe by default.

* Bound to loopback unless told otherwise; binding elsewhere without ``NEXLA_MCP_HTTP_TOKEN``
  refuses to start.
* Every request needs ``Authorization: Bearer <token>`` (401 otherwise; the scheme is
  case-insensitive as HTTP auth schemes are). A configured token shorter than
  :data:`MIN_TOKEN_LENGTH` characters refuses to start. On loopback without a configured token a
  random one is generated and printed to stderr once.
* DNS-rebinding protection: a Host header not in the allow list gets 421 and a foreign Origin
  gets 403 (the SDK's transport security). Extra names for proxies come from
  ``NEXLA_MCP_ALLOWED_HOSTS`` / ``NEXLA_MCP_ALLOWED_ORIGINS`` (comma-separated).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
from collections.abc import Sequence

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# 24 characters of a random alphabet is over 128 bits; shorter tokens can be guessed.
MIN_TOKEN_LENGTH = 24


class HttpConfigError(ValueError):
    """The HTTP transport settings are unsafe or malformed; the server does not start."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, configured: str | None) -> tuple[str, bool]:
    """The bearer token to require and whether it was generated here.

    Raises :class:`HttpConfigError` for a non-loopback bind without a configured token, or a
    configured token shorter than :data:`MIN_TOKEN_LENGTH`.
    """
    if configured and configured.strip():
        token = configured.strip()
        if len(token) < MIN_TOKEN_LENGTH:
            raise HttpConfigError(
                f"NEXLA_MCP_HTTP_TOKEN is {len(token)} characters; use at least {MIN_TOKEN_LENGTH} random characters "
                "(e.g. openssl rand -hex 32)"
            )
        return token, False
    if not is_loopback(host):
        raise HttpConfigError(
            f"refusing to listen on {host} without a bearer token: set NEXLA_MCP_HTTP_TOKEN "
            "(a long random string) or bind to 127.0.0.1"
        )
    return secrets.token_urlsafe(32), True


class BearerTokenMiddleware:
    """Pure ASGI middleware: 401 unless the request carries the expected bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    def _authorized(self, header: bytes) -> bool:
        scheme, _, supplied = header.strip().partition(b" ")
        # Compare even on a wrong scheme so timing says nothing about which part was wrong.
        matches = hmac.compare_digest(supplied.strip(), self._expected)
        return scheme.lower() == b"bearer" and matches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = dict(scope.get("headers") or []).get(b"authorization", b"")
        if not self._authorized(supplied):
            body = json.dumps(
                {"error": "unauthorized", "message": "missing or wrong bearer token",
                 "hint": "Send Authorization: Bearer <NEXLA_MCP_HTTP_TOKEN>."}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer realm="nexla-mcp"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def transport_security(
    host: str, extra_hosts: Sequence[str] = (), extra_origins: Sequence[str] = ()
) -> TransportSecuritySettings:
    """Host/Origin allow lists: loopback names, the bound host, plus any extras."""
    names = list(dict.fromkeys([*LOOPBACK_NAMES, host]))
    hosts = [f"[{n}]:*" if ":" in n else f"{n}:*" for n in names]
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *extra_hosts],
        allowed_origins=[*origins, *extra_origins],
    )


def http_app(
    server: MCPServer,
    *,
    host: str,
    token: str,
    extra_hosts: Sequence[str] = (),
    extra_origins: Sequence[str] = (),
    path: str = "/mcp",
) -> ASGIApp:
    """The ASGI app serving ``server`` at ``path`` behind the token and Host/Origin checks."""
    app = server.streamable_http_app(
        streamable_http_path=path, transport_security=transport_security(host, extra_hosts, extra_origins), host=host
    )
    app.add_middleware(BearerTokenMiddleware, token=token)
    return app
