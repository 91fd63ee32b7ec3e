"""Build the MCP server: the selected tools, the skill's documents, the workflow prompts.

``build_server(options, settings)`` is the one constructor: the console script, the sandbox
launcher and the tests all use it. The API client is created when a session starts (the
server's lifespan) and closed when it ends. Tools are published from cached schemas and their
modules imported on first call (see :mod:`nexla_mcp.tool_cache`), so start-up stays close to a
bare ``MCPServer``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from mcp.server.mcpserver import MCPServer

from nexla_ops.config import Settings

from . import __version__
from .apps import apps_extension
from .catalog import ALL_TOOLS
from .documents import register_documents, register_spec_schema
from .instructions import INSTRUCTIONS
from .prompts import register_prompts
from .runtime import AppState
from .sections import register_sections
from .tasks import TasksExtension
from .selection import select_tools
from .tool_cache import published_tools
from .tool_server import NexlaServer

logger = logging.getLogger("nexla_mcp")

SERVER_NAME = "nexla-data-flows"


@dataclass(frozen=True)
class ServerOptions:
    """Which tools to expose (see :mod:`nexla_mcp.selection` for the rules) and where spec files may be read.

    ``spec_dir``: the only folder a spec given as a path is read from (relative paths resolve
    against it); the working folder when the server was built, if not given.
    """

    toolsets: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    exclude_tools: tuple[str, ...] = ()
    read_only: bool = False
    spec_dir: Path | None = None


def effective_settings(options: ServerOptions, settings: Settings | None = None) -> Settings:
    """Client settings for this server: from the environment unless given; read-only if either side says so.

    Raises ``nexla_ops.errors.ConfigError`` when the environment is incomplete or malformed.
    """
    settings = settings or Settings.from_env()
    if options.read_only and not settings.read_only:
        settings = settings.model_copy(update={"read_only": True})
    return settings


def build_server(options: ServerOptions | None = None, settings: Settings | None = None) -> NexlaServer:
    """A ready-to-run server; raises ``SelectionError`` or ``ConfigError`` on bad configuration."""
    options = options or ServerOptions()
    settings = effective_settings(options, settings)
    specs = select_tools(
        ALL_TOOLS,
        toolsets=options.toolsets,
        tools=options.tools,
        exclude_tools=options.exclude_tools,
        read_only=settings.read_only,
    )

    spec_dir = (options.spec_dir or Path.cwd()).expanduser().resolve()

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        # Imported here: the client stack is not needed to answer initialize or tools/list.
        from nexla_ops.client import AsyncNexlaClient

        async with AsyncNexlaClient(settings) as client:
            state = AppState(client=client, spec_dir=spec_dir)
            try:
                yield state
            finally:
                if state.secret_desk is not None:
                    await state.secret_desk.close()

    server = NexlaServer(
        SERVER_NAME,
        tools=published_tools(specs),
        title="Nexla data flows operator",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level="WARNING",
        extensions=[TasksExtension(), apps_extension({spec.name.value for spec in specs})],
    )
    register_documents(server)
    register_spec_schema(server)
    register_sections(server)
    register_prompts(server)
    logger.info(
        "serving %d tools against %s%s", len(specs), settings.api_url, " (read-only)" if settings.read_only else ""
    )
    return server

