"""Copy a flow into a project with destination overrides, or promote it with a credential map.

The copy is made with the original credentials reused (``POST /flows/{id}/copy``, as nexla-sdk's
``copy_and_replace_credentials`` does), then each copied source and destination found by its
``copied_from_id`` is repointed: ``credential_map`` replaces a credential everywhere the flow uses
it (e.g. production -> staging), ``destination_overrides`` changes one destination's
``sink_config`` keys (such as ``path``) or credential. The copy is added to ``project_id``.

A copy whose destination still writes where its original writes (same credential, same path,
database, table, ...) is never activated unless ``allow_same_destination`` says so: the check runs
before anything is created, on the predicted configuration, and again on what the API holds.
Everything is checked first (credentials exist and have the original's type, override keys are
destinations of the flow, the project exists); a failure after the copy deletes the copy again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from nexla_ops.errors import NexlaError
from nexla_ops.operations.errors import OperationRefused
from nexla_ops.operations.flows import CopyOptions, copy_flow, get_flow
from nexla_ops.operations.progress import ProgressCallback, ProgressEvent, no_progress
from nexla_ops.resources import ResourceKind

if TYPE_CHECKING:
    from nexla_ops.client import AsyncNexlaClient

# sink_config keys that say where a destination writes.
LOCATION_KEYS = ("path", "bucket", "container", "database", "schema", "table", "topic", "collection", "url")
_WRITERS = (ResourceKind.SOURCES, ResourceKind.DESTINATIONS)


class DestinationOverride(BaseModel):
    config: dict[str, Any] = Field(default_factory=dict, description="sink_config keys to set.")
    credential_id: int | None = Field(default=None, ge=1)


class PromotionRequest(BaseModel):
    """What to copy, where to, and what the copy must use instead."""

    flow_id: int = Field(ge=1, description="Any node id of the flow.")
    project_id: int | None = Field(default=None, ge=1)
    credential_map: dict[int, int] = Field(default_factory=dict, description="Original -> replacement credential id.")
    destination_overrides: dict[int, DestinationOverride] = Field(
        default_factory=dict, description="Original destination id -> override."
    )
    activate: bool = False
    allow_same_destination: bool = False
    copy_access_controls: bool = False


class CopiedResource(BaseModel):
    kind: Literal["data_sources", "data_sinks"]
    original_id: int
    id: int
    credential_id: int | None = None
    location: dict[str, Any] = Field(default_factory=dict)
    same_destination: bool = False


class PromotionResult(BaseModel):
    """The copy and what it uses."""

    original_flow_id: int
    new_flow_id: int
    project_id: int | None = None
    activated: bool
    resources: list[CopiedResource]
    same_destination: list[int] = Field(description="Copies writing where their original writes.")


def _location(config: Any) -> dict[str, Any]:
    config = config if isinstance(config, dict) else {}
    return {key: config[key] for key in LOCATION_KEYS if config.get(key) not in (None, "")}


class _Original:
    def __init__(self, kind: ResourceKind, record: dict[str, Any]) -> None:
        self.kind = kind
        self.id = int(record["id"])
        self.credential_id: int | None = record.get("data_credentials_id")
        self.config: dict[str, Any] = dict(record.get("sink_config") or {})
        self.type = record.get("sink_type") or record.get("source_type")


def _target(request: PromotionRequest, original: _Original) -> tuple[int | None, dict[str, Any]]:
    """The credential and sink_config the copy of ``original`` will have."""
    override = request.destination_overrides.get(original.id) if original.kind == ResourceKind.DESTINATIONS else None
    credential = original.credential_id
    if credential is not None:
        credential = request.credential_map.get(credential, credential)
    if override and override.credential_id:
        credential = override.credential_id
    config = {**original.config, **(override.config if override else {})}
    return credential, config


def _same(original: _Original, credential: int | None, config: dict[str, Any]) -> bool:
    return original.kind == ResourceKind.DESTINATIONS and credential == original.credential_id and (
        _location(config) == _location(original.config)
    )


async def _originals(client: AsyncNexlaClient, flow_id: int) -> tuple[int, list[_Original]]:
    flow = await get_flow(client, ResourceKind.FLOWS, flow_id)
    originals = [
        _Original(node.kind, await client.get(f"{node.kind.path}/{node.id}"))
        for node in flow.nodes
        if node.kind in _WRITERS
    ]
    return flow.flow_id, originals


async def _check(client: AsyncNexlaClient, request: PromotionRequest, originals: list[_Original]) -> None:
    used = {o.credential_id for o in originals if o.credential_id is not None}
    types: dict[int, Any] = {}
    for old, new in request.credential_map.items():
        if old not in used:
            raise ValueError(f"credential_map: credential {old} is not used by flow {request.flow_id} "
                             f"(it uses {', '.join(map(str, sorted(used))) or 'none'})")
        if old not in types:
            types[old] = (await client.get(f"/data_credentials/{old}")).get("credentials_type")
        replacement = (await client.get(f"/data_credentials/{new}")).get("credentials_type")
        if replacement != types[old]:
            raise ValueError(f"credential_map: credential {new} is {replacement}, credential {old} is {types[old]}")
    sinks = {o.id for o in originals if o.kind == ResourceKind.DESTINATIONS}
    for sink_id, override in request.destination_overrides.items():
        if sink_id not in sinks:
            raise ValueError(f"destination_overrides: {sink_id} is not a destination of flow {request.flow_id} "
                             f"(its destinations: {', '.join(map(str, sorted(sinks))) or 'none'})")
        if override.credential_id:
            await client.get(f"/data_credentials/{override.credential_id}")
    if request.project_id is not None:
        await client.get(f"/projects/{request.project_id}")
    same = [o.id for o in originals if _same(o, *_target(request, o))]
    if same and request.activate and not request.allow_same_destination:
        listed = ", ".join(f"destination {sink_id}" for sink_id in same)
        raise OperationRefused(
            f"refusing to activate a copy that writes where the original writes ({listed}).",
            hint="Give destination_overrides {id: {config: {path: ...}}} or a credential_map (script: "
                 "--destination-path ID=PATH, --credential OLD=NEW), or allow_same_destination=true "
                 "(--allow-same-destination) if both flows should write there. Nothing was copied.",
        )


async def copy_flow_to_project(
    client: AsyncNexlaClient, request: PromotionRequest, progress: ProgressCallback = no_progress
) -> PromotionResult:
    """Copy (or promote) a flow as the request says; see the module doc for the rules."""
    root, originals = await _originals(client, request.flow_id)
    await _check(client, request, originals)
    copied = await copy_flow(client, root, CopyOptions(reuse_data_credentials=True,
                                                       copy_access_controls=request.copy_access_controls))
    new_root = copied.new_flow.flow_id
    await progress(ProgressEvent(step="copy", message=f"flow {root} copied to flow {new_root}"))
    try:
        resources = await _repoint(client, request, originals, [(n.kind, n.id) for n in copied.new_flow.nodes])
        if request.project_id is not None:
            await client.put(f"/projects/{request.project_id}/flows", json={"flows": [new_root]})
            await progress(ProgressEvent(step="project", message=f"flow {new_root} added to project {request.project_id}"))
        same = [r.id for r in resources if r.same_destination]
        activated = False
        if request.activate and (not same or request.allow_same_destination):
            await client.put(f"/flows/{new_root}/activate", params={"all": 1})
            activated = True
            await progress(ProgressEvent(step="activate", message=f"flow {new_root} activated"))
    except NexlaError as error:
        await _discard(client, new_root, error)
        raise
    return PromotionResult(original_flow_id=root, new_flow_id=new_root, project_id=request.project_id,
                           activated=activated, resources=resources, same_destination=same)


async def _repoint(
    client: AsyncNexlaClient, request: PromotionRequest, originals: list[_Original], nodes: list[tuple[ResourceKind, int]]
) -> list[CopiedResource]:
    by_id = {(o.kind, o.id): o for o in originals}
    out: list[CopiedResource] = []
    for kind, resource_id in nodes:
        if kind not in _WRITERS:
            continue
        record = await client.get(f"{kind.path}/{resource_id}")
        original = by_id.get((kind, record.get("copied_from_id") or 0))
        if original is None:
            raise NexlaError(f"{kind.label} {resource_id} of the copy does not say which resource it copies",
                             resource_type=kind.value, resource_id=resource_id)
        credential, config = _target(request, original)
        body: dict[str, Any] = {}
        if credential != record.get("data_credentials_id"):
            body["data_credentials_id"] = credential
        if kind == ResourceKind.DESTINATIONS and config != (record.get("sink_config") or {}):
            body["sink_config"] = config
        if body:
            record = await client.put(f"{kind.path}/{resource_id}", json=body)
        held = dict(record.get("sink_config") or {}) if kind == ResourceKind.DESTINATIONS else {}
        held_credential = record.get("data_credentials_id")
        out.append(CopiedResource(kind="data_sinks" if kind == ResourceKind.DESTINATIONS else "data_sources",
                                  original_id=original.id, id=resource_id, credential_id=held_credential,
                                  location=_location(held), same_destination=_same(original, held_credential, held)))
    return out


async def _discard(client: AsyncNexlaClient, flow_id: int, error: NexlaError) -> None:
    """Delete a half-made copy; the error's hint says whether that worked."""
    try:
        await client.delete(f"/flows/{flow_id}")
        error.hint = f"The copy (flow {flow_id}) was deleted again; nothing was left behind. {error.hint}"
    except NexlaError:
        error.hint = f"The copy (flow {flow_id}) could not be deleted: delete it by hand. {error.hint}"


__all__ = ["CopiedResource", "DestinationOverride", "PromotionRequest", "PromotionResult", "copy_flow_to_project"]
