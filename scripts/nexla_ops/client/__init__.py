"""The shared Nexla HTTP client: ``NexlaClient`` (blocking) and ``AsyncNexlaClient`` (asyncio).

Both run every request through one pipeline (:mod:`.pipeline`): auth and token reuse, read-only
enforcement, client-side rate limiting, a per-URL circuit breaker, tenacity retries for
replay-safe requests, typed errors and an audit line for every mutation.
"""

from .async_client import AsyncNexlaClient
from .pagination import Page
from .sync_client import NexlaClient

__all__ = ["AsyncNexlaClient", "NexlaClient", "Page"]
