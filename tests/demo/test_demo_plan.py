"""The demo replayer's plan and text changes, without a wiki (pure functions of a seed)."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from itertools import islice
from pathlib import Path

from wikiscore.dumps import read_dump
from wikiscore.localwiki.demo import (
    EDITOR_KINDS,
    VANDALISM_KINDS,
    articles_path,
    bot_fix,
    copyedit,
    demo_articles,
    mediawiki_ip,
    plan_actions,
    random_ipv6,
    restore_paragraph,
    vandalise,
    write_demo_import,
)

ARTICLES_SHA256 = "437ebd997775d18af4cb75483014a03683c90bcb41083afd3bccd0443cb77c1d"


def test_packaged_articles_are_the_recorded_real_slice() -> None:
    assert hashlib.sha256(articles_path().read_bytes()).hexdigest() == ARTICLES_SHA256
    articles = demo_articles()
    assert len(articles) == 40
    featured = [t for t, a in articles.items() if "{{featured article}}" in a.text.lower()]
    good = [t for t, a in articles.items() if "{{good article}}" in a.text.lower()]
    assert sorted(featured) == ["Aikido", "Apollo 8"] and sorted(good) == ["Allah", "Anatomy"]
    assert sum(len(a.held_back) for a in articles.values()) == 74


def test_plan_is_a_function_of_the_seed() -> None:
    first = list(islice(plan_actions(7), 80))
    assert first == list(islice(plan_actions(7), 80))
    assert first != list(islice(plan_actions(8), 80))


def test_every_cycle_has_every_kind_and_reverts_follow_their_vandalism() -> None:
    actions = list(islice(plan_actions(0), 200))
    by_seq = {a.seq: a for a in actions}
    assert [a.seq for a in actions] == list(range(200))
    window = actions[:26]  # two cycles
    assert {a.kind for a in window} >= {"copyedit", "addition", "bot", *VANDALISM_KINDS, "revert"}
    assert {a.editor for a in window} == set(EDITOR_KINDS)
    assert {a.method for a in window if a.kind == "revert"} == {"rollback", "undo"}
    assert any(a.editor == "ipv6" for a in window)
    reverts = [a for a in actions if a.kind == "revert"]
    for revert in reverts:
        target = by_seq[revert.undoes]
        assert target.is_vandalism and revert.seq > target.seq
    reverted = Counter(r.undoes for r in reverts)
    vandalism = [a for a in actions[:150] if a.is_vandalism]
    assert all(reverted[v.seq] == 1 for v in vandalism)  # each reverted exactly once
    delays = [r.seq - r.undoes for r in reverts]
    assert min(delays) >= 1 and max(delays) >= 15  # quick reverts and late ones
    assert all(by_seq[r.undoes].kind != "blanking" or r.seq - r.undoes <= 8 for r in reverts)


def test_text_changes_are_deterministic_and_do_what_they_say() -> None:
    article = demo_articles()["Aardvark"]
    text = article.demo_text
    assert copyedit(text, random.Random(1)) == copyedit(text, random.Random(1))
    edited, _summary = copyedit(text, random.Random(1))
    changed = [(a, b) for a, b in zip(text.split("\n"), edited.split("\n"), strict=True) if a != b]
    assert len(changed) == 1
    restored, summary = restore_paragraph(text, article, random.Random(2))
    added = [h for h in article.held_back if h.paragraph in restored]
    assert len(added) == 1 and "<ref" in added[0].paragraph
    assert restored.index(added[0].after) < restored.index(added[0].paragraph)
    assert restore_paragraph(article.text, article, random.Random(2)) is None  # nothing held back
    fixed, summary = bot_fix(text, random.Random(3))
    assert summary.startswith("Bot: ") and "accessdate" not in fixed
    for kind in VANDALISM_KINDS:
        new_text, _summary, phrase = vandalise(kind, text, random.Random(4))
        if kind == "blanking":
            assert len(new_text) < len(text) / 2 or len(new_text) < len(text) - 500
        else:
            assert phrase and phrase in new_text
            assert new_text.replace(" " + phrase, "", 1) == text  # only the phrase was added


def test_ipv6_addresses_are_documentation_addresses_shown_as_mediawiki_shows_them() -> None:
    address = random_ipv6(random.Random(5))
    assert address.startswith("2001:db8:")
    shown = mediawiki_ip(address)
    assert shown == shown.upper() and shown.count(":") == 7
    assert mediawiki_ip("2001:db8::1") == "2001:DB8:0:0:0:0:0:1"


def test_demo_import_keeps_the_real_revision_and_holds_paragraphs_back(tmp_path: Path) -> None:
    path = write_demo_import(tmp_path / "import.xml")
    revisions = list(read_dump(path, keep_text=True))
    articles = demo_articles()
    assert len({r.page.title for r in revisions}) == 40
    held = {t for t, a in articles.items() if a.held_back}
    assert len(revisions) == 40 + len(held)
    for rev in revisions:
        article = articles[rev.page.title]
        if rev.rev_id == article.rev_id:  # the real 2016 revision, untouched
            assert (rev.text, rev.user, rev.timestamp) == (
                article.text,
                article.user,
                article.timestamp,
            )
        else:
            assert rev.user == "Wikiscore demo" and rev.parent_id == article.rev_id
            assert rev.text == article.demo_text
            assert all(h.paragraph not in rev.text for h in article.held_back)
            assert "CC BY-SA 4.0" in rev.comment


def test_async_replay_stops_when_cancelled() -> None:
    """No wiki listens on port 9: every action fails (logged), the loop keeps its rhythm, and
    cancelling the task stops the worker thread promptly."""
    import asyncio
    import contextlib
    import socket
    import threading
    import time

    from wikiscore.localwiki.demo import replay_edits_async

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api.php"

    async def scenario() -> float:
        task = asyncio.create_task(replay_edits_async(url, per_minute=60))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    before = threading.active_count()
    assert asyncio.run(scenario()) < 3
    assert threading.active_count() <= before
    assert asyncio.run(replay_edits_async(url, limit=0)) == []
