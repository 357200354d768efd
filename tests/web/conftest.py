"""Fixtures of the patrol-page browser tests: the real service in a subprocess (``wikiscore
serve``, restartable on the same data directory) and headless Chromium from Debian driven by
Playwright (never ``playwright install``: no browser is downloaded).

Screenshots: set ``WIKISCORE_SCREENSHOTS=1`` (or a directory) to write them to
``docs/screenshots/`` (see the README there); otherwise they go to the test's tmp directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PatrolService:
    """``wikiscore serve`` in a subprocess, on a data directory that outlives restarts."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = home / "service.log"

    @property
    def store_path(self) -> Path:
        return self.home / "wikiscore.sqlite3"

    def start(self) -> None:
        command = [sys.executable, "-m", "wikiscore.cli.main", "serve", "--port", str(self.port)]
        command += ["--rate-limit", "0", "--log-format", "text"]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the service exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service did not get ready: {self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def patrol_service(local_wiki: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("patrol-home")
    env = {**os.environ, "WIKISCORE_HOME": str(home)}
    env.pop("WIKISCORE_STORE", None)
    service = PatrolService(home, env)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (scripts/install-system.sh installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("WIKISCORE_SCREENSHOTS", "")
    if wanted in ("", "0"):
        return tmp_path_factory.mktemp("screenshots")
    target = REPO / "docs" / "screenshots" if wanted == "1" else Path(wanted)
    target.mkdir(parents=True, exist_ok=True)
    return target
