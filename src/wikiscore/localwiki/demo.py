"""The demo wiki (real English Wikipedia articles) and a replayer of realistic edits into it.

Owns: building the demo wiki's import from ``data/demo-articles.xml.bz2`` (40 articles, see
``data/README.md``), starting it under ``WIKISCORE_HOME/demo-wiki`` as dbname ``demowiki``, the
demo's editors, and replaying edits through the Action API at a steady rate:

* good faith: copyedits, additions of referenced paragraphs, a bot's citation clean-up;
* vandalism: profanity, blanking, key-mashing, insults;
* reverts of that vandalism by other editors, with rollback and with undo: most within a few
  edits, one in four only much later (so a patroller has something to find).

Editors: long-standing registered editors (accounts backdated years, two of them
administrators with rollback), brand-new accounts created on the spot, anonymous IPv4 and IPv6
editors (documentation address ranges, RFC 5737/3849), and a bot. Invented names only: no real
person is shown vandalising.

The import keeps each article's real 2016 revision (with its real editor) and adds one revision
by "Wikiscore demo" that holds back up to three referenced paragraphs; the replayer's additions
put those real paragraphs back, so good-faith additions are real Wikipedia text with real
references. The sequence of actions is a pure function of the seed (:func:`plan_actions`);
which page and which sentence an action touches is drawn from the same seeded generator and the
wiki's current text. Must not be imported by the scoring path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import ipaddress
import logging
import os
import random
import re
import string
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx

from wikiscore.config import user_agent
from wikiscore.localwiki.editor import EditError, WikiEditor
from wikiscore.localwiki.server import (
    DEFAULT_PASSWORD,
    LocalWiki,
    create_users,
    start_wiki,
    stop_wiki,
)
from wikiscore.wikis import Wiki

logger = logging.getLogger("wikiscore.demo")

DEMO_DBNAME = "demowiki"
DEMO_LANG = "en"
DEMO_DIRNAME = "demo-wiki"
ARTICLES_RESOURCE = "demo-articles.xml.bz2"
IMPORT_USER = "Wikiscore demo"
_IMPORT_VERSION = 1  # bump when the derived import changes (a new file → imported again)
_HELD_BACK_PER_ARTICLE = 3


# -- the editors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regular:
    """A long-standing registered editor of the demo wiki (invented)."""

    name: str
    registered: str
    groups: tuple[str, ...] = ()

    @property
    def can_rollback(self) -> bool:
        return "sysop" in self.groups


REGULARS: tuple[Regular, ...] = (
    Regular("Marlow Finch", "2009-03-14T10:00:00Z", ("sysop",)),
    Regular("Wren Halloway", "2011-08-02T18:30:00Z", ("sysop",)),
    Regular("Tobias Quill", "2012-01-20T09:15:00Z"),
    Regular("Juniper Okafor", "2014-06-05T21:40:00Z"),
    Regular("Ines Varga", "2015-10-11T07:05:00Z"),
)
BOT = Regular("TidyCiteBot", "2013-02-01T00:00:00Z", ("bot",))
EDITOR_KINDS = ("regular", "newcomer", "ipv4", "ipv6", "bot", "patroller")


def prepare_editors(directory: Path) -> None:
    """Create (or update) the regulars and the bot with backdated registrations and groups."""
    create_users(
        Path(directory),
        [
            {
                "name": editor.name,
                "password": DEFAULT_PASSWORD,
                "groups": list(editor.groups),
                "registration": editor.registered,
            }
            for editor in (*REGULARS, BOT)
        ],
    )


def ensure_editors(directory: Path) -> None:
    """:func:`prepare_editors` once per wiki directory (a marker file remembers it)."""
    marker = Path(directory) / "demo-editors-v1"
    if not marker.exists():
        prepare_editors(directory)
        marker.write_text("the demo's regulars and bot exist\n")


# -- the articles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldBack:
    """A referenced paragraph of an article, and the paragraph it follows."""

    paragraph: str
    after: str


@dataclass(frozen=True)
class DemoArticle:
    title: str
    page_id: int
    rev_id: int
    timestamp: datetime
    user: str | None
    user_id: int | None
    anon: bool
    comment: str
    text: str
    held_back: tuple[HeldBack, ...]

    @property
    def demo_text(self) -> str:
        """The article as the demo wiki starts with it: the held-back paragraphs removed."""
        text = self.text
        for item in self.held_back:
            text = text.replace("\n\n" + item.paragraph, "", 1)
        return text


def articles_path() -> Path:
    """The packaged slice of real articles (a file inside the installed package)."""
    return Path(str(resources.files("wikiscore.localwiki.data") / ARTICLES_RESOURCE))


@functools.lru_cache(maxsize=1)
def demo_articles() -> dict[str, DemoArticle]:
    """The demo articles by title (read once from the packaged dump)."""
    from wikiscore.dumps import read_dump

    articles = {}
    for rev in read_dump(articles_path(), keep_text=True):
        text = rev.text or ""
        articles[rev.page.title] = DemoArticle(
            title=rev.page.title,
            page_id=rev.page.id,
            rev_id=rev.rev_id,
            timestamp=rev.timestamp,
            user=rev.user,
            user_id=rev.user_id,
            anon=rev.anon,
            comment=rev.comment or "",
            text=text,
            held_back=_choose_held_back(rev.page.title, text),
        )
    return articles


def _is_prose(line: str) -> bool:
    if len(line) < 60:
        return False
    first = line[0]
    return (first.isalpha() or line.startswith("'''")) and not line.startswith(
        ("[[Category", "[[File", "[[Image")
    )


def _choose_held_back(title: str, text: str) -> tuple[HeldBack, ...]:
    blocks = text.split("\n\n")
    candidates = [
        i
        for i, block in enumerate(blocks)
        if i > 1  # never the lead
        and "\n" not in block.strip()
        and _is_prose(block)
        and "<ref" in block
        and 200 <= len(block) <= 3000
        and _is_prose(blocks[i - 1]) | blocks[i - 1].startswith("=")
        and blocks.count(block) == 1
        and text.count(block) == 1
    ]
    # A string seed makes the choice the same in every process (random seeds strings by sha512).
    rng = random.Random(f"held-back:{title}")
    chosen = sorted(rng.sample(candidates, min(_HELD_BACK_PER_ARTICLE, len(candidates))))
    # Two adjacent paragraphs would leave the second without its predecessor: keep the first.
    kept: list[int] = []
    for index in chosen:
        if not kept or index - kept[-1] > 1:
            kept.append(index)
    return tuple(HeldBack(paragraph=blocks[i], after=blocks[i - 1]) for i in kept)


def write_demo_import(path: Path) -> Path:
    """Write the demo wiki's import dump (schema 0.10) to ``path``; only rewrites on change."""
    articles = sorted(demo_articles().values(), key=lambda a: a.title)
    parts = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" '
        'xml:lang="en">\n  <siteinfo>\n    <sitename>wikiscore demo</sitename>\n'
        f"    <dbname>{DEMO_DBNAME}</dbname>\n    <case>first-letter</case>\n  </siteinfo>\n"
    ]
    for article in articles:
        parts.append(
            f"  <page>\n    <title>{escape(article.title)}</title>\n    <ns>0</ns>\n"
            f"    <id>{article.page_id}</id>\n"
        )
        parts.append(
            _revision_xml(
                article.rev_id,
                None,
                article.timestamp,
                article.user,
                article.user_id,
                article.anon,
                article.comment,
                article.text,
            )
        )
        if article.held_back:
            comment = (
                f"Hold back {len(article.held_back)} referenced paragraph(s) for the wikiscore "
                "demo (its replayed edits restore them). Text: English Wikipedia, CC BY-SA 4.0."
            )
            parts.append(
                _revision_xml(
                    900_000_000 + article.page_id,
                    article.rev_id,
                    article.timestamp + timedelta(seconds=1),
                    IMPORT_USER,
                    None,
                    False,
                    comment,
                    article.demo_text,
                )
            )
        parts.append("  </page>\n")
    parts.append("</mediawiki>\n")
    data = "".join(parts).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


