"""``wikiscore revisions`` end to end against the real local wiki (a subprocess, like a user)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.wiki
CLI = [sys.executable, "-m", "wikiscore.cli.main"]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=60
    )


def test_revisions_prints_one_line_per_id_with_errors_inline(local_wiki, wiki_history):
    n = wiki_history["named"]
    ids = [n["albedo_vandalism"], n["tarkovsky_deleted"], n["never_existed"]]
    done = cli("revisions", "--wiki", "testwiki", "--content", "--user-info", *map(str, ids))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["rev_id"] for line in lines] == ids
    assert "LOL ALBEDO IS SO STUPID" in lines[0]["text"] and lines[0]["parent_text"]
    assert lines[0]["user"] == {
        "name": "192.0.2.10",
        "id": 0,
        "anon": True,
        "groups": None,
        "registration": None,
        "edit_count": None,
    }
    assert lines[0]["timestamp"] == "2016-03-07T16:20:31Z"
    assert lines[1]["error"]["type"] == "revision_deleted"
    assert lines[2]["error"]["type"] == "revision_not_found"

    plain = cli("revisions", "--wiki", "testwiki", str(n["albedo_creation"]))
    record = json.loads(plain.stdout)
    assert record["text"] is None and record["page"]["title"] == "Albedo"


def test_unknown_wiki_unreachable_wiki_and_bad_ids_fail_clearly(local_wiki):
    unknown = cli("revisions", "--wiki", "notawiki", "1")
    assert unknown.returncode == 2 and "unknown wiki 'notawiki'" in unknown.stderr
    assert "Traceback" not in unknown.stderr and unknown.stdout == ""

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "WIKISCORE_WIKIS": f"downwiki=http://127.0.0.1:{port}/api.php"}
    down = cli("revisions", "--wiki", "downwiki", "--retries", "0", "5", env=env)
    assert down.returncode == 3 and "cannot connect to downwiki" in down.stderr
    assert "Traceback" not in down.stderr

    bad = cli("revisions", "--wiki", "testwiki", "12x")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
