"""The MediaWiki client against the real local wiki (tests/fixtures/wiki/history.xml)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mw_helpers import FAULT_AGENT, make_client, run

from wikiscore.errors import InvalidInput
from wikiscore.localwiki.editor import WikiEditor
from wikiscore.localwiki.server import access_log, bot_password_for, create_bot_password
from wikiscore.mediawiki import client as client_module
from wikiscore.mediawiki.errors import (
    LoginFailed,
    PageNotFound,
    RevisionDeleted,
    RevisionNotFound,
    UserNotFound,
)
from wikiscore.records import RevisionRecord
from wikiscore.store import Store
from wikiscore.wikis import Wiki, default_registry

pytestmark = pytest.mark.wiki


def fetch(wiki, ids, **kwargs):
    options = {k: kwargs.pop(k) for k in list(kwargs) if k not in ("content", "user_info", "lean")}
    client, transport = make_client(wiki, **options)

    async def go():
        async with client:
            return await client.get_revisions(ids, **kwargs)

    return run(go()), transport


def test_revision_fields_content_parent_text_and_user_info(local_wiki, wiki_history):
    n = wiki_history["named"]
    ids = [n["albedo_vandalism"], n["albedo_creation"], n["albedo_rollback"]]
    got, transport = fetch(local_wiki, ids, content=True, user_info=True)
    assert list(got) == ids

    vandal = got[n["albedo_vandalism"]]
    assert isinstance(vandal, RevisionRecord)
    assert (vandal.user.name, vandal.user.id, vandal.user.anon) == ("192.0.2.10", 0, True)
    assert vandal.user.groups is None and vandal.user.registration is None
    assert vandal.page.title == "Albedo" and vandal.page.namespace == 0
    assert vandal.parent_id == n["albedo_bot_edit"]
    assert vandal.timestamp == datetime(2016, 3, 7, 16, 20, 31, tzinfo=UTC)
    assert "LOL ALBEDO IS SO STUPID" in vandal.text
    assert "LOL ALBEDO" not in vandal.parent_text and vandal.parent_text
    assert vandal.size == len(vandal.text.encode("utf-8"))
    assert vandal.sha1 == hashlib.sha1(vandal.text.encode("utf-8")).hexdigest()
    assert "mw-reverted" in vandal.tags

    creation = got[n["albedo_creation"]]
    assert creation.parent_id is None and creation.parent_text == "" and creation.is_creation
    assert creation.user.name == "Petrichor42" and not creation.user.anon
    assert creation.user.registration == datetime(2012, 5, 14, 10, 22, tzinfo=UTC)
    assert "user" in creation.user.groups and creation.user.edit_count >= 4
    assert creation.comment == "Start article on albedo"

    rollback = got[n["albedo_rollback"]]
    assert "mw-rollback" in rollback.tags and rollback.minor
    assert rollback.user.name == "Admin" and "sysop" in rollback.user.groups
    assert rollback.text == vandal.parent_text and rollback.parent_text == vandal.text

    # Two round trips: the revisions with content, then the missing parent + users together.
    assert len(transport.requests) == 2
    second = transport.params()[1]
    assert second["list"] == "users" and second["revids"] == str(n["albedo_bot_edit"])
    assert set(second["ususers"].split("|")) == {"Petrichor42", "Admin"}


def test_batches_of_fifty_and_two_round_trips_per_batch(local_wiki):
    ids = list(range(1, 121))
    got, transport = fetch(local_wiki, ids)
    assert len(got) == 120
    sizes = [len(p["revids"].split("|")) for p in transport.params()]
    assert sizes == [50, 50, 20]

    got, transport = fetch(local_wiki, ids, content=True, user_info=True)
    revision_requests = [p for p in transport.params() if "rvslots" in p and "ususers" not in p]
    assert len(revision_requests) == 3
    assert len(transport.requests) <= 6  # at most two round trips per batch
    assert any(isinstance(v, RevisionRecord) and v.text for v in got.values())


def test_missing_deleted_and_suppressed_revisions_are_per_id_errors(local_wiki, wiki_history):
    n = wiki_history["named"]
    ids = [
        n["never_existed"],
        n["deleted_page_revision"],
        n["tarkovsky_deleted"],
        n["algeria_suppressed"],
        n["tarkovsky_revert"],
        n["aikido_ipv6_edit"],
        0,
        -3,
    ]
    for content, lean in ((False, False), (True, False), (False, True), (True, True)):
        got, transport = fetch(local_wiki, ids, content=content, lean=lean)
        assert isinstance(got[n["never_existed"]], RevisionNotFound)
        assert isinstance(got[n["deleted_page_revision"]], RevisionNotFound)
        assert isinstance(got[0], RevisionNotFound) and isinstance(got[-3], RevisionNotFound)
        deleted = got[n["tarkovsky_deleted"]]
        assert isinstance(deleted, RevisionDeleted)
        assert "text" in deleted.message and "user" in deleted.message
        suppressed = got[n["algeria_suppressed"]]
        assert isinstance(suppressed, RevisionDeleted) and "suppressed" in suppressed.message
        assert isinstance(got[n["aikido_ipv6_edit"]], RevisionRecord)
        revert = got[n["tarkovsky_revert"]]
        if content:  # its parent's text is deleted, so there is no diff to score
            assert isinstance(revert, RevisionDeleted) and "parent" in revert.message
        else:
            assert isinstance(revert, RevisionRecord) and revert.user.name == "Orrery"
        assert all(str(i) not in ("0", "-3") for p in transport.params() for i in [p["revids"]])
    with pytest.raises(InvalidInput):
        fetch(local_wiki, ["12x"])


def test_ipv6_and_ipv4_editors(local_wiki, wiki_history):
    with WikiEditor(local_wiki.api_url, ip="2001:db8::7") as ipv6:
        rev_id = ipv6.edit("IPv6 test page", "Written from 2001:db8::7.", summary="test")
    got, _ = fetch(local_wiki, [rev_id, wiki_history["named"]["aristotle_ipv6_edit"]])
    assert got[rev_id].user.name == "2001:DB8:0:0:0:0:0:7"
    assert got[rev_id].user.anon and got[rev_id].user.id == 0
    fixture_edit = got[wiki_history["named"]["aristotle_ipv6_edit"]]
    assert fixture_edit.user.name == "2001:DB8:85A3:0:0:8A2E:370:7334" and fixture_edit.user.anon

    client, _ = make_client(local_wiki)

    async def go():
        async with client:
            return await client.get_users(["2001:db8::7", "2001:DB8:0:0:0:0:0:7", "192.0.2.10"])

    users = run(go())
    assert users["2001:db8::7"].name == users["2001:DB8:0:0:0:0:0:7"].name == got[rev_id].user.name
    assert users["192.0.2.10"].anon and users["192.0.2.10"].id == 0


def test_cache_second_fetch_makes_no_request(local_wiki, wiki_history, tmp_path, monkeypatch):
    n = wiki_history["named"]
    ids = [n["albedo_vandalism"], n["albedo_rollback"], n["aikido_minor_edit"]]
    store = Store(tmp_path / "cache.sqlite3")
    first, t1 = fetch(local_wiki, ids, content=True, user_info=True, store=store)
    assert len(t1.requests) == 2
    second, t2 = fetch(local_wiki, ids, content=True, user_info=True, store=store)
    assert len(t2.requests) == 0
    assert second == first
    # Without content the cached metadata suffices too.
    _, t3 = fetch(local_wiki, ids, store=store)
    assert len(t3.requests) == 0
    # User data is cached briefly: once expired, only list=users is asked again.
    monkeypatch.setattr(client_module, "USER_TTL", 0.2)
    _, t4 = fetch(local_wiki, [n["albedo_creation"]], user_info=True, store=store)
    time.sleep(0.3)
    _, t5 = fetch(local_wiki, [n["albedo_creation"]], user_info=True, store=store)
    assert len(t4.requests) == 2 and len(t5.requests) == 1
    assert t5.params()[0]["list"] == "users" and "revids" not in t5.params()[0]


def test_expired_metadata_keeps_the_cached_text(local_wiki, wiki_history, tmp_path):
    """Text is cached for good, metadata for an hour: once the metadata has expired, only the
    metadata is asked again and the revision still comes with its text."""
    n = wiki_history["named"]
    ids = [n["albedo_vandalism"], n["albedo_rollback"]]
    store = Store(tmp_path / "cache.sqlite3")
    first, _ = fetch(local_wiki, ids, content=True, user_info=True, store=store)
    store.connection().execute("DELETE FROM kv_cache WHERE namespace LIKE 'mw:revmeta:%'")
    again, transport = fetch(local_wiki, ids, content=True, user_info=True, store=store)
    assert len(transport.requests) == 1 and "content" not in transport.params()[0]["rvprop"]
    assert again == first and again[ids[0]].text and again[ids[0]].parent_text


def test_lean_fetch_leaves_out_sha1_and_tags_and_never_serves_a_full_request(
    local_wiki, wiki_history, tmp_path
):
    n = wiki_history["named"]
    ids = [n["albedo_vandalism"], n["albedo_rollback"]]
    store = Store(tmp_path / "cache.sqlite3")
    lean, t1 = fetch(local_wiki, ids, content=True, user_info=True, lean=True, store=store)
    assert all("sha1" not in p["rvprop"] and "tags" not in p["rvprop"] for p in t1.params())
    vandal = lean[n["albedo_vandalism"]]
    assert vandal.sha1 is None and vandal.tags == () and "LOL ALBEDO" in vandal.text
    # Cached lean entries serve lean requests; a full request asks for the metadata again.
    _, t2 = fetch(local_wiki, ids, content=True, user_info=True, lean=True, store=store)
    assert len(t2.requests) == 0
    full, t3 = fetch(local_wiki, ids, content=True, user_info=True, store=store)
    assert len(t3.requests) == 1 and "sha1" in t3.params()[0]["rvprop"]
    assert "mw-reverted" in full[n["albedo_vandalism"]].tags
    assert full[n["albedo_vandalism"]].text == vandal.text


def test_gzip_except_on_loopback():
    here = Wiki(dbname="here", api_url="http://127.0.0.1:9/api.php", local=True)
    clients = [
        client_module.MediaWikiClient(here),
        client_module.MediaWikiClient(here, gzip=True),
        client_module.MediaWikiClient(default_registry().get_wiki("enwiki")),
    ]
    assert [c._http.headers["Accept-Encoding"] for c in clients] == ["identity", "gzip", "gzip"]
    for client in clients:
        run(client.aclose())


def test_get_users(local_wiki):
    client, transport = make_client(local_wiki)

    async def go():
        async with client:
            return await client.get_users(
                ["Zzyzx123", "petrichor42", "Nobody here", "Bad<name", "ExampleBot"]
            )

    users = run(go())
    assert users["Zzyzx123"].registration == datetime(2016, 3, 12, 18, 0, tzinfo=UTC)
    assert users["Zzyzx123"].edit_count == 3
    assert users["petrichor42"].name == "Petrichor42"
    assert "bot" in users["ExampleBot"].groups
    assert isinstance(users["Nobody here"], UserNotFound)
    assert isinstance(users["Bad<name"], UserNotFound)
    assert len(transport.requests) == 1


def test_recent_changes_pages_since_namespaces(local_wiki):
    client, _ = make_client(local_wiki)

    async def go():
        async with client:
            first = await client.recent_changes(limit=5)
            second = await client.recent_changes(limit=5, continue_token=first.continue_token)
            since = datetime(2016, 3, 6, tzinfo=UTC)
            newer = await client.recent_changes(limit=50, since=since)
            talk = await client.recent_changes(limit=50, namespaces=[1])
            return first, second, newer, talk, since

    first, second, newer, talk, since = run(go())
    assert len(first.items) == 5 and first.continue_token
    assert not {c.rc_id for c in first.items} & {c.rc_id for c in second.items}
    stamps = [c.timestamp for c in first.items + second.items]
    assert stamps == sorted(stamps, reverse=True)
    assert newer.items and all(c.timestamp >= since for c in newer.items)
    assert [c.timestamp for c in newer.items] == sorted(c.timestamp for c in newer.items)
    assert talk.items and all(c.namespace == 1 for c in talk.items)
    everything = first.items + second.items + newer.items
    assert any(c.user == "ExampleBot" and c.bot for c in everything)
    assert any(c.anon and c.user == "192.0.2.10" for c in everything)
    assert all(c.type in ("edit", "new") for c in everything)
    rollback = [c for c in everything if "mw-rollback" in c.tags]
    assert rollback and rollback[0].rev_id and rollback[0].parent_id


def test_page_history_contributions_compare_siteinfo(local_wiki, wiki_history):
    n = wiki_history["named"]
    client, _ = make_client(local_wiki)

    async def go():
        async with client:
            history = await client.page_history("Albedo", limit=3)
            contribs = await client.user_contributions("Zzyzx123")
            ip_contribs = await client.user_contributions("192.0.2.10")
            diff = await client.compare(n["albedo_bot_edit"], n["albedo_vandalism"])
            info = await client.site_info()
            errors = []
            for call in (
                client.page_history("No such page here"),
                client.user_contributions("Bad<name"),
                client.compare(n["tarkovsky_deleted"], n["tarkovsky_revert"]),
                client.compare(n["albedo_creation"], n["never_existed"]),
            ):
                try:
                    await call
                except Exception as exc:
                    errors.append(exc)
            return history, contribs, ip_contribs, diff, info, errors

    history, contribs, ip_contribs, diff, info, errors = run(go())
    assert [r.rev_id for r in history] == wiki_history["pages"]["Albedo"][-3:]
    assert history[-1].user.name == "Admin"
    # Revision-deleted users and deleted pages are not listed for an anonymous reader.
    assert [r.rev_id for r in contribs] == [n["allah_vandalism"]]
    assert contribs[0].page.title == "Allah" and contribs[0].comment == "fixed"
    assert not contribs[0].user.anon and contribs[0].user.name == "Zzyzx123"
    assert [r.rev_id for r in ip_contribs] == [n["albedo_vandalism"]]
    assert ip_contribs[0].user.anon and ip_contribs[0].user.id == 0
    assert "LOL ALBEDO IS SO STUPID" in diff.html and "<ins" in diff.html
    assert (diff.from_rev, diff.to_rev) == (n["albedo_bot_edit"], n["albedo_vandalism"])
    assert info["general"]["sitename"].startswith("wikiscore local wiki")
    assert [type(e) for e in errors] == [
        PageNotFound,
        UserNotFound,
        RevisionDeleted,
        RevisionNotFound,
    ]


def test_one_request_in_flight_per_wiki_unless_configured(local_wiki, faults):
    faults([{"kind": "delay", "seconds": 0.25}])
    ids = list(range(1, 201))
    started = time.monotonic()
    _, serial = fetch(local_wiki, ids, batch_size=50)
    serial_time = time.monotonic() - started
    assert len(serial.requests) == 4 and serial.max_in_flight == 1
    assert serial_time >= 1.0
    _, parallel = fetch(local_wiki, ids, batch_size=50, max_concurrency=4)
    assert len(parallel.requests) == 4 and parallel.max_in_flight >= 2


def test_polite_requests_as_the_wiki_saw_them(local_wiki, wiki_dir: Path):
    # gzip as for any wiki off this machine (on loopback it is off by default: no bandwidth
    # to save, CPU on both ends to spend); the answer is decoded from a real MediaWiki.
    got, transport = fetch(local_wiki, [1, 2, 3], content=True, gzip=True)
    assert all(isinstance(r, RevisionRecord) and r.text for r in got.values())
    seen = [e for e in access_log(wiki_dir) if FAULT_AGENT in (e["user_agent"] or "")]
    assert seen and transport.requests
    for entry in seen[-len(transport.requests) :]:
        assert "https://example.org/wikiscore" in entry["user_agent"]
        assert "maxlag=5" in entry["uri"] and "formatversion=2" in entry["uri"]
        assert "format=json" in entry["uri"]
        assert "gzip" in (entry["accept_encoding"] or "")


def test_bot_password_login_raises_batch_size(local_wiki, wiki_dir: Path):
    login = create_bot_password(wiki_dir, "Admin", "wsclient", grants=("basic", "highvolume"))
    ids = list(range(1, 121))
    got, transport = fetch(local_wiki, ids, username=login, password=bot_password_for("wsclient"))
    revision_requests = [p for p in transport.params() if "revids" in p]
    assert len(revision_requests) == 1 and len(revision_requests[0]["revids"].split("|")) == 120
    assert sum(isinstance(v, RevisionRecord) for v in got.values()) > 20
    # 500 ids make a long query string: sent as one POST.
    got, transport = fetch(
        local_wiki, range(1, 501), username=login, password=bot_password_for("wsclient")
    )
    revision_requests = [r for r in transport.requests if b"revids" in r.content]
    assert len(revision_requests) == 1 and revision_requests[0].method == "POST"
    assert len(got) == 500 and isinstance(got[1], RevisionRecord)

    got, transport = fetch(local_wiki, [1, 2], username=login, password="wrong" * 7)
    assert all(isinstance(v, LoginFailed) for v in got.values())
    assert not [p for p in transport.params() if "revids" in p]
