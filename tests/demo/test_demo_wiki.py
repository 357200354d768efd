"""The demo replayer and the demo wiki against a real local MediaWiki."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from wikiscore.localwiki.demo import (
    BOT,
    REGULARS,
    VANDALISM_KINDS,
    demo_articles,
    replay_edits,
    start_demo,
    stop_demo,
)

pytestmark = pytest.mark.wiki

# Small demo articles that the shared test wiki does not have: the replayer creates them, so
# the fixture's own pages (and the revisions other tests rely on) are not touched.
TITLES = ["Animalia (book)", "Appellate court", "Alain Connes", "Allan Dwan", "Agnostida"]


def _query(api_url: str, **params: Any) -> dict[str, Any]:
    params = {"action": "query", "format": "json", "formatversion": "2", **params}
    return dict(httpx.get(api_url, params=params, timeout=30).json())


def _recent_changes(api_url: str) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    while True:
        data = _query(
            api_url,
            list="recentchanges",
            rcprop="ids|user|userid|flags|tags|comment|title|loginfo",
            rclimit="500",
            **extra,
        )
        changes += data["query"]["recentchanges"]
        if "continue" not in data:
            return changes
        extra = data["continue"]


def test_replayer_makes_every_kind_of_edit_by_every_kind_of_editor(local_wiki: Any) -> None:
    assert not set(TITLES) & {
        p["title"] for p in _query(local_wiki.api_url, list="allpages")["query"]["allpages"]
    }
    edits = replay_edits(local_wiki, seed=11, per_minute=1_000_000, limit=28, titles=TITLES)
    kinds = {e.kind for e in edits}
    assert kinds >= {"create", "copyedit", "addition", "bot", *VANDALISM_KINDS, "revert"}
    assert {e.editor for e in edits} >= {"regular", "newcomer", "ipv4", "ipv6", "bot", "patroller"}
    assert {e.method for e in edits if e.kind == "revert"} >= {"rollback", "undo"}
    assert {e.title for e in edits} <= set(TITLES)

    by_rev = {c["revid"]: c for c in _recent_changes(local_wiki.api_url) if c["type"] != "log"}
    assert all(e.rev_id in by_rev for e in edits)  # every saved edit is in recentchanges
    for edit in edits:
        change = by_rev[edit.rev_id]
        assert change["title"] == edit.title and change["user"] == edit.user
        assert change.get("anon", False) == (edit.editor in ("ipv4", "ipv6"))
        assert change["bot"] == (edit.editor == "bot")
        if edit.method == "rollback":
            assert "mw-rollback" in change["tags"]
        if edit.method == "undo":
            assert "mw-undo" in change["tags"]
    ipv6 = [e for e in edits if e.editor == "ipv6"]
    assert ipv6 and all(e.user.startswith("2001:DB8:") and by_rev[e.rev_id]["anon"] for e in ipv6)

    # Vandalism is undone: a reverted edit's text is gone from the page afterwards.
    reverted = {e.reverted_rev_id for e in edits if e.kind == "revert"}
    assert reverted and reverted <= {e.rev_id for e in edits if e.vandalism}

    # New accounts were registered on the spot (a newusers log entry) right before editing.
    created = {c["title"].removeprefix("User:") for c in by_rev.values()} | {
        c["title"].removeprefix("User:")
        for c in _recent_changes(local_wiki.api_url)
        if c.get("logtype") == "newusers"
    }
    assert {e.user for e in edits if e.editor == "newcomer"} <= created

    # Regulars are long-standing (backdated registration), patrollers can roll back, a bot.
    names = "|".join(r.name for r in (*REGULARS, BOT))
    users = _query(local_wiki.api_url, list="users", ususers=names, usprop="registration|groups")
    info = {u["name"]: u for u in users["query"]["users"]}
    assert all(info[r.name]["registration"] < "2016" for r in REGULARS)
    assert "sysop" in info[REGULARS[0].name]["groups"]
    assert "bot" in info[BOT.name]["groups"]


@pytest.mark.slow
def test_start_demo_imports_real_articles_and_registers_the_wiki(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIKISCORE_WIKIS", os.environ.get("WIKISCORE_WIKIS", ""))
    try:
        demo = start_demo(tmp_path)
        assert demo.directory == tmp_path / "demo-wiki"
        assert f"demowiki={demo.api_url}@en" in os.environ["WIKISCORE_WIKIS"]
        from wikiscore.wikis import default_registry

        assert default_registry().get_wiki("demowiki").api_url == demo.api_url
        pages = _query(demo.api_url, list="allpages", aplimit="max")["query"]["allpages"]
        assert {p["title"] for p in pages} == {*demo_articles(), "Main Page"}
        main = _query(demo.api_url, prop="revisions", titles="Main Page", rvprop="content")
        assert "CC BY-SA 4.0" in main["query"]["pages"][0]["revisions"][0]["content"]

        article = demo_articles()["Aikido"]  # a featured article
        history = _query(
            demo.api_url,
            prop="revisions",
            titles="Aikido",
            rvprop="user|comment|content",
            rvslots="main",
            rvlimit="2",
            rvdir="newer",
        )["query"]["pages"][0]["revisions"]
        assert history[0]["user"] == article.user  # the real 2016 editor
        assert history[0]["slots"]["main"]["content"] == article.text
        current = history[1]["slots"]["main"]["content"]
        assert article.held_back and all(h.paragraph not in current for h in article.held_back)

        started = time.monotonic()
        again = start_demo(tmp_path)
        assert again.api_url == demo.api_url and time.monotonic() - started < 5
    finally:
        stop_demo(tmp_path)