def _revision_xml(
    rev_id: int,
    parent_id: int | None,
    timestamp: datetime,
    user: str | None,
    user_id: int | None,
    anon: bool,
    comment: str,
    text: str,
) -> str:
    if anon:
        contributor = f"<ip>{escape(user or '')}</ip>"
    else:
        contributor = f"<username>{escape(user or 'Unknown')}</username>"
        if user_id:
            contributor += f"<id>{user_id}</id>"
    parent = f"      <parentid>{parent_id}</parentid>\n" if parent_id else ""
    return (
        f"    <revision>\n      <id>{rev_id}</id>\n{parent}"
        f"      <timestamp>{timestamp.strftime('%Y-%m-%dT%H:%M:%SZ')}</timestamp>\n"
        f"      <contributor>{contributor}</contributor>\n"
        f"      <comment>{escape(comment)}</comment>\n"
        "      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
        f'      <text xml:space="preserve">{escape(text)}</text>\n    </revision>\n'
    )


# -- starting the demo wiki ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoWiki:
    """The running demo wiki."""

    local: LocalWiki

    @property
    def api_url(self) -> str:
        return self.local.api_url

    @property
    def dbname(self) -> str:
        return self.local.dbname

    @property
    def lang(self) -> str:
        return self.local.lang

    @property
    def directory(self) -> Path:
        return self.local.directory

    @property
    def port(self) -> int:
        return self.local.port

    @property
    def index_url(self) -> str:
        return self.local.index_url

    @property
    def wikis_env(self) -> str:
        """The ``WIKISCORE_WIKIS`` entry that registers this wiki."""
        return f"{self.dbname}={self.api_url}@{self.lang}"

    def as_wiki(self) -> Wiki:
        return self.local.as_wiki()


