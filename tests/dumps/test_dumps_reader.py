"""The streaming XML reader: both schemas, computed sha1s, stubs, slots, errors, memory."""

from __future__ import annotations

import hashlib
import re
import tracemalloc
from pathlib import Path

import pytest

from wikiscore.dumps import DumpError, DumpInfo, base36_sha1, iter_pages, open_dump, read_dump
from wikiscore.dumps.reader import combined_slots_sha1, iter_revisions
from wikiscore.dumps.reverts import label_reverts
from wikiscore.dumps.synthetic import write_synthetic_dump

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dumps"

HEADER = (
    '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">'
    "<siteinfo><dbname>enwiki</dbname></siteinfo>"
)


def _dump(tmp_path: Path, body: str, name: str = "d.xml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body + "</mediawiki>", encoding="utf-8")
    return path


def test_base36_sha1_matches_mediawiki() -> None:
    # MediaWiki stores sha1("") as this 31-digit base-36 string (SlotRecord::base36Sha1('')).
    assert base36_sha1(b"") == "phoiac9h4m842xq45sp7s6u21eteeq1"
    number = int(hashlib.sha1(b"x").hexdigest(), 16)
    assert int(base36_sha1(b"x"), 36) == number and len(base36_sha1(b"x")) == 31


def test_both_schemas_give_the_same_revisions() -> None:
    info10, info11 = DumpInfo(), DumpInfo()
    with_10 = list(iter_revisions(open_dump(FIXTURES / "reverts-0.10.xml"), info=info10))
    with_11 = list(iter_revisions(open_dump(FIXTURES / "reverts-0.11.xml"), info=info11))
    assert (info10.schema_version, info11.schema_version) == ("0.10", "0.11")
    assert info10.dbname == "enwiki"
    assert with_10 == with_11
    first = with_10[0]
    assert (first.rev_id, first.parent_id, first.page.title, first.user, first.user_id) == (
        101,
        None,
        "Aardvark",
        "Marlow Finch",
        101,
    )
    ip6 = next(r for r in with_10 if r.rev_id == 703)
    assert ip6.anon and ip6.user == "2001:db8:85a3::8a2e:370:7334" and ip6.user_id == 0
    assert ip6.sha1 is None  # deleted text
    record = ip6.to_record()  # the shared record type, for features and training
    assert (record.rev_id, record.parent_id, record.page.title, record.user.anon) == (
        703,
        702,
        "Arithmetic mean",
        True,
    )
    pages = [
        (page.title, len(list(revs)))
        for page, revs in iter_pages(open_dump(FIXTURES / "reverts-0.11.xml"))
    ]
    assert pages[:2] == [("Aardvark", 4), ("Abacus", 4)] and len(pages) == 8


def test_sha1_is_computed_when_the_dump_lacks_it(tmp_path: Path) -> None:
    source = (FIXTURES / "reverts-0.10.xml").read_text(encoding="utf-8")
    stripped = re.sub(r"\s*<sha1>[0-9a-z]*</sha1>", "", source)
    assert "<sha1>" not in stripped
    path = tmp_path / "nosha1.xml"
    path.write_text(stripped, encoding="utf-8")
    with_sha1 = {r.rev_id: (r.sha1, r.bytes) for r in read_dump(FIXTURES / "reverts-0.10.xml")}
    computed = {r.rev_id: (r.sha1, r.bytes) for r in read_dump(path)}
    assert computed == with_sha1


def test_texts_are_kept_only_on_request() -> None:
    revisions = list(read_dump(FIXTURES / "reverts-0.11.xml", keep_text=True))
    assert revisions[0].text.startswith("The '''aardvark'''")
    assert all(base36_sha1(r.text.encode()) == r.sha1 for r in revisions if r.sha1)
    assert all(r.text is None for r in read_dump(FIXTURES / "reverts-0.11.xml"))


def test_multi_slot_revision_and_stub_dump(tmp_path: Path) -> None:
    main, extra = "Hello", '{"labels":{}}'
    body = (
        "<page><title>File:X.jpg</title><ns>6</ns><id>5</id>"
        "<revision><id>1</id><timestamp>2021-01-01T00:00:00Z</timestamp>"
        "<contributor><username>A</username><id>1</id></contributor>"
        f"<text bytes='5'>{main}</text>"
        "<content><role>mediainfo</role><origin>1</origin><model>wikibase-mediainfo</model>"
        f"<format>application/json</format><text bytes='13'>{extra}</text></content>"
        "</revision>"
        # a stub: the text lives elsewhere; an empty element is not an empty text
        "<revision><id>2</id><parentid>1</parentid><timestamp>2021-01-02T00:00:00Z</timestamp>"
        "<contributor deleted='deleted'/><comment deleted='deleted'/>"
        "<text id='77' bytes='120'/></revision></page>"
    )
    first, stub = read_dump(_dump(tmp_path, body))
    expected = combined_slots_sha1(
        {"main": base36_sha1(main.encode()), "mediainfo": base36_sha1(extra.encode())}
    )
    assert first.sha1 == expected != base36_sha1(main.encode())
    assert (stub.sha1, stub.bytes, stub.user, stub.user_id, stub.comment) == (
        None,
        120,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER + "<page><title>A</title><ns>0</ns><id>1</id><revision>", "truncated"),
        (HEADER + "<page><title>A</title></ns></page></mediawiki>", "mismatched tag"),
        ("<html><body>Not found</body></html>", "root element is <html>"),
        ("", "malformed XML"),
        (
            HEADER + "<page><title>A</title><ns>0</ns><id>1</id><revision><id>x1</id>"
            "<timestamp>2020-01-01T00:00:00Z</timestamp></revision></page></mediawiki>",
            "revision id in a revision of page 'A' is not an integer: 'x1'",
        ),
        (
            HEADER + "<page><title>A</title><ns>0</ns><id>1</id><revision><id>1</id>"
            "<timestamp>yesterday</timestamp></revision></page></mediawiki>",
            "revision 1 of page 'A': bad timestamp 'yesterday'",
        ),
    ],
)
def test_malformed_dumps_give_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DumpError, match=re.escape(message)) as info:
        list(read_dump(path))
    assert str(path) in info.value.message or "page 'A'" in info.value.message


