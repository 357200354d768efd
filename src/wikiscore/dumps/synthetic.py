"""Synthetic MediaWiki XML dumps of any size, for memory tests and reader benchmarks.

Owns generating, deterministically from a seed, a schema-0.10 history dump whose pages have a
known number of revisions and identity reverts. The text is filler (not real wiki content) and
is streamed to the file, so generating a large dump needs little memory. Must not be used as
training data.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

_WORDS = (
    "the",
    "of",
    "and",
    "in",
    "to",
    "a",
    "is",
    "was",
    "for",
    "on",
    "as",
    "with",
    "by",
    "that",
    "from",
    "at",
    "an",
    "it",
    "his",
    "which",
    "are",
    "be",
    "or",
    "this",
    "were",
    "also",
    "first",
    "new",
    "has",
    "its",
    "had",
    "one",
    "after",
    "their",
    "been",
    "two",
    "who",
    "other",
    "city",
    "world",
    "time",
    "river",
    "county",
    "school",
    "film",
    "war",
    "state",
    "team",
    "known",
    "national",
    "music",
    "used",
    "most",
    "born",
)


def _sha1_base36(data: bytes) -> str:
    from wikiscore.dumps.reader import base36_sha1

    return base36_sha1(data)


def _open(path: Path) -> IO[str]:
    if path.suffix == ".bz2":
        return bz2.open(path, "wt", encoding="utf-8")
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8")
    return path.open("w", encoding="utf-8")


def write_synthetic_dump(
    path: Path,
    *,
    pages: int,
    revisions_per_page: int = 3,
    text_bytes: int = 2000,
    revert_every: int = 5,
    include_sha1: bool = True,
    seed: int = 0,
) -> int:
    """Write a dump to ``path`` (.xml, .xml.gz, .xml.bz2); return the number of revisions.

    Every ``revert_every``-th revision (when the page has an earlier one) restores the text two
    revisions back, by a different editor, so the labeller has work to do.
    """
    rng = random.Random(seed)
    start = datetime(2020, 1, 1)
    total = 0
    with _open(path) as out:
        out.write(
            '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" '
            'xml:lang="en">\n  <siteinfo>\n    <sitename>Synthetic</sitename>\n'
            "    <dbname>syntheticwiki</dbname>\n  </siteinfo>\n"
        )
        rev_id = 0
        for page_id in range(1, pages + 1):
            out.write(
                f"  <page>\n    <title>Page {page_id}</title>\n    <ns>0</ns>\n"
                f"    <id>{page_id}</id>\n"
            )
            texts: list[str] = []
            parent = None
            for n in range(revisions_per_page):
                rev_id += 1
                total += 1
                if n >= 2 and (n - 2) % revert_every == 0:
                    text = texts[-2]
                else:
                    text = " ".join(rng.choices(_WORDS, k=text_bytes // 4 + 1))[:text_bytes]
                texts = [*texts[-1:], text]
                stamp = (start + timedelta(minutes=rev_id)).strftime("%Y-%m-%dT%H:%M:%SZ")
                data = text.encode()
                out.write(f"    <revision>\n      <id>{rev_id}</id>\n")
                if parent:
                    out.write(f"      <parentid>{parent}</parentid>\n")
                out.write(
                    f"      <timestamp>{stamp}</timestamp>\n"
                    f"      <contributor>\n        <username>Editor {rev_id % 97}</username>\n"
                    f"        <id>{rev_id % 97 + 1}</id>\n      </contributor>\n"
                    f"      <comment>edit {n}</comment>\n      <model>wikitext</model>\n"
                    f"      <format>text/x-wiki</format>\n"
                    f'      <text bytes="{len(data)}" xml:space="preserve">{escape(text)}</text>\n'
                )
                if include_sha1:
                    out.write(f"      <sha1>{_sha1_base36(data)}</sha1>\n")
                out.write("    </revision>\n")
                parent = rev_id
            out.write("  </page>\n")
        out.write("</mediawiki>\n")
    return total


def file_sha256(path: Path) -> str:
    """The sha256 of a file (to record which synthetic dump a benchmark ran on)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