def demo_directory(home: Path | None = None) -> Path:
    if home is None:
        from wikiscore.config import home_dir

        home = home_dir()
    return Path(home) / DEMO_DIRNAME


def start_demo(home: Path | None = None, *, port: int | None = None) -> DemoWiki:
    """Start (or reuse) the demo wiki under ``home/demo-wiki`` and register it as ``demowiki``.

    Creating it the first time takes some seconds (install, import of 40 articles); later calls
    return the running wiki at once. Registration sets ``WIKISCORE_WIKIS`` in this process
    (other processes: use :attr:`DemoWiki.wikis_env`).
    """
    directory = demo_directory(home)
    import_file = (
        directory.parent / f"{DEMO_DIRNAME}-import" / f"demo-import-v{_IMPORT_VERSION}.xml"
    )
    write_demo_import(import_file)
    local = start_wiki(
        directory, port=port, dumps=[import_file], dbname=DEMO_DBNAME, lang=DEMO_LANG
    )
    ensure_editors(local.directory)
    marker = local.directory / f"demo-main-page-v{_IMPORT_VERSION}"
    if not marker.exists():
        with WikiEditor(local.api_url, user=local.admin_user, password=local.password) as admin:
            admin.edit("Main Page", main_page_text(), summary="Describe the wikiscore demo wiki")
        marker.write_text("main page written\n")
    demo = DemoWiki(local)
    register_demo(demo)
    return demo


def main_page_text() -> str:
    """The demo wiki's Main Page: what it is, where the text comes from, the articles."""
    titles = "\n".join(f"* [[{title}]]" for title in sorted(demo_articles()))
    return (
        "This is the '''wikiscore demo wiki''': a local MediaWiki holding "
        f"{len(demo_articles())} articles from English Wikipedia, with edits replayed by "
        "<code>wikiscore demo replay</code> (copyedits, additions, vandalism and its reverts, "
        "by invented editors).\n\n"
        "The article text is from [https://en.wikipedia.org English Wikipedia] (April–May "
        "2016) under the [https://creativecommons.org/licenses/by-sa/4.0/ Creative Commons "
        "Attribution-ShareAlike 4.0 licence] (CC BY-SA 4.0); its authors are listed in each "
        "article's history on en.wikipedia.org.\n\n== Articles ==\n" + titles + "\n"
    )


def stop_demo(home: Path | None = None) -> None:
    """Stop the demo wiki's server (its data stays for the next start)."""
    stop_wiki(demo_directory(home))


def register_demo(demo: DemoWiki) -> None:
    """Add (or replace) the demo wiki in this process's ``WIKISCORE_WIKIS``."""
    entries = [
        item
        for item in os.environ.get("WIKISCORE_WIKIS", "").split(",")
        if item.strip() and item.split("=", 1)[0].strip() != demo.dbname
    ]
    os.environ["WIKISCORE_WIKIS"] = ",".join([*entries, demo.wikis_env])


# -- the plan: which kind of edit, by which kind of editor ---------------------------------------

GOOD_FAITH_KINDS = ("copyedit", "addition", "bot")
VANDALISM_KINDS = ("profanity", "blanking", "keymash", "insult")