def test_truncated_bz2_and_7z_and_missing_file(tmp_path: Path) -> None:
    import bz2

    data = bz2.compress((FIXTURES / "reverts-0.10.xml").read_bytes())
    cut = tmp_path / "cut.xml.bz2"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DumpError, match=r"cannot read .*cut\.xml\.bz2"):
        list(read_dump(cut))
    seven = tmp_path / "d.xml.7z"
    seven.write_bytes(b"7z\xbc\xaf\x27\x1c" + b"\0" * 30)
    with pytest.raises(DumpError, match="7-Zip"):
        list(read_dump(seven))
    with pytest.raises(DumpError, match="no such dump file"):
        list(read_dump(tmp_path / "missing.xml"))


def _peak_bytes(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        source = open_dump(path)
        count = sum(1 for _ in label_reverts(iter_revisions(source)))
        source.close()
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_dump_grows(tmp_path: Path) -> None:
    small, large, long_page = tmp_path / "s.xml", tmp_path / "l.xml", tmp_path / "p.xml"
    write_synthetic_dump(small, pages=100, revisions_per_page=3, text_bytes=300)
    write_synthetic_dump(large, pages=1500, revisions_per_page=3, text_bytes=300)
    write_synthetic_dump(long_page, pages=1, revisions_per_page=3000, text_bytes=100)
    n_small, peak_small = _peak_bytes(small)
    n_large, peak_large = _peak_bytes(large)
    n_long, peak_long = _peak_bytes(long_page)
    assert (n_small, n_large, n_long) == (300, 4500, 3000)
    # 15x the pages (and one page with 3,000 revisions) within 5% + 32 KiB of the small peak.
    assert peak_large < peak_small * 1.05 + 32768, (peak_small, peak_large)
    assert peak_long < peak_small * 1.05 + 32768, (peak_small, peak_long)
    assert peak_large < 2_000_000
