"""A write answered 2xx survives kill -9 of the server process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(data_dir: Path, port: int, key: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "nexla_sandbox.cli", "serve", "--port", str(port),
                                "--data-dir", str(data_dir), "--service-key", key],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/nexla-api/openapi.json", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(process.stderr.read().decode() if process.stderr else "server did not start")


def _client(port: int, key: str) -> httpx.Client:
    base = f"http://127.0.0.1:{port}/nexla-api"
    token = httpx.post(f"{base}/token", headers={"Authorization": f"Basic {key}"}).json()["access_token"]
    return httpx.Client(base_url=base + "/", headers={"Authorization": f"Bearer {token}"})


def test_write_survives_kill_9(tmp_path: Path) -> None:
    key, port = "durability-key", _port()
    process = _serve(tmp_path, port, key)
    try:
        with _client(port, key) as client:
            created = client.post("data_credentials", json={"name": "kept", "credentials_type": "s3",
                                                            "credentials": {"password": "pw"}})
            assert created.status_code == 200
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    port = _port()
    process = _serve(tmp_path, port, key)
    try:
        with _client(port, key) as client:
            names = [c["name"] for c in client.get("data_credentials").json()]
            assert names == ["kept"]
    finally:
        process.terminate()
        process.wait()
