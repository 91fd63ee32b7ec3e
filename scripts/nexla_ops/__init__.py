"""Shared library of the nexla-data-flows-operator skill: client, models, operations, transform engine.

Scripts in ``scripts/`` and the MCP server in ``server/`` are thin faces over
``nexla_ops.operations``; see ARCHITECTURE.md for the contracts between the parts.
"""

__version__ = "0.1.0"
