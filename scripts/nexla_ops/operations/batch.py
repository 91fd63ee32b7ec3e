"""Activate, pause, delete or update many resources at once, safely and resumably.

* Selection: an id list and/or filters (name substring, status, tag) over a paginated listing;
  with neither, nothing is selected unless ``select_all`` says so. A selection larger than
  ``max_items`` is refused rather than cut.
* Preview is the default: ``preview=True`` lists the items and the action for each and sends no
  mutating request. Applying needs ``preview=False``; deleting also needs ``confirm=True``.
* Per item: activate skips what is already active, pause skips what is already paused, update
  skips items whose fields already hold the new values (``set`` keys may be dotted, e.g.
  ``source_config.path``, to change one nested value and keep the rest), and delete pauses an
  active resource first, then deletes it (an item already gone counts as skipped).
* Concurrency is bounded (``client.fan_out``) and shares the client's rate limiter and breaker.
* Checkpoint: with ``checkpoint`` set, every finished item is appended to that JSON-lines file
  (``{"id", "outcome", ...}``, flushed and fsync'd) after a header line describing the batch. A
  rerun with the same file skips items recorded as succeeded or skipped and retries failed ones,
  so an interrupted batch resumes without repeating work. A checkpoint written for a different
  operation, resource type or update is refused.
* Transient failures: an item whose failure was retryable (outage, throttling, a lost answer)
  after the client's own retries is tried once more after every other item has run, from a fresh
  read, so a short outage in the middle of a batch does not fail it. The re-read also settles a
  change whose answer was lost: an item that already shows the change counts as done, not sent
  again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from nexla_ops.errors import NexlaError, NotFoundError
from nexla_ops.domain import ErrorDocument, error_document
from nexla_ops.operations.flows import pause_then_delete
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress
from nexla_ops.resources import FLOW_RESOURCE_KINDS, ResourceKind, parse_kind

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient

BatchOperation = Literal["activate", "pause", "delete", "update"]
UPDATABLE_KINDS = (
    *FLOW_RESOURCE_KINDS,
    ResourceKind.CREDENTIALS,
    ResourceKind.PROJECTS,
    ResourceKind.TEAMS,
    ResourceKind.TRANSFORMS,
    ResourceKind.ATTRIBUTE_TRANSFORMS,
    ResourceKind.CODE_CONTAINERS,
)
# Fields a batch update must not touch: identity, ownership, state (use activate/pause) and secrets.
PROTECTED_FIELDS = frozenset(
    {
        "id",
        "owner",
        "owner_id",
        "org",
        "org_id",
        "status",
        "access_roles",
        "created_at",
        "updated_at",
        "credentials",
    }
)
CHECKPOINT_FORMAT = "nexla-batch-checkpoint/1"


class BatchRequest(BaseModel):
    """One batch: the operation, what to select, and how to run it."""

    model_config = ConfigDict(extra="forbid")

    operation: BatchOperation
    resource_type: ResourceKind
    ids: list[int] = Field(default_factory=list, description="exact ids; filters below narrow them further")
    name_contains: str | None = Field(default=None, description="case-insensitive name substring")
    status: str | None = Field(default=None, description="e.g. ACTIVE, PAUSED, ERROR")
    tag: str | None = None
    select_all: bool = Field(
        default=False, description="select every resource of the type when no id/filter given"
    )
    set: dict[str, Any] = Field(
        default_factory=dict, description="update only: field (dotted for nested) -> value"
    )
    preview: bool = Field(default=True, description="list items and actions; change nothing")
    confirm: bool = Field(default=False, description="required with preview=False for delete")
    checkpoint: str | None = Field(
        default=None, description="JSON-lines file recording finished items, for resume"
    )
    concurrency: int = Field(default=4, ge=1, le=32)
    max_items: int = Field(default=1000, ge=1, description="refuse a selection larger than this")

    @field_validator("resource_type", mode="before")
    @classmethod
    def _kind(cls, value: Any) -> ResourceKind:
        return parse_kind(value)

    @field_validator("ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(i <= 0 for i in value):
            raise ValueError("ids must be positive integers")
        return list(dict.fromkeys(value))

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        return value.strip().upper() if value else None

    @model_validator(mode="after")
    def _consistent(self) -> BatchRequest:
        if self.operation in ("activate", "pause") and self.resource_type not in FLOW_RESOURCE_KINDS:
            raise ValueError(
                f"resource_type: {self.operation} applies to data_sources, data_sets or data_sinks"
            )
        if self.operation in ("delete", "update") and self.resource_type not in UPDATABLE_KINDS:
            raise ValueError(
                f"resource_type: batch {self.operation} supports "
                f"{', '.join(k.value for k in UPDATABLE_KINDS)}"
            )
        if self.operation == "update":
            if not self.set:
                raise ValueError("set: update needs at least one field=value")
            for key in self.set:
                parts = key.split(".")
                if not all(p.strip() for p in parts):
                    raise ValueError(f"set: {key!r} is not a field name (use name or parent.child)")
                if parts[0] in PROTECTED_FIELDS:
                    raise ValueError(f"set: {parts[0]!r} cannot be changed by a batch update")
        elif self.set:
            raise ValueError("set: only the update operation takes field values")
        selected = bool(self.ids or self.name_contains or self.status or self.tag)
        if not selected and not self.select_all:
            raise ValueError(
                "select items with ids, name_contains, status or tag (or select_all to take every one)"
            )
        return self


ItemOutcome = Literal["planned", "succeeded", "skipped", "failed"]


class BatchItem(BaseModel):
    """What happened (or would happen, in a preview) to one resource."""

    id: int
    name: str | None = None
    status: str | None = Field(default=None, description="status when selected")
    outcome: ItemOutcome
    detail: str = ""
    error: ErrorDocument | None = None


class BatchResult(BaseModel):
    """Summary of a batch: counts plus one entry per selected item (never truncated)."""

    operation: BatchOperation
    resource_type: ResourceKind
    preview: bool
    selected: int
    succeeded: int = 0
    skipped: int = 0
    failed: int = 0
    done_before: int = Field(
        default=0, description="items skipped because the checkpoint records them as done"
    )
    checkpoint: str | None = None
    items: list[BatchItem]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def _matches(row: Mapping[str, Any], request: BatchRequest) -> bool:
    if request.name_contains and request.name_contains.lower() not in str(row.get("name") or "").lower():
        return False
    if request.status and str(row.get("status") or "").upper() != request.status:
        return False
    if request.tag:
        tags = [str(t).lower() for t in (row.get("tags") or [])]
        if request.tag.lower() not in tags:
            return False
    return True


async def _select(
    client: AsyncNexlaClient, request: BatchRequest
) -> tuple[list[dict[str, Any]], list[BatchItem]]:
    """(rows to act on, items that failed selection such as unknown ids)."""
    kind = request.resource_type
    missing: list[BatchItem] = []
    if request.ids:

        async def fetch(resource_id: int) -> dict[str, Any]:
            return await client.get(f"{kind.path}/{resource_id}")

        rows: list[dict[str, Any]] = []
        for resource_id, got in zip(
            request.ids, await client.fan_out(fetch, request.ids, request.concurrency), strict=True
        ):
            if isinstance(got, Exception):
                if not isinstance(got, NexlaError):
                    raise got
                missing.append(
                    BatchItem(
                        id=resource_id, outcome="failed", detail="could not read it", error=error_document(got)
                    )
                )
            else:
                rows.append(got)
        selected = [r for r in rows if _matches(r, request)]
    else:
        selected = []
        # Everything the caller can reach; items it may not change fail one by one with their 403.
        async for row in client.paginate(kind.path, params={"access_role": "collaborator"}):
            if _matches(row, request):
                selected.append(row)
                if len(selected) > request.max_items:
                    break
    if len(selected) > request.max_items:
        raise OperationRefused(
            f"the selection holds more than {request.max_items} {kind.value}",
            hint="narrow it with ids, name_contains, status or tag, or raise max_items",
        )
    return selected, missing


class _Checkpoint:
    """Append-only JSON-lines record of finished items; each line is fsync'd before moving on."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self.done: dict[int, str] = {}
        self._file: Any = None

    def load(self) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            first = json.loads(lines[0])
        except (json.JSONDecodeError, IndexError):
            first = None
        if not isinstance(first, dict) or first.get("format") != CHECKPOINT_FORMAT:
            raise OperationRefused(
                f"{self.path} is not a batch checkpoint",
                hint="give a new file name, or the file of the batch to resume",
            )
        if {k: first.get(k) for k in ("operation", "resource_type", "set")} != {
            k: self.header[k] for k in ("operation", "resource_type", "set")
        }:
            raise OperationRefused(
                f"{self.path} records a different batch "
                f"({first.get('operation')} {first.get('resource_type')})",
                hint="resume with the same operation, resource type and values, or use a new checkpoint file",
            )
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill: that item simply runs again
            if isinstance(entry, dict) and isinstance(entry.get("id"), int):
                self.done[entry["id"]] = str(entry.get("outcome"))

    def open(self) -> None:
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        self._file = self.path.open("a", encoding="utf-8")
        if fresh:
            self._write(self.header)

    def record(self, item: BatchItem) -> None:
        entry: dict[str, Any] = {"id": item.id, "outcome": item.outcome, "detail": item.detail}
        if item.error:
            entry["error"] = item.error.error
            entry["status"] = item.error.status
        self._write(entry)

    def _write(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps(entry, separators=(",", ":"), default=str) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _get_path(row: Mapping[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _update_body(row: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level fields to PUT so that every (dotted) key holds its new value; {} when nothing differs."""
    body: dict[str, Any] = {}
    for key, value in changes.items():
        if _get_path(row, key) == value:
            continue
        top, *rest = key.split(".")
        if not rest:
            body[top] = value
            continue
        base = body.get(top, row.get(top))
        merged = json.loads(json.dumps(base)) if isinstance(base, Mapping) else {}
        node = merged
        for part in rest[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[rest[-1]] = value
        body[top] = merged
    return body


def _plan(row: Mapping[str, Any], request: BatchRequest) -> tuple[str | None, str]:
    """(action, reason): action None means skip."""
    status = str(row.get("status") or "").upper()
    if request.operation == "activate":
        return (None, "already active") if status == "ACTIVE" else ("activate", "activate")
    if request.operation == "pause":
        return (None, "already paused") if status == "PAUSED" else ("pause", "pause")
    if request.operation == "delete":
        return ("delete", "pause, then delete" if status == "ACTIVE" else "delete")
    body = _update_body(row, request.set)
    if not body:
        return None, "already up to date"
    return "update", "update " + ", ".join(sorted(body))


async def _act(
    client: AsyncNexlaClient, request: BatchRequest, row: Mapping[str, Any], *, again: bool = False,
    changed_before: bool = False,
) -> tuple[ItemOutcome, str]:
    # ``again``: a second try, from a fresh read; ``changed_before``: its first try sent the change.
    kind = request.resource_type
    path = f"{kind.path}/{row['id']}"
    if again:
        # The first try's answer may have been lost after the server applied it: read, then re-plan.
        try:
            row = await client.get(path)
        except NotFoundError:
            if request.operation == "delete" and changed_before:
                return "succeeded", "deleted (confirmed on a second try)"
            raise
        if not _matches(row, request):
            return "skipped", "no longer matches the selection"
    action, reason = _plan(row, request)
    if action is None:
        if changed_before:  # nothing left to do: the first try's change went through
            return "succeeded", f"{request.operation} confirmed on a second try ({reason})"
        return "skipped", reason
    if action in ("activate", "pause"):
        await client.put(f"{path}/{action}")
        return "succeeded", f"{action}d"
    if action == "delete":
        try:
            paused = await pause_then_delete(client, path, pause=str(row.get("status") or "").upper() == "ACTIVE")
        except NotFoundError:
            return "skipped", "already deleted"
        return "succeeded", "paused and deleted" if paused else "deleted"
    updated = await client.put(path, json=_update_body(row, request.set))
    if isinstance(updated, Mapping):
        wrong = [k for k, v in request.set.items() if _get_path(updated, k) != v]
        if wrong:
            raise _NotApplied(f"the server did not apply: {', '.join(wrong)}")
    return "succeeded", reason.replace("update", "updated", 1)


class _NotApplied(ValueError):
    """An update returned 2xx but the read-back shows other values."""


async def run_batch(
    client: AsyncNexlaClient, request: BatchRequest, progress: ProgressCallback = no_progress
) -> BatchResult:
    """Run (or preview) one batch; see the module docstring for the rules.

    Raises ValueError / OperationRefused for bad or unsafe requests (delete without confirm, a
    too-large selection, a checkpoint of another batch) before anything changes. Per-item failures
    are reported in the result, whose ``exit_code`` is 1 when any item failed.
    """
    if request.operation == "delete" and not request.preview and not request.confirm:
        raise OperationRefused(
            "batch delete needs explicit confirmation", hint="preview first, then rerun with confirm (--yes)"
        )
    header = {
        "format": CHECKPOINT_FORMAT,
        "operation": request.operation,
        "resource_type": request.resource_type.value,
        "set": request.set,
    }
    checkpoint = _Checkpoint(Path(request.checkpoint).expanduser(), header) if request.checkpoint else None
    if checkpoint:
        checkpoint.load()
    await progress(ProgressEvent(step="select", message=f"selecting {request.resource_type.value}"))
    rows, unreadable = await _select(client, request)
    finished = {
        rid
        for rid, outcome in (checkpoint.done.items() if checkpoint else [])
        if outcome in ("succeeded", "skipped")
    }
    todo = [r for r in rows if r["id"] not in finished]
    by_id = {r["id"]: r for r in todo}
    items: dict[int, BatchItem] = {
        r["id"]: BatchItem(
            id=r["id"],
            name=r.get("name"),
            status=r.get("status"),
            outcome="skipped",
            detail="done in an earlier run (checkpoint)",
        )
        for r in rows
        if r["id"] in finished
    }
    for item in unreadable:
        items[item.id] = item
    await progress(
        ProgressEvent(
            step="select", message=f"{len(rows)} selected, {len(todo)} to do", current=0, total=len(todo)
        )
    )

    if request.preview:
        for row in todo:
            action, reason = _plan(row, request)
            items[row["id"]] = BatchItem(
                id=row["id"],
                name=row.get("name"),
                status=row.get("status"),
                outcome="planned" if action else "skipped",
                detail=reason,
            )
    else:
        count = 0

        async def one(row: dict[str, Any], again: bool = False) -> BatchItem:
            nonlocal count
            base = {"id": row["id"], "name": row.get("name"), "status": row.get("status")}
            try:
                outcome, detail = await _act(client, request, row, again=again,
                                             changed_before=again and row["id"] in by_id)
                item = BatchItem(**base, outcome=outcome, detail=detail)
            except (NexlaError, _NotApplied) as error:
                item = BatchItem(**base, outcome="failed", detail="", error=error_document(error))
            if checkpoint:
                checkpoint.record(item)
            if not again:
                count += 1
            await progress(
                ProgressEvent(
                    step=request.operation,
                    message=f"{row['id']} {item.outcome}",
                    current=count,
                    total=len(todo),
                )
            )
            return item

        if todo:
            # Ask who we are once, before the workers start: each would otherwise ask the API for
            # the audit actor at its first change (one GET /users/current per worker).
            try:
                await client.whoami()
            except NexlaError:
                pass
        if checkpoint:
            checkpoint.open()
        try:
            for outcome in await client.fan_out(one, todo, request.concurrency):
                if isinstance(outcome, Exception):
                    raise outcome
                items[outcome.id] = outcome
            # Rows whose change failed, and ids whose first read failed, for transient reasons.
            transient = [
                by_id.get(i.id, {"id": i.id, "name": i.name})
                for i in items.values()
                if i.outcome == "failed" and i.error is not None and i.error.retryable
            ]
            if transient:
                await progress(
                    ProgressEvent(step=request.operation, message=f"trying {len(transient)} transient failures again")
                )

                async def again(row: dict[str, Any]) -> BatchItem:
                    return await one(row, again=True)

                for outcome in await client.fan_out(again, transient, request.concurrency):
                    if isinstance(outcome, Exception):
                        raise outcome
                    items[outcome.id] = outcome
        finally:
            if checkpoint:
                checkpoint.close()

    order = [*request.ids] if request.ids else [r["id"] for r in rows]
    ordered = [items[i] for i in order if i in items] + [v for k, v in items.items() if k not in set(order)]
    return BatchResult(
        operation=request.operation,
        resource_type=request.resource_type,
        preview=request.preview,
        selected=len(rows),
        succeeded=sum(i.outcome == "succeeded" for i in ordered),
        skipped=sum(i.outcome == "skipped" for i in ordered),
        failed=sum(i.outcome == "failed" for i in ordered),
        done_before=len(rows) - len(todo),
        checkpoint=request.checkpoint,
        items=ordered,
    )


__all__ = ["BatchItem", "BatchRequest", "BatchResult", "run_batch"]
