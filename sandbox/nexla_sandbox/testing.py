"""Run the sandbox in-process for tests: ``with running_sandbox() as sb: ...``.

The server runs on uvicorn in a background thread on a free loopback port and stops when the
block ends.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from nexla_sandbox.app import PREFIX, create_app
from nexla_sandbox.state import seed


@dataclass
class SandboxHandle:
    """A running sandbox.

    ``base_url`` ends in ``/nexla-api``; ``service_key`` is the org admin's; ``keys`` and ``users``
    map each seeded label (admin, operator, collaborator, member, outsider) to its service key and
    user id; ``control`` is an httpx client whose base URL is ``{base_url}/_sandbox/`` with the
    operator header set (``control.post("faults", json=...)``).
    """

    base_url: str
    service_key: str
    keys: dict[str, str]
    users: dict[str, int]
    data_dir: Path
    control: httpx.Client
    app: object = None

    def token(self, label: str = "admin") -> str:
        """A fresh bearer token for a seeded user."""
        response = httpx.post(f"{self.base_url}/token", headers={"Authorization": f"Basic {self.keys[label]}"})
        response.raise_for_status()
        return response.json()["access_token"]

    def client(self, label: str = "admin") -> httpx.Client:
        """An httpx client authorised as a seeded user (the caller closes it)."""
        return httpx.Client(base_url=self.base_url + "/", timeout=30,
                            headers={"Authorization": f"Bearer {self.token(label)}", "Accept": "application/json"})


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn does not set TCP_NODELAY on sockets handed to it; accepted sockets inherit it from
    # here, which avoids a 40 ms Nagle/delayed-ACK stall on every small response.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def running_sandbox(data_dir: Path | str | None = None, *, service_key: str | None = None) -> Iterator[SandboxHandle]:
    """Start the sandbox on a free loopback port; a temporary data dir is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="nexla-sandbox-") as scratch:
        directory = Path(data_dir) if data_dir is not None else Path(scratch)
        app = create_app(directory, service_key)
        sock = _free_socket()
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1,
                                timeout_keep_alive=5)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="nexla-sandbox")
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        store = app.state.store
        base_url = f"http://127.0.0.1:{port}{PREFIX}"
        keys = seed.keys(store)
        control = httpx.Client(base_url=f"{base_url}/_sandbox/", timeout=60,
                               headers={"X-Sandbox-Admin-Key": keys["admin"]})
        try:
            yield SandboxHandle(base_url=base_url, service_key=keys["admin"], keys=keys, users=seed.users(store),
                                data_dir=directory, control=control, app=app)
        finally:
            control.close()
            server.should_exit = True
            thread.join(timeout=15)
            sock.close()
            store.db.close()
