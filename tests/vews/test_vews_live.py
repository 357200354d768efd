"""``wikiscore score-user`` against the real local MediaWiki: a new account edits, gets a score."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from wikiscore.cli.main import app
from wikiscore.localwiki.editor import WikiEditor

pytestmark = pytest.mark.wiki

runner = CliRunner()


def test_new_account_is_scored_from_its_edits(local_wiki):
    name, password = "Early Warning Test 1", "early-warning-pass-1"
    silent = "Early Warning Silent 1"
    with WikiEditor(local_wiki.api_url) as anon:
        anon.create_account(name, password)
        anon.create_account(silent, password)
    with WikiEditor(local_wiki.api_url, user=name, password=password) as editor:
        for i in range(3):
            editor.edit(f"User:{name}", f"Hello, I am new here. Version {i}.")
            time.sleep(1.1)  # distinct timestamps (MediaWiki keeps whole seconds)
        editor.edit("Early warning article", "Some words about a topic.", summary="new page")

    result = runner.invoke(
        app, ["score-user", "--wiki", "testwiki", name, "No Such Account Anywhere", silent]
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1, result.output  # two accounts could not be scored
    scored, unknown, no_edits = lines
    assert scored["username"] == name
    assert scored["model"] == "enwiki-user-warning"
    assert 0.0 <= scored["probability"] <= 1.0
    assert scored["edits_considered"] == 4
    assert scored["level"] in ("likely_benign", "watch", "likely_vandal", "very_likely_vandal")
    assert scored["reasons"] and all(isinstance(r, str) for r in scored["reasons"])
    assert unknown["error"]["type"] == "user_not_found"
    assert no_edits["error"]["type"] == "invalid_input"
    assert "no edits" in no_edits["error"]["message"]
    assert "Traceback" not in result.output


def test_unknown_wiki_is_a_clear_error():
    result = runner.invoke(app, ["score-user", "--wiki", "nosuchwiki", "Someone"])
    assert result.exit_code == 2
    assert "nosuchwiki" in result.output and "Traceback" not in result.output
