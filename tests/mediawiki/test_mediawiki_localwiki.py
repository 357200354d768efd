"""The local wiki itself: start/stop/idempotency, the editor, the fixture's live history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import httpx
import pytest
from mw_helpers import make_client, run

from wikiscore.errors import InvalidInput
from wikiscore.localwiki.editor import EditError, WikiEditor
from wikiscore.localwiki.server import access_log, set_faults, start_wiki, stop_wiki
from wikiscore.records import RevisionRecord

pytestmark = pytest.mark.wiki
CLI = [sys.executable, "-m", "wikiscore.cli.main"]


def test_fixture_history_has_real_reverts_and_tags(local_wiki, wiki_history):
    n = wiki_history["named"]
    client, _ = make_client(local_wiki)
    ids = [
        n["albedo_rollback"],
        n["aristotle_undo"],
        n["albedo_vandalism"],
        n["aristotle_blanking"],
        n["allah_manual_revert"],
        n["aikido_minor_edit"],
    ]

    async def go():
        async with client:
            return await client.get_revisions(ids, content=True)

    got = run(go())
    assert all(isinstance(v, RevisionRecord) for v in got.values())
    assert "mw-rollback" in got[n["albedo_rollback"]].tags
    assert "mw-undo" in got[n["aristotle_undo"]].tags
    assert "mw-reverted" in got[n["albedo_vandalism"]].tags
    assert "mw-reverted" in got[n["aristotle_blanking"]].tags
    # The undo restores the text from before the blanking (saving trims the final newline).
    assert got[n["aristotle_undo"]].text == got[n["aristotle_blanking"]].parent_text.rstrip()
    # The manual revert in the dump is an identity revert (same sha1 as two edits before).
    manual = got[n["allah_manual_revert"]]
    assert manual.text != manual.parent_text and "Reverted" in manual.comment
    # Several scripts survive the round trip through MediaWiki.
    assert {"ARABIC", "HEBREW", "SYRIAC", "GURMUKHI", "LATIN"} <= scripts(manual.text)
    assert {"CJK", "HIRAGANA"} <= scripts(got[n["aikido_minor_edit"]].text)


def scripts(text: str) -> set[str]:
    return {unicodedata.name(ch, "?").split()[0] for ch in text if ord(ch) > 0x7F}


def test_editor_accounts_edits_and_errors(local_wiki):
    name, password = "Fresh Account 7", "fresh-account-pass-77"
    with WikiEditor(local_wiki.api_url) as anon:
        anon.create_account(name, password)
    with WikiEditor(local_wiki.api_url, user=name, password=password) as editor:
        first = editor.edit("Editor test page", "First version.", summary="create")
        second = editor.edit("Editor test page", "Second version.", minor=True)
        assert second > first
        assert editor.page_text("Editor test page") == "Second version."
        with pytest.raises(EditError) as nochange:
            editor.edit("Editor test page", "Second version.")
        assert nochange.value.code == "nochange"
        with pytest.raises(EditError):
            editor.page_text("No such page at all")
    with pytest.raises(EditError):
        WikiEditor(local_wiki.api_url, user=name, password="wrong password")
    with pytest.raises(InvalidInput):
        WikiEditor("https://en.wikipedia.org/w/api.php")
    with pytest.raises(InvalidInput):
        WikiEditor(local_wiki.api_url, ip="999.1.1.1")


def test_start_is_idempotent_and_faults_are_scoped_by_agent(local_wiki):
    again = start_wiki(local_wiki.directory, dbname="testwiki")
    assert again == local_wiki
    set_faults(local_wiki.directory, [{"kind": "status", "status": 503, "user_agent": "nobody"}])
    try:
        response = httpx.get(
            local_wiki.api_url, params={"action": "query", "meta": "siteinfo", "format": "json"}
        )
    finally:
        set_faults(local_wiki.directory, [])
    assert response.status_code == 200 and "query" in response.json()
    assert access_log(local_wiki.directory)[-1]["uri"].startswith("/api.php?action=query")


def test_cli_wiki_start_status_stop(tmp_path: Path):
    directory = tmp_path / "wiki"
    env = {**os.environ}

    def cli(*args: str) -> dict:
        done = subprocess.run(
            [*CLI, "wiki", *args, "--dir", str(directory)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    try:
        started = cli("start")
        assert started["api_url"].startswith("http://127.0.0.1:")
        began = time.monotonic()
        assert cli("start")["port"] == started["port"]  # idempotent and fast
        assert time.monotonic() - began < 5
        status = cli("status")
        assert status["running"] and status["installed"]
        with WikiEditor(started["api_url"], user="Admin", password=started["password"]) as admin:
            admin.edit("Kept page", "Data survives a restart.")
        assert cli("stop")["stopped"] is True
        assert cli("status")["running"] is False
        restarted = cli("start")
        assert restarted["port"] == started["port"]
        with WikiEditor(restarted["api_url"]) as reader:
            assert reader.page_text("Kept page") == "Data survives a restart."
    finally:
        stop_wiki(directory)
