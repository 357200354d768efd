"""Fixtures of the scoring service tests: a real redis-server, a live uvicorn server in a thread,
and a service app wired to the session's local wiki (``testwiki``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_helpers import free_port, new_app


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free port, for this test session only."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (scripts/install-system.sh installs it)")
    directory = tmp_path_factory.mktemp("redis")
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [binary, *args, "--dir", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store.sqlite3"


# -- the service on the session's local wiki --------------------------------------------------
@pytest.fixture(scope="module")
def testwiki_registry(local_wiki: Any) -> Any:
    """Only the local wiki: nothing a test (or the fuzzer) sends can reach a real Wikipedia."""
    from wikiscore.wikis import WikiRegistry

    return WikiRegistry({"testwiki": local_wiki.as_wiki()})


@pytest.fixture(scope="module")
def service_app(testwiki_registry: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return new_app(testwiki_registry, tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def service(service_app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(service_app) as client:
        yield client