@dataclass(frozen=True)
class Action:
    """One planned edit. ``undoes`` is the ``seq`` of the vandalism a revert undoes."""

    seq: int
    kind: str  # copyedit | addition | bot | profanity | blanking | keymash | insult | revert
    editor: str  # regular | newcomer | ipv4 | ipv6 | bot | patroller
    method: str | None = None  # reverts: rollback | undo
    undoes: int | None = None

    @property
    def is_vandalism(self) -> bool:
        return self.kind in VANDALISM_KINDS


def plan_actions(seed: int) -> Iterator[Action]:
    """The endless, seed-determined sequence of actions, in cycles of about fourteen.

    Each cycle has three copyedits (a regular, an IPv4 editor, a new account), two additions (a
    regular, an IPv6 editor), a bot edit, the four kinds of vandalism (by two new accounts, an
    IPv4 and an IPv6 editor) and three quick reverts of that vandalism by patrollers (two
    rollbacks, one undo, 1–3 actions later). The fourth vandal edit (never the blanking) is
    reverted by undo 15–30 actions later, so about one action in seven is vandalism and every
    vandal edit is eventually reverted.
    """
    rng = random.Random(seed)
    seq = 0
    pending: list[tuple[int, Action]] = []  # (due seq, revert)
    while True:
        vandal_editors = ["ipv4", "ipv6", "newcomer", "newcomer"]
        rng.shuffle(vandal_editors)
        cycle = [
            ("copyedit", "regular"),
            ("copyedit", "ipv4"),
            ("copyedit", "newcomer"),
            ("addition", "regular"),
            ("addition", "ipv6"),
            ("bot", "bot"),
            *zip(VANDALISM_KINDS, vandal_editors, strict=True),
        ]
        rng.shuffle(cycle)
        late_kind = rng.choice([k for k in VANDALISM_KINDS if k != "blanking"])
        quick_methods = ["rollback", "rollback", "undo"]
        rng.shuffle(quick_methods)
        for kind, editor in cycle:
            for due, revert in sorted(pending, key=lambda p: p[0]):
                if due <= seq:
                    pending.remove((due, revert))
                    yield Action(seq, revert.kind, revert.editor, revert.method, revert.undoes)
                    seq += 1
            action = Action(seq, kind, editor)
            yield action
            if action.is_vandalism:
                if kind == late_kind:
                    delay, method = rng.randint(15, 30), "undo"
                else:
                    delay, method = rng.randint(1, 3), quick_methods.pop()
                pending.append((seq + delay, Action(-1, "revert", "patroller", method, seq)))
            seq += 1


# -- text changes (pure functions of a text and a random generator) ------------------------------

_PROTECTED = re.compile(
    r"<ref[^>]*/>|<ref.*?</ref>|\{\{.*?\}\}|\[\[.*?\]\]|<!--.*?-->|'''.*?'''|\[http[^\]]*\]",
    re.S,
)


def _protected_spans(line: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PROTECTED.finditer(line)]


def _free(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or start >= b for a, b in spans)


def _prose_lines(text: str) -> list[int]:
    lines = text.split("\n")
    return [i for i, line in enumerate(lines) if _is_prose(line)]


_COPYEDITS: tuple[tuple[str, str, str], ...] = (
    (r"\bin order to\b", "to", "concision"),
    (r"\butilize\b", "use", "plain English"),
    (r"\bdue to the fact that\b", "because", "concision"),
    (r"\ba number of\b", "several", "copyedit"),
    (r"\bcan not\b", "cannot", "spelling"),
    (r"\b(?:very|really|quite) (?=[a-z])", "", "rm filler word"),
    (r"(?<=[a-z,;]) {2,}(?=[a-z])", " ", "fix spacing"),
    (r"\bthe the\b", "the", "typo"),
    (r"\bwhich (?=is|was|are|were)", "that ", "grammar"),
    (r"\bAlso, (?=[a-z])", "", "copyedit"),
    (r", (?=which\b)", " ", "punctuation"),
    (r"\bhowever\b", "however,", "punctuation"),
)
_LINKABLE = re.compile(r"(?<![\[\w'])([A-Z][a-z]{3,}(?: [A-Z][a-z]{3,})+)(?![\]\w'])")


