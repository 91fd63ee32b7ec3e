"""The Nexla MCP server: typed, safe-by-default tools over ``nexla_ops.operations``.

Run it with ``nexla-mcp`` (stdio), ``nexla-mcp --transport http`` (streamable HTTP on loopback)
or ``nexla-mcp --sandbox`` (a local sandbox with demo data, no Nexla account needed).
Build a server in code with :func:`nexla_mcp.app.build_server`.
"""

__version__ = "0.1.0"
