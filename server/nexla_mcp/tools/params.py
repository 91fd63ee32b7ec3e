"""Parameter types shared by the tools: typed, described, and lenient where models are sloppy.

Models sometimes send numbers and booleans as strings (``"42"``, ``"true"``) and lists as
comma-separated text; pydantic's lax mode and the ``BeforeValidator`` here accept that without
widening the published schema (it still says ``integer`` / ``array``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


FLOW_KINDS_TEXT = "data_sources, data_sets or data_sinks (aliases: source, nexset, destination/sink)"

Kind = Annotated[
    str,
    Field(
        description="data_sources, data_sets, data_sinks, data_credentials, flows, projects, teams, users, "
        "orgs, transforms, ... (aliases: source, nexset, sink, credential)."
    ),
]
FlowKind = Annotated[str, Field(description=f"{FLOW_KINDS_TEXT}, or flows (a node id).")]
ResourceId = Annotated[int, Field(ge=1, description="Numeric id of the resource.")]
Fields = Annotated[
    list[str] | None,
    BeforeValidator(_split_csv),
    Field(description="Return only these fields (dotted paths allowed) instead of the compact summary."),
]
Limit = Annotated[int, Field(ge=1, le=1000, description="Maximum rows in this page (default 50).")]
Cursor = Annotated[str | None, Field(description="next_cursor from a previous result, to get the next page.")]
Confirm = Annotated[
    bool,
    Field(description="Set true only after the user approved this destructive action (ignored when the client "
          "can ask the user directly)."),
]
