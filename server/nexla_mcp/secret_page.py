"""A loopback page where the user types a secret the model must never see (URL-mode elicitation).

The server process serves it itself (Starlette on uvicorn, started on first use): bound to
127.0.0.1 on a random port, one page per secret asked, at ``/secret/<token>`` where the token is
256 random bits, so the URL is the capability. The form carries a second random value (the form
token) that only a reader of the page learns; a POST needs both, must be a same-origin form
(an ``Origin`` header, when sent, must be this page's own), and consumes the page: a second POST,
a wrong token or an expired page gets 404. Responses never contain the value, are not cached, not
framed and send no referrer. uvicorn's access log is off (it would print the token) and logging is
left to the server's own configuration, so nothing reaches stdout, which belongs to the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import uvicorn
from nexla_ops.redaction import register_secret
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

logger = logging.getLogger("nexla_mcp")

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
}
MAX_BODY = 64 * 1024


class PageExpired(Exception):
    """The user did not submit the page in time; the page is gone."""


@dataclass
class Pending:
    """One secret asked: its page's token, the form token, and the future the submission fills."""

    label: str
    path: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    form_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    answer: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:36em;margin:3em auto}input{width:100%;padding:.4em}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=HEADERS)


def _gone() -> HTMLResponse:
    return _page("Link not valid", "<p>This link was used already, has expired, or never existed. "
                 "Ask for a new one in the conversation.</p>", 404)


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handling: the MCP server owns the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class SecretPage:
    """The page server of one MCP server; ``open`` a page per secret, ``wait`` for its submission."""

    def __init__(self) -> None:
        self._pending: dict[str, Pending] = {}
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.origin = ""

    def _app(self) -> Starlette:
        return Starlette(routes=[Route("/secret/{token}", self._handle, methods=["GET", "POST"])])

    async def start(self) -> None:
        """Serve on 127.0.0.1 at a random port (once; later calls reuse it)."""
        async with self._lock:
            if self._server is not None:
                return
            config = uvicorn.Config(self._app(), host="127.0.0.1", port=0, access_log=False, log_config=None,
                                    lifespan="off", log_level="warning")
            server = _QuietServer(config)
            self._task = asyncio.create_task(server.serve())
            while not server.started:
                if self._task.done():
                    self._task.result()
                    raise RuntimeError("the secret page server stopped at start-up")
                await asyncio.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            self.origin = f"http://127.0.0.1:{port}"
            self._server = server

    async def close(self) -> None:
        """Stop serving and forget every open page (their waits end with PageExpired)."""
        for pending in list(self._pending.values()):
            self.discard(pending)
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None

    async def open(self, label: str, field_path: str, ttl_s: float) -> Pending:
        """A new page asking for ``label`` (for spec field ``field_path``), closed after ``ttl_s`` seconds."""
        await self.start()
        pending = Pending(label=label, path=field_path)
        self._pending[pending.token] = pending
        asyncio.get_running_loop().call_later(ttl_s, self.discard, pending)
        return pending

    def url(self, pending: Pending) -> str:
        return f"{self.origin}/secret/{pending.token}"

    def discard(self, pending: Pending) -> None:
        """Close ``pending``'s page (expired, declined, or the server stops); its link stops working."""
        self._pending.pop(pending.token, None)
        if not pending.answer.done():
            pending.answer.cancel()

    async def wait(self, pending: Pending) -> str:
        """The value the user submitted; PageExpired when the page closed first (it is closed either way)."""
        try:
            return await asyncio.shield(pending.answer)
        except asyncio.CancelledError:
            # The page's own future was cancelled (expiry, shutdown): not this task being cancelled.
            if pending.answer.cancelled():
                raise PageExpired() from None
            raise
        finally:
            self.discard(pending)

    async def _handle(self, request: Request) -> Response:
        pending = self._pending.get(request.path_params["token"])
        if pending is None or pending.answer.done():
            return _gone()
        if request.method == "GET":
            return self._form(pending)
        origin = request.headers.get("origin")
        if (origin is not None and origin != self.origin) or request.headers.get("sec-fetch-site") == "cross-site":
            return _page("Refused", "<p>This form accepts submissions from its own page only.</p>", 403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            return _page("Refused", "<p>Submit the form on this page.</p>", 415)
        body = await request.body()
        if len(body) > MAX_BODY:
            return _page("Refused", "<p>That is too long for a secret.</p>", 413)
        form = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        given_token = (form.get("form_token") or [""])[0]
        if not secrets.compare_digest(given_token.encode(), pending.form_token.encode()):
            return _page("Refused", "<p>This submission did not come from the page. Reload it and try again.</p>",
                         403)
        value = (form.get("value") or [""])[0]
        if not value:
            return self._form(pending, problem="Type the value, then submit.")
        register_secret(value)
        # The page is single-use: gone before the waiting tool call even resumes.
        self._pending.pop(pending.token, None)
        pending.answer.set_result(value)
        logger.info("secret for %s received on the loopback page", pending.path)
        return _page("Received", "<p>Thank you. The value was received; you can close this page and go back "
                     "to the conversation.</p>")

    def _form(self, pending: Pending, problem: str = "") -> HTMLResponse:
        note = f"<p><strong>{html.escape(problem)}</strong></p>" if problem else ""
        body = (
            f"<p>The Nexla MCP server needs <strong>{html.escape(pending.label)}</strong> "
            f"(spec field <code>{html.escape(pending.path)}</code>). It stays in the server's memory; "
            "the assistant never sees it.</p>"
            f"{note}<form method=post action='/secret/{html.escape(pending.token)}'>"
            f"<input type=hidden name=form_token value='{html.escape(pending.form_token)}'>"
            "<p><input type=password name=value autocomplete=off autofocus required></p>"
            "<p><button type=submit>Send to the server</button></p></form>"
        )
        return _page("Secret for a Nexla deployment", body)


@dataclass
class SecretDesk:
    """This server's out-of-band secrets: the page, the values given, the rounds waiting for a retry."""

    page: SecretPage = field(default_factory=SecretPage)
    given: dict[tuple[str, str], str] = field(default_factory=dict)
    rounds: dict[str, dict[str, Pending]] = field(default_factory=dict)

    def values(self, deployment: str) -> dict[str, str]:
        return {label: value for (name, label), value in self.given.items() if name == deployment}

    def forget(self, deployment: str) -> None:
        for key in [key for key in self.given if key[0] == deployment]:
            del self.given[key]

    async def close(self) -> None:
        self.given.clear()
        self.rounds.clear()
        await self.page.close()


__all__ = ["PageExpired", "Pending", "SecretDesk", "SecretPage"]