def copyedit(text: str, rng: random.Random) -> tuple[str, str] | None:
    """A small good-faith change to one prose sentence: wording, spacing, or a new wikilink."""
    lines = text.split("\n")
    options: list[tuple[int, int, int, str, str]] = []  # line, start, end, replacement, summary
    for index in _prose_lines(text):
        line = lines[index]
        spans = _protected_spans(line)
        for pattern, replacement, summary in _COPYEDITS:
            for match in re.finditer(pattern, line):
                if _free(spans, *match.span()):
                    options.append((index, *match.span(), replacement, summary))
        for match in _LINKABLE.finditer(line):
            if _free(spans, *match.span()):
                options.append((index, *match.span(), f"[[{match.group(1)}]]", "link"))
    if not options:
        return None
    index, start, end, replacement, summary = rng.choice(options)
    line = lines[index]
    lines[index] = line[:start] + replacement + line[end:]
    return "\n".join(lines), rng.choice([summary, summary, "ce", "copyedit", ""])


def restore_paragraph(
    text: str, article: DemoArticle, rng: random.Random
) -> tuple[str, str] | None:
    """Put back one held-back referenced paragraph after the paragraph it followed."""
    options = [
        item
        for item in article.held_back
        if item.paragraph not in text and text.count(item.after) == 1
    ]
    if not options:
        return None
    item = rng.choice(options)
    new_text = text.replace(item.after, item.after + "\n\n" + item.paragraph, 1)
    summary = rng.choice(
        [
            "Expand with a sourced paragraph",
            "add referenced content",
            "+ para with refs",
            "Added a paragraph with citations",
        ]
    )
    return new_text, summary


_BOT_FIXES: tuple[tuple[str, str, str], ...] = (
    (
        r"\|(\s*)accessdate(\s*)=",
        r"|\1access-date\2=",
        "Bot: replace deprecated citation parameter accessdate with access-date",
    ),
    (r"(?m)^(==+)([^ =\n][^=\n]*?[^ =\n]|[^ =\n])(==+)\s*$", r"\1 \2 \3", "Bot: heading spacing"),
    (r"<br>", "<br />", "Bot: normalise line breaks"),
    (r"(?m)[ \t]+$", "", "Bot: remove trailing whitespace"),
)


def bot_fix(text: str, rng: random.Random) -> tuple[str, str] | None:
    """A bot's mechanical clean-up of the whole page (the first fix that applies)."""
    for pattern, replacement, summary in _BOT_FIXES:
        new_text, count = re.subn(pattern, replacement, text)
        if count and new_text != text:
            return new_text, f"{summary} ({count}×)"
    return None


_PROFANITY = (
    "this is so fucking boring",
    "POOP POOP POOP",
    "this article is shit",
    "who the hell cares",
    "butts lol",
    "crap crap crap",
    "damn this sucks",
)
_INSULTS = (
    "whoever wrote this is an idiot",
    "Jake from 5th period is a loser",
    "my teacher Mr Dobbs is a moron",
    "Kayla is stupid and ugly",
    "wikipedia editors are losers",
    "Tyler sucks at everything",
)
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keymash(rng: random.Random) -> str:
    row = rng.choice(_KEY_ROWS)
    if rng.random() < 0.3:
        return rng.choice(string.ascii_lowercase) * rng.randint(8, 20)
    length = rng.randint(8, 24)
    start = rng.randrange(len(row) - 3)
    return "".join(row[start + rng.randrange(len(row) - start)] for _ in range(length))


def insert_vandalism(text: str, phrase: str, rng: random.Random) -> str:
    """Put ``phrase`` at a sentence boundary (or the end) of a prose line."""
    prose = _prose_lines(text)
    lines = text.split("\n")
    if not prose:
        return text + " " + phrase
    index = rng.choice(prose)
    line = lines[index]
    spans = _protected_spans(line)
    cuts = [m.end() for m in re.finditer(r"\. (?=[A-Z])", line) if _free(spans, *m.span())]
    cut = rng.choice(cuts) if cuts else len(line)
    sep = "" if cut < len(line) else " "
    lines[index] = f"{line[:cut]}{sep}{phrase} {line[cut:]}".rstrip()
    return "\n".join(lines)


def vandalise(kind: str, text: str, rng: random.Random) -> tuple[str, str, str]:
    """(new text, summary, the inserted string or "" for blanking)."""
    if kind == "blanking":
        sections = [m.start() for m in re.finditer(r"(?m)^==[^=].*==\s*$", text)]
        if sections and rng.random() < 0.5:
            i = rng.randrange(len(sections))
            end = sections[i + 1] if i + 1 < len(sections) else len(text)
            return text[: sections[i]] + text[end:], "", ""
        return rng.choice(["", "", "lol", "i hate this"]), "", ""
    if kind == "profanity":
        phrase = rng.choice(_PROFANITY)
    elif kind == "insult":
        phrase = rng.choice(_INSULTS)
    elif kind == "keymash":
        phrase = _keymash(rng)
    else:
        raise ValueError(f"not a vandalism kind: {kind}")
    summary = rng.choice(["", "", "", "fixed", "update", "added info"])
    return insert_vandalism(text, phrase, rng), summary, phrase


