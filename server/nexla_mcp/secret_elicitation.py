"""Secrets the user types out of band: ``{from_user: LABEL}`` fields of a spec, asked by URL elicitation.

Before a tool that resolves a spec's secrets runs (validate_deployment, apply_deployment), every
``{from_user: LABEL}`` of a credential the spec defines is looked up in this server's memory (and
likewise rotate_credential's ``fields_from_user``, kept per credential). Each
one missing gets a page of :class:`~nexla_mcp.secret_page.SecretPage` and a URL-mode elicitation
naming the label and the spec field; the client shows the link, the user types the value there,
and the tool call continues with it. The value goes from the page into server memory only: it is
registered for scrubbing (output, logs, audit, errors), handed to the operation through
:func:`nexla_ops.secrets.given_secrets`, never sent to the client. It is kept for the server's
session under (deployment name, label), so validate then apply asks once, and forgotten when an
apply succeeds (the credential then exists; its secrets are not sent again).

Both protocol generations the SDK speaks are served: on 2026-07-28 the elicitations travel as an
``input_required`` round of the same tool call (the client answers, then retries); on 2025-11-25
and earlier as ``elicitation/create`` requests mid-call. The client's answer only says whether the
user agreed to open the page; the call then waits for the page's submission
(``NEXLA_MCP_SECRET_TIMEOUT_S``, default 300 s). Decline, cancel or timeout refuse the call before
the operation starts, so nothing is created. A client that did not declare URL elicitation gets an
error naming, per field, the keyring entry, ``.env`` key or environment variable to use instead.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from mcp_types import ElicitRequest, ElicitRequestURLParams, ElicitResult, InputRequest, InputRequiredResult
from mcp_types.version import is_version_at_least
from nexla_ops.operations.credentials import RotationRequest
from nexla_ops.operations.deploy import CredentialDef, FlowSpec, SpecError, SpecIssue
from nexla_ops.operations.deploy.state import credential_keys
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.secrets import UserRef, alternatives, given_secrets, not_secret_message

from .registry import ToolName
from .runtime import Call, app_state, error_result, invoke
from .secret_page import PageExpired, Pending, SecretDesk
from .tasks import current_task

logger = logging.getLogger("nexla_mcp")

DEFAULT_TIMEOUT_S = 300.0
# The first protocol revision where a tool asks through an input_required round (no mid-call requests).
_INPUT_REQUIRED_VERSION = "2026-07-28"
T = TypeVar("T")


@dataclass(frozen=True)
class AskedSecret:
    """One secret the user types: where it is in the call's input, which field, what the user is asked."""

    path: str
    field: str
    label: str


def _checked(asked: list[AskedSecret]) -> list[AskedSecret]:
    """``asked``, one per label; SpecError (before anyone is asked) when one fills a readable field."""
    refused = [SpecIssue(path=item.path, message=message) for item in asked
               if (message := not_secret_message(item.field))]
    if refused:
        raise SpecError(refused)
    unique: dict[str, AskedSecret] = {}
    for item in asked:
        unique.setdefault(item.label, item)
    return list(unique.values())


def asked_secrets(spec: FlowSpec) -> list[AskedSecret]:
    """The ``from_user`` fields of the credentials ``spec`` defines, one per label."""
    return _checked([
        AskedSecret(path=f"{path}.fields.{key}", field=key, label=value.from_user)
        for path, credential in credential_keys(spec) if isinstance(credential, CredentialDef)
        for key, value in credential.fields.items() if isinstance(value, UserRef)
    ])


def timeout_s() -> float:
    raw = os.environ.get("NEXLA_MCP_SECRET_TIMEOUT_S")
    return float(raw) if raw else DEFAULT_TIMEOUT_S


def can_elicit_url(ctx: Context) -> bool:
    """True when the client declared URL-mode elicitation."""
    try:
        capabilities = ctx.client_capabilities
    except ValueError:
        return False
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and elicitation.url is not None


