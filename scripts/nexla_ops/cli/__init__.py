"""Plumbing shared by every command-line face: argument parsing, output, progress, exit codes."""

from nexla_ops.cli.output import render_table
from nexla_ops.cli.runner import ExitCode, Script, script_parser

__all__ = ["ExitCode", "Script", "render_table", "script_parser"]
