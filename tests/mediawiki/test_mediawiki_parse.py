"""Parsing API answers, names, Retry-After, the client pool, the fixture's hashes (no wiki)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from wikiscore.errors import UnknownWiki
from wikiscore.mediawiki import parse
from wikiscore.mediawiki.client import ClientPool, _retry_after
from wikiscore.mediawiki.errors import MalformedResponse, RevisionDeleted, RevisionNotFound
from wikiscore.wikis import Wiki, WikiRegistry

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "wiki"

# Shaped like MediaWiki 1.39's answer (formatversion=2) for a visible, a revision-deleted and a
# suppressed revision, and a missing id (recorded from the local wiki, text shortened).
ANSWER = {
    "badrevids": {"25": {"revid": 25, "missing": True}},
    "pages": [
        {
            "pageid": 2,
            "ns": 0,
            "title": "Albedo",
            "revisions": [
                {
                    "revid": 6,
                    "parentid": 5,
                    "minor": False,
                    "user": "192.0.2.10",
                    "anon": True,
                    "userid": 0,
                    "timestamp": "2016-03-07T16:20:31Z",
                    "size": 20,
                    "sha1": "1891d8fb2a1961df3cbbdc23f4765babd5d8ad24",
                    "slots": {"main": {"contentmodel": "wikitext", "content": "Albedo LOL"}},
                    "comment": "",
                    "tags": ["mw-reverted"],
                },
                {
                    "revid": 20,
                    "parentid": 19,
                    "userhidden": True,
                    "timestamp": "2016-03-17T18:00:00Z",
                    "size": 10,
                    "sha1hidden": True,
                    "slots": {"main": {"texthidden": True}},
                    "commenthidden": True,
                    "tags": [],
                },
                {
                    "revid": 23,
                    "parentid": 22,
                    "user": "203.0.113.5",
                    "anon": True,
                    "userid": 0,
                    "timestamp": "2016-03-19T11:11:11Z",
                    "size": 16,
                    "sha1hidden": True,
                    "comment": "",
                    "tags": [],
                    "suppressed": True,
                },
            ],
        }
    ],
}


def test_parse_revisions_answer():
    entries, errors = parse.parse_revisions_answer(ANSWER)
    assert list(entries) == [6]
    assert entries[6]["text"] == "Albedo LOL" and entries[6]["user"]["anon"] is True
    assert isinstance(errors[25], RevisionNotFound)
    assert isinstance(errors[20], RevisionDeleted)
    assert "text, user, comment deleted" in errors[20].message
    assert isinstance(errors[23], RevisionDeleted) and "suppressed" in errors[23].message
    record = parse.record_from_entry(entries[6], parent_text="Albedo", with_text=True)
    assert record.timestamp == datetime(2016, 3, 7, 16, 20, 31, tzinfo=UTC)
    assert record.tags == ("mw-reverted",) and record.parent_text == "Albedo"
    with pytest.raises(MalformedResponse):
        parse.parse_revisions_answer({"pages": {"2": {}}})


def test_names():
    assert parse.mediawiki_ip("2001:db8::7") == "2001:DB8:0:0:0:0:0:7"
    assert parse.mediawiki_ip("2001:0db8:85a3::8a2e:0370:7334") == (
        "2001:DB8:85A3:0:0:8A2E:370:7334"
    )
    assert parse.mediawiki_ip("192.0.2.10") == "192.0.2.10"
    assert parse.mediawiki_ip("Alice") is None
    assert parse.normalize_user_name("foo_bar  baz") == "Foo bar baz"
    assert parse.normalize_user_name("élan") == "Élan"


def test_retry_after_seconds_and_http_date():
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= _retry_after(httpx.Response(503, headers={"Retry-After": when})) <= 31
    assert _retry_after(httpx.Response(503)) is None
    assert _retry_after(httpx.Response(503, headers={"Retry-After": "soon"})) is None


def test_client_pool_one_client_per_wiki():
    wiki = Wiki(dbname="somewiki", api_url="http://127.0.0.1:9/api.php", max_concurrency=3)
    pool = ClientPool(WikiRegistry({"somewiki": wiki}), timeout=2.0)
    client = pool.client("somewiki")
    assert pool.client("somewiki") is client
    assert client.max_concurrency == 3 and client.timeout == 2.0
    with pytest.raises(UnknownWiki):
        pool.client("notawiki")
    asyncio.run(pool.aclose())


def test_fixture_files_match_their_recorded_hashes():
    readme = (FIXTURE_DIR / "README.md").read_text()
    for name in ("history.xml", "history.users.json"):
        recorded = re.search(rf"`{re.escape(name)}` \| `([0-9a-f]{{64}})`", readme).group(1)
        assert hashlib.sha256((FIXTURE_DIR / name).read_bytes()).hexdigest() == recorded