@dataclass(frozen=True)
class Asking:
    """What one call needs typed: ``scope`` keys the values kept (a deployment name, a credential)."""

    scope: str
    title: str
    secrets: list[AskedSecret]


def spec_asking(spec: FlowSpec) -> Asking:
    return Asking(scope=spec.name, title=f"Deployment {spec.name}", secrets=asked_secrets(spec))


def rotation_asking(request: RotationRequest) -> Asking:
    """A rotation's ``fields_from_user``, kept per credential (a dry run asks, the real run reuses)."""
    asked = _checked([AskedSecret(path=f"fields_from_user.{key}", field=key, label=label)
                      for key, label in request.fields_from_user.items()])
    scope = f"credential_{request.credential_id}"
    return Asking(scope=scope, title=f"Rotating credential {request.credential_id}", secrets=asked)


def _message(asked: AskedSecret, asking: Asking) -> str:
    return (f"{asking.title} needs {asked.label} (field {asked.path}). Open the link and type it there: it goes to "
            "the Nexla MCP server only, never into the conversation.")


def _refusal(asked: AskedSecret, asking: Asking, what: str) -> OperationRefused:
    return OperationRefused(
        f"{what} for {asked.label} ({asked.path}); nothing was changed.",
        hint=f"Ask the user, then call again for a new link; or {alternatives(asked.field, asking.scope)}.",
    )


def _unsupported(missing: list[AskedSecret], asking: Asking) -> SpecError:
    issues = [
        SpecIssue(path=asked.path, message=(
            f"{asked.field} is asked from the user ({asked.label!r}), but this MCP client does not support URL "
            f"elicitation, so the server cannot open a page for it: {alternatives(asked.field, asking.scope)}"
        ))
        for asked in missing
    ]
    return SpecError(issues)


async def _wait(desk: SecretDesk, asking: Asking, asked: AskedSecret, pending: Pending) -> None:
    try:
        desk.given[(asking.scope, asked.label)] = await desk.page.wait(pending)
    except PageExpired:
        raise _refusal(asked, asking, "No value arrived before the page expired") from None


async def _ask_mid_call(ctx: Context, desk: SecretDesk, asking: Asking, missing: list[AskedSecret]) -> None:
    """2025-11-25 and earlier: one ``elicitation/create`` request per secret, then wait for its page."""
    for asked in missing:
        pending = await desk.page.open(asked.label, asked.path, timeout_s())
        elicitation_id = secrets.token_hex(8)
        answer = await ctx.elicit_url(_message(asked, asking), desk.page.url(pending), elicitation_id)
        if answer.action != "accept":
            desk.page.discard(pending)
            raise _refusal(asked, asking, f"The user {answer.action}d giving the value")
        await _wait(desk, asking, asked, pending)
        try:
            await ctx.session.send_elicit_complete(elicitation_id)
        except Exception as exc:  # noqa: BLE001 - the notice is a courtesy; the value has arrived
            logger.debug("elicitation complete notice not sent: %s", type(exc).__name__)


async def _open_round(desk: SecretDesk, asking: Asking, missing: list[AskedSecret]) -> InputRequiredResult:
    """A page per secret, asked as one input_required round; the round's pages wait for the retry."""
    for stale in [key for key, pages in desk.rounds.items() if all(p.answer.done() for p in pages.values())]:
        del desk.rounds[stale]
    state = secrets.token_urlsafe(16)
    pages = {f"secret_{index}": await desk.page.open(asked.label, asked.path, timeout_s())
             for index, asked in enumerate(missing)}
    desk.rounds[state] = pages
    requests: dict[str, InputRequest] = {
        key: ElicitRequest(params=ElicitRequestURLParams(message=_message(asked, asking), url=desk.page.url(page)))
        for (key, page), asked in zip(pages.items(), missing, strict=True)
    }
    return InputRequiredResult(input_requests=requests, request_state=state)


