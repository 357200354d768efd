"""``wikiscore serve`` as a user runs it: clear errors, JSON logs, graceful shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from serve_helpers import free_port

CLI = [sys.executable, "-m", "wikiscore.cli.main"]


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, env=env or os.environ.copy()
    )


def test_help_names_every_option() -> None:
    result = _run("serve", "--help")
    assert result.returncode == 0
    for option in ("--host", "--port", "--cache", "--precache", "--demo", "--workers"):
        assert option in result.stdout


def test_bad_options_fail_with_one_clear_line() -> None:
    bad_cache = _run("serve", "--cache", "http://127.0.0.1:6379")
    assert bad_cache.returncode != 0 and "redis://" in bad_cache.stderr
    unknown = _run("serve", "--port", str(free_port()), "--precache", "nosuchwiki")
    assert unknown.returncode != 0 and "unknown wiki 'nosuchwiki'" in unknown.stderr
    for result in (bad_cache, unknown):
        assert "Traceback" not in result.stderr


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run("serve", "--port", str(port))
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_serves_logs_json_and_shuts_down_gracefully(tmp_path: Path) -> None:
    port = free_port()
    env = os.environ.copy()
    env["WIKISCORE_HOME"] = str(tmp_path)
    # A local wiki nobody listens on: health and wiki information need no wiki.
    env["WIKISCORE_WIKIS"] = f"offlinewiki=http://127.0.0.1:{free_port()}/api.php@zu"
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    output = proc.stderr.read() if proc.stderr else "no output"
                    raise AssertionError(output) from None
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        wiki = httpx.get(f"http://127.0.0.1:{port}/v1/wikis/offlinewiki").json()
        assert wiki["lang"] == "zu" and wiki["models"] == []
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    events = [line.get("event") for line in lines]
    assert "started" in events and "stopped" in events
    requests = [line for line in lines if line.get("event") == "request"]
    assert any(r["path"] == "/healthz" and r["status"] == 200 for r in requests)
    assert all({"ts", "level", "duration_ms", "request_id"} <= set(r) for r in requests)


@pytest.mark.wiki
@pytest.mark.slow
def test_demo_mode_is_a_live_service_with_recent_changes(tmp_path: Path) -> None:
    """``wikiscore serve --demo`` (what ``make run`` runs): the demo wiki starts, edits are
    replayed into it and precached, the patrol data is live; SIGTERM stops the wiki too."""
    from wikiscore.localwiki.server import wiki_status

    port = free_port()
    env = os.environ.copy()
    env["WIKISCORE_HOME"] = str(tmp_path)
    env.pop("WIKISCORE_WIKIS", None)
    proc = subprocess.Popen(
        [*CLI, "serve", "--demo", "--port", str(port), "--log-format", "text"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        precache: dict[str, Any] = {}
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(proc.stderr.read() if proc.stderr else "exited")
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2).json()
            except (httpx.HTTPError, ValueError):
                time.sleep(0.5)
                continue
            precache = ready.get("precache", {}).get("demowiki", {})
            # Past the backfill: an edit replayed after start-up has been scored live.
            if precache.get("median_lag_seconds") is not None:
                break
            time.sleep(0.5)
        assert precache.get("median_lag_seconds") is not None, precache
        assert precache["median_lag_seconds"] < 10
        contexts = httpx.get(f"{base}/v3/scores/", timeout=10).json()
        assert "editrisk" in contexts["demowiki"]["models"]
        wiki_dir = tmp_path / "demo-wiki"
        assert wiki_status(wiki_dir)["running"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    assert not wiki_status(tmp_path / "demo-wiki")["running"]
