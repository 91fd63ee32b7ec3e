"""A user at the server's secret page: answers URL-mode elicitation by typing the value there.

``SecretTyper`` is an MCP client ``elicitation_callback``. For a URL-mode request it finds which
label the message asks for, opens the page (GET, which carries the form token), posts the value
as the page's form would, and then answers ``accept``; form-mode requests go to ``form`` when
given (e.g. a destroy confirmation), else are declined. Use it as::

    typer = SecretTyper({"S3 secret key": "typed-on-the-page"})
    async with connect(settings, elicitation_callback=typer) as client: ...
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import httpx
from mcp.types import ElicitRequestFormParams, ElicitRequestParams, ElicitRequestURLParams, ElicitResult

FORM_TOKEN = re.compile(r"name=form_token value='([^']+)'")
FormAnswer = Callable[[Any, ElicitRequestFormParams], Awaitable[ElicitResult]]


def form_token(page: str) -> str:
    found = FORM_TOKEN.search(page)
    assert found, "the secret page has no form token"
    return found.group(1)


async def post_secret(url: str, value: str) -> httpx.Response:
    """Open the page at ``url`` and submit ``value`` through its form, like a user in a browser."""
    async with httpx.AsyncClient(timeout=10) as http:
        page = await http.get(url)
        page.raise_for_status()
        origin = str(httpx.URL(url).copy_with(path="/", query=None)).rstrip("/")
        return await http.post(url, data={"form_token": form_token(page.text), "value": value},
                               headers={"Origin": origin})


class SecretTyper:
    """Elicitation callback: types ``values[label]`` on the page a URL elicitation names.

    ``action`` is what the client answers (``decline``/``cancel`` post nothing); ``submit=False``
    accepts without typing (the user opened the page and walked away). ``urls`` and ``messages``
    record every URL request seen.
    """

    def __init__(
        self,
        values: Mapping[str, str],
        *,
        action: Literal["accept", "decline", "cancel"] = "accept",
        submit: bool = True,
        form: FormAnswer | None = None,
    ) -> None:
        self.values = dict(values)
        self.action = action
        self.submit = submit
        self.form = form
        self.urls: list[str] = []
        self.messages: list[str] = []
        self.responses: list[httpx.Response] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        if not isinstance(params, ElicitRequestURLParams):
            if self.form is not None:
                return await self.form(context, params)
            return ElicitResult(action="decline")
        self.urls.append(params.url)
        self.messages.append(params.message)
        if self.action == "accept" and self.submit:
            label = max((label for label in self.values if label in params.message), key=len, default=None)
            assert label is not None, f"no value for: {params.message}"
            response = await post_secret(params.url, self.values[label])
            self.responses.append(response)
            assert response.status_code == 200, response.text
        return ElicitResult(action=self.action)


__all__ = ["SecretTyper", "form_token", "post_secret"]