# -- addresses and names -------------------------------------------------------------------------


def random_ipv4(rng: random.Random) -> str:
    prefix = rng.choice(["192.0.2", "198.51.100", "203.0.113"])
    return f"{prefix}.{rng.randint(1, 254)}"


def random_ipv6(rng: random.Random) -> str:
    groups = [rng.randint(0, 0xFFFF) for _ in range(3)]
    return f"2001:db8:{groups[0]:x}:{groups[1]:x}::{groups[2]:x}:{rng.randint(1, 0xFFFF):x}"


def mediawiki_ip(ip: str) -> str:
    """An address as MediaWiki shows it: IPv6 uppercase, all eight groups, no leading zeros."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return str(address)
    return ":".join(group.lstrip("0") or "0" for group in address.exploded.split(":")).upper()


_VANDAL_NAME_PARTS = (
    ("Xx", "Lil", "The", "Real", "", ""),
    ("Skater", "Gamer", "Epic", "Ninja", "Pizza", "Dank", "Turbo", "Chaos"),
    ("Dude", "Kid", "Master", "Boi", "Lord", "Slayer"),
)
_NEWBIE_NAME_PARTS = (
    ("Quiet", "Mossy", "Amber", "Curious", "Northern", "Paper", "Silver", "Tidal"),
    ("Heron", "Fern", "Lantern", "Reader", "Otter", "Compass", "Maple", "Finch"),
)


def newcomer_name(rng: random.Random, vandal: bool) -> str:
    if vandal:
        a, b, c = (rng.choice(parts) for parts in _VANDAL_NAME_PARTS)
        return f"{a}{b}{c}{rng.randint(1, 9999)}"
    a, b = (rng.choice(parts) for parts in _NEWBIE_NAME_PARTS)
    return f"{a}{b}{rng.randint(1, 999)}"


# -- replaying -----------------------------------------------------------------------------------


@dataclass
class ReplayedEdit:
    """An edit the replayer saved."""

    seq: int
    kind: str  # the kinds of Action, plus "create" (an article missing on the target wiki)
    editor: str  # the editor kind (see EDITOR_KINDS)
    user: str  # user name or IP address
    title: str
    rev_id: int
    summary: str = ""
    vandalism: bool = False
    method: str | None = None  # rollback | undo (reverts)
    reverted_rev_id: int | None = None  # the vandal revision a revert undid

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Vandalism:
    title: str
    rev_id: int
    user: str
    phrase: str


@dataclass
class _ReplayState:
    api_url: str
    rng: random.Random
    titles: list[str]
    password: str = DEFAULT_PASSWORD
    editors: dict[str, WikiEditor] = field(default_factory=dict)
    vandalism: dict[int, _Vandalism] = field(default_factory=dict)
    rollback_allowed: bool = True
    created: set[str] = field(default_factory=set)


def replay_edits(
    wiki: str | DemoWiki | LocalWiki,
    *,
    seed: int = 0,
    per_minute: float = 6,
    limit: int | None = None,
    titles: Sequence[str] | None = None,
    stop: threading.Event | None = None,
    on_edit: Callable[[ReplayedEdit], None] | None = None,
) -> list[ReplayedEdit]:
    """Replay edits into a local wiki until ``limit`` actions are done or ``stop`` is set.

    ``wiki`` is an ``api.php`` URL, or a started :class:`DemoWiki` / ``LocalWiki`` (then the
    regulars and the bot are created with backdated registrations and groups first; with a
    bare URL they are created through the API if missing, without rollback rights, and reverts
    fall back to undo). ``titles`` restricts the articles touched (default: all demo articles;
    an article missing on the wiki is created first). Synchronous: run it in a thread (see
    :func:`replay_edits_async`). Returns the edits made (the last 1,000 on endless runs).
    """
    if per_minute <= 0:
        raise ValueError("per_minute must be positive")
    api_url = wiki if isinstance(wiki, str) else wiki.api_url
    if not isinstance(wiki, str):
        ensure_editors(wiki.directory)
    articles = demo_articles()
    chosen = list(titles) if titles else sorted(articles)
    unknown = [t for t in chosen if t not in articles]
    if unknown:
        raise ValueError(f"not demo articles: {unknown}")
    stop = stop or threading.Event()
    state = _ReplayState(api_url=api_url, rng=random.Random(seed), titles=chosen)
    timing = random.Random(f"timing:{seed}")
    interval = 60.0 / per_minute
    done: deque[ReplayedEdit] = deque(maxlen=1000)

    def record(edit: ReplayedEdit) -> None:
        done.append(edit)
        logger.info(
            "demo_edit",
            extra={"fields": {"event": "demo_edit", **edit.to_json()}},
        )
        if on_edit is not None:
            on_edit(edit)

    try:
        for count, action in enumerate(plan_actions(seed)):
            if limit is not None and count >= limit:
                break
            if count and stop.wait(interval * timing.uniform(0.7, 1.3)):
                break
            try:
                for edit in _perform(state, action):
                    record(edit)
            except Exception as exc:
                # The demo keeps going: a refused edit, or the wiki briefly down, is logged.
                fields = {"event": "demo_edit_failed", "seq": action.seq, "kind": action.kind}
                logger.warning("demo_edit_failed", extra={"fields": {**fields, "error": repr(exc)}})
    finally:
        for editor in state.editors.values():
            editor.close()
    return list(done)


async def replay_edits_async(
    wiki: str | DemoWiki | LocalWiki, **options: Any
) -> list[ReplayedEdit]:
    """:func:`replay_edits` in a worker thread; cancelling the task stops the replay."""
    stop = threading.Event()
    task = asyncio.ensure_future(asyncio.to_thread(replay_edits, wiki, stop=stop, **options))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        stop.set()
        with contextlib.suppress(Exception):
            await task
        raise


def _perform(state: _ReplayState, action: Action) -> Iterator[ReplayedEdit]:
    if action.kind == "revert":
        yield from _revert(state, action)
        return
    editor, user = _editor_for(state, action)
    try:
        # A page may offer nothing to do (no sentence to copyedit, nothing left to add): try
        # others; once every held-back paragraph is back, an addition becomes a copyedit.
        kinds = [action.kind] if action.kind != "addition" else ["addition", "copyedit"]
        for kind, _attempt in ((k, n) for k in kinds for n in range(10)):
            title = _pick_title(state)
            yield from _ensure_page(state, title)
            result = _change(state, kind, title, editor.page_text(title))
            if result is not None:
                break
        else:
            logger.info("demo_edit_skipped", extra={"fields": {"seq": action.seq}})
            return
        new_text, summary, phrase = result
        rev_id = editor.edit(title, new_text, summary=summary, bot=action.editor == "bot")
    finally:
        if action.editor in ("ipv4", "ipv6", "newcomer"):
            editor.close()
    if action.is_vandalism:
        state.vandalism[action.seq] = _Vandalism(title, rev_id, user, phrase)
    yield ReplayedEdit(
        action.seq, kind, action.editor, user, title, rev_id, summary, action.is_vandalism
    )


def _change(state: _ReplayState, kind: str, title: str, text: str) -> tuple[str, str, str] | None:
    """(new text, summary, inserted vandal phrase) for an edit of ``kind``, or None."""
    rng = state.rng
    if kind in VANDALISM_KINDS:
        return vandalise(kind, text, rng)
    if kind == "addition":
        result = restore_paragraph(text, demo_articles()[title], rng)
    elif kind == "bot":
        result = bot_fix(text, rng)
    else:
        result = copyedit(text, rng)
    return None if result is None else (result[0], result[1], "")


def _pick_title(state: _ReplayState) -> str:
    busy = {v.title for v in state.vandalism.values()}
    free = [t for t in state.titles if t not in busy]
    return state.rng.choice(free or state.titles)


def _ensure_page(state: _ReplayState, title: str) -> Iterator[ReplayedEdit]:
    """Create a demo article that the target wiki does not have (e.g. a test wiki)."""
    if title in state.created:
        return
    editor, user = _regular(state, REGULARS[2])
    try:
        editor.page_text(title)
    except EditError as exc:
        if exc.code != "missingtitle":
            raise
        article = demo_articles()[title]
        summary = (
            f"Import of [[w:en:{title}]] from English Wikipedia (revision {article.rev_id}; "
            "CC BY-SA 4.0, see its history there)"
        )
        rev_id = editor.edit(title, article.demo_text, summary=summary)
        yield ReplayedEdit(-1, "create", "regular", user, title, rev_id, summary)
    state.created.add(title)


def _editor_for(state: _ReplayState, action: Action) -> tuple[WikiEditor, str]:
    rng = state.rng
    if action.editor == "regular":
        return _regular(state, rng.choice(REGULARS))
    if action.editor == "bot":
        return _regular(state, BOT)
    if action.editor in ("ipv4", "ipv6"):
        ip = random_ipv4(rng) if action.editor == "ipv4" else random_ipv6(rng)
        return WikiEditor(state.api_url, ip=ip), mediawiki_ip(ip)
    if action.editor == "newcomer":
        return _new_account(state, vandal=action.is_vandalism)
    raise ValueError(f"unknown editor kind {action.editor!r}")


def _regular(state: _ReplayState, who: Regular) -> tuple[WikiEditor, str]:
    editor = state.editors.get(who.name)
    if editor is None:
        try:
            editor = WikiEditor(state.api_url, user=who.name, password=state.password)
        except EditError:
            # A wiki the demo did not prepare: register the account through the API.
            with WikiEditor(state.api_url) as anonymous:
                anonymous.create_account(who.name, state.password)
            editor = WikiEditor(state.api_url, user=who.name, password=state.password)
        state.editors[who.name] = editor
    return editor, who.name


def _new_account(state: _ReplayState, *, vandal: bool) -> tuple[WikiEditor, str]:
    """A brand-new account, registered from an IPv4 address right before its first edit."""
    rng = state.rng
    ip = random_ipv4(rng)
    base = newcomer_name(rng, vandal)
    with WikiEditor(state.api_url, ip=ip) as anonymous:
        for attempt in range(20):
            name = base if attempt == 0 else f"{base}{string.ascii_lowercase[attempt]}"
            try:
                anonymous.create_account(name, state.password)
                break
            except EditError as exc:
                if "exists" not in exc.code and "exists" not in exc.info:
                    raise
        else:
            raise EditError("userexists", f"no free account name like {base!r}")
    return WikiEditor(state.api_url, user=name, password=state.password, ip=ip), name


def _revert(state: _ReplayState, action: Action) -> Iterator[ReplayedEdit]:
    target = state.vandalism.pop(-1 if action.undoes is None else action.undoes, None)
    if target is None:
        return  # the vandal edit was never saved
    rng = state.rng
    patrollers = [r for r in REGULARS if r.can_rollback]
    method = action.method or "undo"
    top_user = _top_user(state, target.title)
    if method == "rollback" and (not state.rollback_allowed or top_user != target.user):
        method = "undo"
    who = rng.choice(patrollers if method == "rollback" else REGULARS)
    editor, user = _regular(state, who)
    if method == "rollback":
        try:
            rev_id = editor.rollback(target.title, target.user)
        except EditError as exc:
            if exc.code not in ("permissiondenied", "badaccess-groups", "permissions"):
                raise
            state.rollback_allowed = False  # a wiki where the demo editors lack the right
            method = "undo"
    if method == "undo":
        try:
            rev_id = editor.undo(target.title, target.rev_id)
        except EditError as exc:
            if exc.code not in ("undofailure", "undo-failure", "editconflict") or not target.phrase:
                raise
            # Later edits overlap: take the vandal's words out by hand.
            text = editor.page_text(target.title)
            if target.phrase not in text:
                return
            method = "manual"
            rev_id = editor.edit(
                target.title, text.replace(" " + target.phrase, "", 1), summary="rm vandalism"
            )
    yield ReplayedEdit(
        action.seq,
        "revert",
        "patroller",
        user,
        target.title,
        rev_id,
        "",
        False,
        method,
        target.rev_id,
    )


def _top_user(state: _ReplayState, title: str) -> str | None:
    """The editor of the page's latest revision (rollback only applies to that editor)."""
    params = {
        "action": "query",
        "prop": "revisions",
        "titles": title,
        "rvprop": "user",
        "format": "json",
        "formatversion": "2",
    }
    try:
        response = httpx.get(
            state.api_url, params=params, headers={"User-Agent": user_agent()}, timeout=30
        )
        return str(response.json()["query"]["pages"][0]["revisions"][0]["user"])
    except (httpx.HTTPError, ValueError, KeyError, IndexError):
        return None


def article_digest() -> str:
    """sha256 of the packaged article slice (recorded in data/README.md)."""
    return hashlib.sha256(articles_path().read_bytes()).hexdigest()