async def _ask_by_round(
    ctx: Context, desk: SecretDesk, asking: Asking, missing: list[AskedSecret]
) -> InputRequiredResult | None:
    """2026-07-28: the first round returns the questions; the retry carries the answers, then waits."""
    opened = desk.rounds.pop(ctx.request_state or "", None)
    responses = ctx.input_responses or {}
    by_label = {asked.label: asked for asked in missing}
    if opened is None or not set(opened) <= set(responses):
        for pending in (opened or {}).values():
            desk.page.discard(pending)
        return await _open_round(desk, asking, missing)
    try:
        for key, pending in opened.items():
            asked = by_label.get(pending.label) or AskedSecret(pending.path, pending.path.rsplit(".", 1)[-1], pending.label)
            answer = responses[key]
            action = answer.action if isinstance(answer, ElicitResult) else "cancel"
            if action != "accept":
                raise _refusal(asked, asking, f"The user {action}d giving the value")
            await _wait(desk, asking, asked, pending)
    finally:
        for pending in opened.values():
            desk.page.discard(pending)
    return None


async def gather(ctx: Context, desk: SecretDesk, asking: Asking) -> dict[str, str] | InputRequiredResult:
    """The values of ``asking``'s secrets (label -> value), asking the user for each one missing.

    Raises OperationRefused (declined, cancelled, expired, inside a task) or SpecError (the client
    cannot open a URL elicitation), both before anything is changed.
    """
    scope = asking.scope
    missing = [asked for asked in asking.secrets if (scope, asked.label) not in desk.given]
    if missing:
        if not can_elicit_url(ctx):
            raise _unsupported(missing, asking)
        if current_task() is not None:
            raise OperationRefused(
                f"{missing[0].path} must be typed by the user, which cannot happen inside a task; nothing was changed.",
                hint="Make the same call once without a task (a dry run or validate_deployment will do): the value "
                "is kept for this server session.",
            )
        version = ctx.protocol_version
        if version is not None and is_version_at_least(version, _INPUT_REQUIRED_VERSION):
            questions = await _ask_by_round(ctx, desk, asking, missing)
            if questions is not None:
                return questions
            # A retry answers the round it echoes; a label that round did not ask gets a new round.
            unasked = [asked for asked in missing if (scope, asked.label) not in desk.given]
            if unasked:
                return await _open_round(desk, asking, unasked)
        else:
            await _ask_mid_call(ctx, desk, asking, missing)
    return desk.values(scope)


async def invoke_with_secrets(
    ctx: Context,
    tool: ToolName,
    load: Callable[[], T],
    asking: Callable[[T], Asking],
    call: Callable[[Any, Any, T], Awaitable[Any]],
    *,
    failed: Callable[[Any], bool] | None = None,
    forget_on_success: bool = False,
) -> CallToolResult | InputRequiredResult:
    """:func:`~nexla_mcp.runtime.invoke` for a tool whose input (``load()``) names ``from_user`` secrets:
    they are gathered first, then ``call`` runs with them; ``forget_on_success`` drops them after."""
    state = app_state(ctx)
    if state.secret_desk is None:
        state.secret_desk = SecretDesk()
    desk = state.secret_desk
    try:
        loaded = load()
        needed = asking(loaded)
        values = await gather(ctx, desk, needed)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an isError result
        return error_result(exc, tool)
    if isinstance(values, InputRequiredResult):
        return values

    async def run(client: Any, progress: Any) -> Any:
        with given_secrets(values):
            return await call(client, progress, loaded)

    operation: Call = run
    result = await invoke(ctx, tool, operation, failed=failed)
    if forget_on_success and not result.is_error:
        desk.forget(needed.scope)
    return result


__all__ = ["AskedSecret", "Asking", "asked_secrets", "gather", "invoke_with_secrets", "rotation_asking", "spec_asking"]
