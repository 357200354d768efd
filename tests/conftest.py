"""Shared test set-up: every test session gets its own WIKISCORE_HOME (no state leaks in or out).

Fixtures for the real local MediaWiki live in ``tests/wiki_fixtures.py`` (started once per
session); area-specific fixtures live next to their tests.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="wikiscore-test-home-"))
os.environ["WIKISCORE_HOME"] = str(_SESSION_HOME)
os.environ.pop("WIKISCORE_WIKIS", None)
os.environ.pop("WIKISCORE_CONFIG", None)
os.environ.pop("WIKISCORE_STORE", None)

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# --- The real local MediaWiki (owner: mediawiki helper) ------------------------------------------
# `local_wiki` starts one wiki per session from tests/fixtures/wiki/history.xml, then makes the
# history that only a live wiki can make (a real rollback and undo, revision deletion and
# suppression, a deleted page) and points WIKISCORE_WIKIS at it as "testwiki". `wiki_history`
# names the interesting revision ids (see tests/fixtures/wiki/README.md). Tests that use them are
# marked `@pytest.mark.wiki`.

import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

WIKI_HISTORY_XML = FIXTURES / "wiki" / "history.xml"


@pytest.fixture(scope="session")
def local_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from wikiscore.localwiki.server import start_wiki, stop_wiki

    directory = tmp_path_factory.mktemp("localwiki")
    previous = os.environ.get("WIKISCORE_WIKIS")
    try:
        wiki = start_wiki(directory, dumps=[WIKI_HISTORY_XML], dbname="testwiki")
        history = _make_live_history(wiki)
        (directory / "history.json").write_text(json.dumps(history, indent=1))
        os.environ["WIKISCORE_WIKIS"] = f"testwiki={wiki.api_url}@en"
        yield wiki
    finally:
        stop_wiki(directory)
    if previous is None:
        os.environ.pop("WIKISCORE_WIKIS", None)
    else:
        os.environ["WIKISCORE_WIKIS"] = previous


@pytest.fixture(scope="session")
def wiki_history(local_wiki: Any) -> dict[str, Any]:
    """``{"named": {name: rev_id}, "pages": {title: [rev ids, oldest first]}}``."""
    return dict(json.loads((local_wiki.directory / "history.json").read_text()))


def _page_revisions(api_url: str, title: str) -> list[dict[str, Any]]:
    import httpx

    params = {
        "action": "query",
        "prop": "revisions",
        "titles": title,
        "rvprop": "ids|user",
        "rvlimit": "max",
        "rvdir": "newer",
        "format": "json",
        "formatversion": "2",
    }
    page = httpx.get(api_url, params=params, timeout=30).json()["query"]["pages"][0]
    return list(page.get("revisions", []))


def _make_live_history(wiki: Any) -> dict[str, Any]:
    """Real rollback, undo, revision deletion, suppression and page deletion on the fixture."""
    from wikiscore.localwiki.editor import WikiEditor
    from wikiscore.localwiki.server import run_jobs

    api = wiki.api_url
    titles = [
        "Albedo",
        "Aristotle",
        "Allah",
        "Aikido",
        "Andrei Tarkovsky",
        "Algeria",
        "Adventure (copy)",
        "Aristoteles",
        "Talk:Albedo",
        "User talk:192.0.2.10",
        "User:Petrichor42",
    ]
    before = {t: [r["revid"] for r in _page_revisions(api, t)] for t in titles}
    named: dict[str, int] = {
        "albedo_creation": before["Albedo"][0],
        "albedo_bot_edit": before["Albedo"][3],
        "albedo_vandalism": before["Albedo"][4],
        "aristotle_ipv6_edit": before["Aristotle"][1],
        "aristotle_bot_edit": before["Aristotle"][2],
        "aristotle_blanking": before["Aristotle"][3],
        "allah_vandalism": before["Allah"][2],
        "allah_manual_revert": before["Allah"][3],
        "aikido_ipv6_edit": before["Aikido"][1],
        "aikido_minor_edit": before["Aikido"][2],
        "tarkovsky_deleted": before["Andrei Tarkovsky"][2],
        "tarkovsky_revert": before["Andrei Tarkovsky"][3],
        "algeria_suppressed": before["Algeria"][1],
        "algeria_revert": before["Algeria"][2],
        "deleted_page_revision": before["Adventure (copy)"][0],
        "redirect": before["Aristoteles"][0],
        "talk_ipv6_reply": before["Talk:Albedo"][2],
    }
    with (
        WikiEditor(api, user=wiki.admin_user, password=wiki.password) as admin,
        WikiEditor(api, user="Quillfeather", password=wiki.password) as quillfeather,
    ):
        named["albedo_rollback"] = admin.rollback("Albedo", "192.0.2.10")
        named["aristotle_undo"] = quillfeather.undo(
            "Aristotle", named["aristotle_blanking"], summary="restore the Life section"
        )
        admin.delete_revisions(
            "Andrei Tarkovsky",
            [named["tarkovsky_deleted"]],
            hide=("content", "comment", "user"),
            reason="RD2: grossly insulting material",
        )
        admin.delete_revisions(
            "Algeria",
            [named["algeria_suppressed"]],
            hide=("content",),
            suppress=True,
            reason="Personal information",
        )
        admin.delete_page("Adventure (copy)", reason="Copy of [[Adventure]]")
    run_jobs(wiki.directory)  # e.g. the mw-reverted tag on the reverted edits
    pages = {t: [r["revid"] for r in _page_revisions(api, t)] for t in titles}
    top = max(r for revs in before.values() for r in revs)
    named["never_existed"] = top + 100_000
    return {"named": named, "pages": pages}
