"""A sandbox in its own process for the drills (``make chaos``, ``make bench``).

A separate process, not the in-process test server: the client under measurement must not share
an interpreter (and its lock) with the server it is measured against.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Self

import httpx


class SandboxProcess:
    """``nexla-sandbox serve`` on a free loopback port, with the operator endpoints at hand."""

    def __init__(self, data_dir: Path, *, rate_limit: float = 0, demo: bool = True) -> None:
        self.key = "drill-" + secrets.token_hex(12)
        self.data_dir = data_dir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/nexla-api"
        command = [sys.executable, "-m", "nexla_sandbox.cli", "serve", "--port", str(port),
                   "--data-dir", str(data_dir), "--service-key", self.key]
        if demo:
            command.append("--demo")
        if rate_limit > 0:
            command += ["--rate-limit", str(rate_limit)]
        # Its stderr goes to a file, not a pipe nobody reads: a full pipe would stall the server.
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the process)
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log)
        self.control = httpx.Client(base_url=f"{self.base_url}/_sandbox/",
                                    headers={"X-Sandbox-Admin-Key": self.key}, timeout=60)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.control.get("faults").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the sandbox did not start:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, size: int = 4000) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-size:]

    def add_faults(self, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Install faults in order; returns what the sandbox answered for each (its public view)."""
        answers = []
        for spec in specs:
            response = self.control.post("faults", json=spec)
            response.raise_for_status()
            answers.append(response.json())
        return answers

    def clear_faults(self) -> None:
        self.control.delete("faults").raise_for_status()

    def set_rate_limit(self, requests_per_second: float | None) -> None:
        body = None if not requests_per_second else {"requests_per_second": requests_per_second}
        self.control.put("rate_limit", json=body).raise_for_status()

    def requests(self) -> dict[str, Any]:
        response = self.control.get("requests")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def reset_requests(self) -> None:
        self.control.delete("requests").raise_for_status()

    def close(self) -> None:
        self.control.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
