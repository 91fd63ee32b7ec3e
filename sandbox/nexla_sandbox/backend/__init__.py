"""The sandbox's rules, in one layer between the HTTP routes and the state (the moto pattern).

A route parses the request, calls one backend function with a :class:`Caller` and plain values,
and renders what comes back. The backend holds every permission check, validation and business
decision; it never sees a request, a query string or a response. State (``nexla_sandbox.state``)
and the runtime (``nexla_sandbox.runtime``) know neither HTTP nor the backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nexla_sandbox.access import Access
from nexla_sandbox.errors import not_found
from nexla_sandbox.render import Renderer
from nexla_sandbox.state import audit
from nexla_sandbox.state.store import Store

if TYPE_CHECKING:
    from nexla_sandbox.runtime import Runtime


@dataclass
class Caller:
    """Who is asking, and the state they act on: what every backend function receives."""

    store: Store
    access: Access
    runtime: Runtime
    user: dict
    info: audit.RequestInfo
    root_url: str = ""

    @property
    def renderer(self) -> Renderer:
        return Renderer(self.store, self.access, self.user, root_url=self.root_url)

    def render(self, kind: str, record: dict, **options: Any) -> dict:
        return self.renderer.render(kind, record, **options)

    def audit(self, kind: str, item_id: int, event: str, before: dict | None, after: dict | None,
              summary: list[str] | None = None) -> None:
        audit.record(self.store, kind, item_id, event, self.info, before, after, summary)

    def get(self, kind: str, id: int) -> dict:
        """The live record of ``kind/id``; 404 when there is none."""
        record = self.store.get(kind, id)
        if record is None:
            raise not_found(kind, id)
        return record


__all__ = ["Caller"]
