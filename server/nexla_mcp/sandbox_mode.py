"""``nexla-mcp --sandbox``: start a local sandbox with demo data and point the tools at it.

This is the one place ``nexla_mcp`` imports ``nexla_sandbox``, and only inside
:func:`embedded_sandbox`, so the tools and operations never depend on it. It is a launcher:
it starts a separate local API server (on a free loopback port, in a background thread) and the
tools then talk to it over HTTP exactly as they would to real Nexla.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nexla_ops.config import Settings

logger = logging.getLogger("nexla_mcp")

# The example specs read their storage secret from this variable; the sandbox's object stores are
# local folders that check no secret, so a placeholder lets `--sandbox` deploy its own examples.
EXAMPLE_SECRET_VAR = "NEXLA_SECRET_DEMO_S3"


@contextmanager
def embedded_sandbox(data_dir: Path | None = None) -> Iterator[Settings]:
    """Run a sandbox with demo data for the duration of the block; yields client settings for it."""
    try:
        from nexla_sandbox.runtime.demo import write_demo_data
        from nexla_sandbox.testing import running_sandbox
    except ImportError as exc:
        raise RuntimeError(
            "--sandbox needs the nexla_sandbox package (install the full nexla-data-flows-operator)"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="nexla-mcp-sandbox-") as scratch:
        directory = data_dir or Path(scratch)
        write_demo_data(directory)
        os.environ.setdefault(EXAMPLE_SECRET_VAR, "sandbox-placeholder-secret")
        with running_sandbox(data_dir=directory) as sandbox:
            logger.warning("sandbox with demo data at %s (data in %s)", sandbox.base_url, directory)
            # Other settings (read-only, audit log, timeouts) still come from the environment.
            yield Settings.from_env(api_url=sandbox.base_url, service_key=sandbox.service_key)
