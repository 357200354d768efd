"""Streaming reader for MediaWiki XML dumps (export schema 0.10 and 0.11; bz2, gz or plain).

Owns turning a dump file into :class:`DumpRevision` values, one page after another, in memory
that does not grow with the dump: the XML is parsed with expat in fixed-size chunks, a
revision's text is hashed and counted while it streams past and is never kept (unless a caller
asks for it), and nothing of a finished page is retained.

Why not ``mwxml``: it parses both schemas, but its element iterator leaves every finished
``<page>`` element attached to the document root (growing memory with the number of pages) and
always materialises each revision's text. ``benchmarks/dumps_reader.py`` compares the two.

Schema notes: 0.11 (MediaWiki 1.35+) adds ``<origin>`` and, for multi-content revisions,
``<content>`` blocks for slots other than ``main``; the revision's ``<sha1>`` covers all slots.
``<sha1>`` comes after the text, so when it is missing the reader computes it (base 36, 31
digits, as MediaWiki stores it) from the text it hashed on the way; an empty ``<sha1/>`` means
the text was deleted and the revision has no sha1.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import IO, Any, cast
from xml.parsers import expat

from wikiscore.errors import WikiscoreError
from wikiscore.records import PageRecord, RevisionRecord, UserRecord

CHUNK_SIZE = 1 << 16
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class DumpError(WikiscoreError):
    """A dump that cannot be read: not XML, not a MediaWiki export, truncated, bad values."""

    error_type = "dump_error"


@dataclass(frozen=True, slots=True)
class DumpPage:
    id: int
    title: str
    namespace: int
    redirect: str | None = None


@dataclass(frozen=True, slots=True)
class DumpRevision:
    """One revision's metadata (and its text only when the reader was asked to keep texts)."""

    rev_id: int
    parent_id: int | None
    page: DumpPage
    timestamp: datetime
    user: str | None  # None when the contributor was deleted (suppressed)
    user_id: int | None  # 0 for anonymous editors; None when unknown or deleted
    anon: bool
    sha1: str | None  # None when the text was deleted
    bytes: int | None
    comment: str | None  # None when the comment was deleted
    minor: bool = False
    text: str | None = None

    def to_record(self) -> RevisionRecord:
        """The shared record type (no text or parent text: dumps give one text per revision)."""
        return RevisionRecord(
            rev_id=self.rev_id,
            parent_id=self.parent_id,
            page=PageRecord(title=self.page.title, namespace=self.page.namespace, id=self.page.id),
            user=UserRecord(name=self.user, id=self.user_id, anon=self.anon),
            timestamp=self.timestamp,
            comment=self.comment or "",
            size=self.bytes,
            sha1=self.sha1,
            minor=self.minor,
            text=self.text,
        )


@dataclass(slots=True)
class DumpInfo:
    """What the dump says about itself (filled in as the header is read)."""

    schema_version: str | None = None
    dbname: str | None = None
    sitename: str | None = None
    lang: str | None = None


def base36_sha1(data: bytes) -> str:
    """MediaWiki's ``SlotRecord::base36Sha1``: sha1, in base 36, left-padded to 31 digits."""
    return _hex_sha1_to_base36(hashlib.sha1(data).hexdigest())


def _hex_sha1_to_base36(hexdigest: str) -> str:
    number = int(hexdigest, 16)
    digits = []
    while number:
        number, rem = divmod(number, 36)
        digits.append(_BASE36[rem])
    return "".join(reversed(digits)).rjust(31, "0")


def combined_slots_sha1(slot_sha1s: dict[str, str]) -> str:
    """MediaWiki's ``RevisionSlots::computeSha1``: fold the slots' sha1s in role-name order."""
    if not slot_sha1s:
        return base36_sha1(b"")
    accumulated: str | None = None
    for role in sorted(slot_sha1s):
        sha1 = slot_sha1s[role]
        accumulated = sha1 if accumulated is None else base36_sha1((accumulated + sha1).encode())
    assert accumulated is not None
    return accumulated


_MAGIC_7Z = b"7z\xbc\xaf\x27\x1c"


class _CountingReader(io.RawIOBase):
    """Counts the compressed bytes read so progress can be shown against the file size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class DumpSource:
    """An opened dump: decompressed bytes, the compressed position and total for progress."""

    stream: IO[bytes]
    name: str
    total_bytes: int | None
    _counter: _CountingReader | None = field(default=None, repr=False)

    @property
    def position(self) -> int:
        return self._counter.count if self._counter else 0

    def close(self) -> None:
        self.stream.close()


def open_dump(path: str | Path) -> DumpSource:
    """Open a dump by its content (bz2, gzip or plain XML); ``-`` reads standard input."""
    name = str(path)
    if name == "-":
        raw: IO[bytes] = sys.stdin.buffer
        total = None
    else:
        file_path = Path(path)
        if not file_path.is_file():
            raise DumpError(f"no such dump file: {name}")
        raw = file_path.open("rb")
        total = file_path.stat().st_size
    counter = _CountingReader(raw)
    buffered = io.BufferedReader(counter, buffer_size=CHUNK_SIZE)
    magic = buffered.peek(6)[:6]
    stream: IO[bytes]
    if magic.startswith(b"BZh"):
        stream = bz2.BZ2File(buffered)
    elif magic.startswith(b"\x1f\x8b"):
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=buffered))
    elif magic.startswith(_MAGIC_7Z):
        buffered.close()
        raise DumpError(
            f"{name} is a 7-Zip archive, which wikiscore does not read; stream it instead: "
            f"7z x -so {name} | wikiscore dump label - --out FILE"
        )
    else:
        stream = buffered
    return DumpSource(stream=stream, name=name, total_bytes=total, _counter=counter)


# Elements whose character data the reader keeps (all small, except text, which is hashed).
_REVISION_FIELDS = {"id", "parentid", "timestamp", "comment", "sha1", "model", "format"}
_CONTRIBUTOR_FIELDS = {"username", "id", "ip"}
_PAGE_FIELDS = {"title", "ns", "id"}
_SITEINFO_FIELDS = {"dbname", "sitename", "base"}


class _Parser:
    """expat callbacks building revisions; finished ones queue up in ``self.ready``."""

    def __init__(self, keep_text: bool, info: DumpInfo) -> None:
        self.keep_text = keep_text
        self.info = info
        self.ready: list[DumpRevision] = []
        self.stack: list[str] = []
        self.chars: list[str] | None = None  # collecting character data of a small field
        self.page_fields: dict[str, str] = {}
        self.page: DumpPage | None = None
        self.rev: dict[str, Any] | None = None
        self.contributor: dict[str, str] | None = None
        self.slot: dict[str, Any] | None = None  # a 0.11 <content> block
        self.in_text = False
        self.text_hash: Any = None
        self.text_bytes = 0
        self.text_parts: list[str] | None = None
        self.seen_root = False

    # expat handlers -------------------------------------------------------------------------
    def start(self, name: str, attrs: dict[str, str]) -> None:
        stack = self.stack
        parent = stack[-1] if stack else None
        stack.append(name)
        if parent is None:
            if name != "mediawiki":
                raise DumpError(f"not a MediaWiki XML dump: the root element is <{name}>")
            self.seen_root = True
            self.info.schema_version = attrs.get("version")
            self.info.lang = attrs.get("xml:lang")
            return
        if parent == "revision" and self.rev is not None:
            self._start_in_revision(name, attrs)
        elif parent == "contributor" and self.contributor is not None:
            if name in _CONTRIBUTOR_FIELDS:
                self.chars = []
        elif parent == "content" and self.slot is not None:
            self._start_in_slot(name, attrs)
        elif parent == "page":
            if name == "revision":
                self._begin_revision()
            elif name in _PAGE_FIELDS:
                self.chars = []
            elif name == "redirect":
                self.page_fields["redirect"] = attrs.get("title", "")
        elif parent == "mediawiki" and name == "page":
            self.page_fields = {}
            self.page = None
        elif parent == "siteinfo" and name in _SITEINFO_FIELDS:
            self.chars = []

    def _start_in_revision(self, name: str, attrs: dict[str, str]) -> None:
        rev = self.rev
        assert rev is not None
        if name == "contributor":
            self.contributor = {}
            rev["user_deleted"] = "deleted" in attrs
        elif name == "minor":
            rev["minor"] = True
        elif name == "text":
            rev["text_deleted"] = "deleted" in attrs
            rev["text_sha1_attr"] = attrs.get("sha1")
            rev["text_bytes_attr"] = attrs.get("bytes")
            # 0.11 gives the text's sha1 and size as attributes: hash only when they are missing.
            needs_hash = rev["text_sha1_attr"] is None or rev["text_bytes_attr"] is None
            if "id" in attrs or "location" in attrs:
                # A stub dump: the text is elsewhere; an empty element is not an empty text.
                needs_hash = False
            self._begin_text(hash_text=needs_hash, keep=self.keep_text)
        elif name == "content":
            self.slot = {}
        elif name in _REVISION_FIELDS:
            if name == "comment" and "deleted" in attrs:
                rev["comment_deleted"] = True
            self.chars = []

    def _start_in_slot(self, name: str, attrs: dict[str, str]) -> None:
        slot = self.slot
        assert slot is not None
        if name == "text":
            slot["deleted"] = "deleted" in attrs
            slot["sha1"] = attrs.get("sha1")
            # Slot text other than main is not needed: only its sha1 (given in 0.11 exports).
            if slot["sha1"] is None and not slot["deleted"]:
                self._begin_text(hash_text=True, keep=False)
        elif name == "role":
            self.chars = []

    def _begin_text(self, *, hash_text: bool, keep: bool) -> None:
        self.in_text = hash_text or keep
        self.text_hash = hashlib.sha1() if hash_text else None
        self.text_bytes = 0
        self.text_parts = [] if keep else None

    def characters(self, data: str) -> None:
        if self.in_text:
            if self.text_hash is not None:
                encoded = data.encode("utf-8")
                self.text_hash.update(encoded)
                self.text_bytes += len(encoded)
            if self.text_parts is not None:
                self.text_parts.append(data)
        elif self.chars is not None:
            self.chars.append(data)

    def end(self, name: str) -> None:
        stack = self.stack
        stack.pop()
        parent = stack[-1] if stack else None
        if self.chars is not None:
            value = "".join(self.chars)
            self.chars = None
            self._store_field(parent, name, value)
            return
        if name == "text" and self.in_text:
            self._end_text(parent)
        elif name == "contributor" and parent == "revision":
            assert self.rev is not None
            self.rev["contributor"] = self.contributor
            self.contributor = None
        elif name == "content" and parent == "revision":
            assert self.rev is not None
            slot = self.slot or {}
            self.rev.setdefault("slots", []).append(slot)
            self.slot = None
        elif name == "revision" and parent == "page":
            self._end_revision()

    # helpers --------------------------------------------------------------------------------
    def _store_field(self, parent: str | None, name: str, value: str) -> None:
        if parent == "revision" and self.rev is not None:
            self.rev[name] = value
        elif parent == "contributor" and self.contributor is not None:
            self.contributor[name] = value
        elif parent == "content" and self.slot is not None:
            self.slot[name] = value
        elif parent == "page":
            self.page_fields[name] = value
        elif parent == "siteinfo":
            if name == "dbname":
                self.info.dbname = value
            elif name == "sitename":
                self.info.sitename = value

    def _end_text(self, parent: str | None) -> None:
        digest = None
        if self.text_hash is not None:
            digest = _hex_sha1_to_base36(self.text_hash.hexdigest())
        if parent == "revision" and self.rev is not None:
            if digest is not None:
                self.rev["text_sha1"] = digest
                self.rev["text_bytes"] = self.text_bytes
            if self.text_parts is not None:
                self.rev["text"] = "".join(self.text_parts)
        elif parent == "content" and self.slot is not None and digest is not None:
            self.slot["sha1"] = digest
        self.in_text = False
        self.text_hash = None
        self.text_parts = None

    def _begin_revision(self) -> None:
        if self.page is None:
            self.page = self._make_page()
        self.rev = {}

    def _make_page(self) -> DumpPage:
        fields = self.page_fields
        title = fields.get("title")
        if title is None:
            raise DumpError("a <page> has no <title> before its first <revision>")
        page_id = _int(fields.get("id"), f"page id of {title!r}")
        if page_id is None:
            raise DumpError(f"page {title!r} has no <id>")
        namespace = _int(fields.get("ns"), f"namespace of {title!r}")
        return DumpPage(
            id=page_id,
            title=title,
            namespace=namespace if namespace is not None else 0,
            redirect=fields.get("redirect"),
        )

    def _end_revision(self) -> None:
        rev, page = self.rev, self.page
        self.rev = None
        assert rev is not None and page is not None
        where = f"a revision of page {page.title!r}"
        rev_id = _int(rev.get("id"), f"revision id in {where}")
        if rev_id is None:
            raise DumpError(f"{where} has no <id>")
        where = f"revision {rev_id} of page {page.title!r}"
        stamp = rev.get("timestamp")
        if not stamp:
            raise DumpError(f"{where} has no <timestamp>")
        try:
            timestamp = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise DumpError(f"{where}: bad timestamp {stamp!r}") from None
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=UTC)

        contributor = rev.get("contributor") or {}
        user: str | None
        if rev.get("user_deleted"):
            user, user_id, anon = None, None, False
        elif "ip" in contributor:
            user, user_id, anon = contributor["ip"], 0, True
        else:
            user = contributor.get("username")
            user_id = _int(contributor.get("id"), f"user id in {where}")
            anon = False

        self.ready.append(
            DumpRevision(
                rev_id=rev_id,
                parent_id=_int(rev.get("parentid"), f"parent id in {where}") or None,
                page=page,
                timestamp=timestamp,
                user=user,
                user_id=user_id,
                anon=anon,
                sha1=_revision_sha1(rev),
                bytes=_revision_bytes(rev, where),
                comment=None if rev.get("comment_deleted") else rev.get("comment", ""),
                minor=bool(rev.get("minor")),
                text=rev.get("text"),
            )
        )


def _revision_sha1(rev: dict[str, Any]) -> str | None:
    explicit = rev.get("sha1")
    if explicit is not None:
        # An empty <sha1/> is how exports mark a revision whose text was deleted.
        return explicit.strip() or None
    if rev.get("text_deleted"):
        return None
    main = rev.get("text_sha1_attr") or rev.get("text_sha1")
    if main is None:
        return None
    slots = rev.get("slots")
    if not slots:
        return main
    by_role = {"main": main}
    for slot in slots:
        if slot.get("deleted") or not slot.get("sha1"):
            return None
        by_role[slot.get("role", "")] = slot["sha1"]
    return combined_slots_sha1(by_role)


def _revision_bytes(rev: dict[str, Any], where: str) -> int | None:
    if rev.get("text_deleted"):
        return _int(rev.get("text_bytes_attr"), f"text bytes in {where}")
    attr = rev.get("text_bytes_attr")
    if attr is not None:
        return _int(attr, f"text bytes in {where}")
    return rev.get("text_bytes")


def _int(value: str | None, what: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise DumpError(f"{what} is not an integer: {value!r}") from None


def iter_revisions(
    source: DumpSource,
    *,
    keep_text: bool = False,
    info: DumpInfo | None = None,
    on_chunk: Callable[[DumpSource], None] | None = None,
) -> Iterator[DumpRevision]:
    """Revisions in dump order (page by page, oldest first within a page as dumps are).

    ``keep_text`` attaches each revision's text (memory then grows with the largest revision,
    never with the dump). ``info`` is filled in with the dump's header. ``on_chunk`` is called
    after every chunk of input (for progress).
    """
    parser_state = _Parser(keep_text, info if info is not None else DumpInfo())
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK_SIZE
    parser.StartElementHandler = parser_state.start
    parser.EndElementHandler = parser_state.end
    parser.CharacterDataHandler = parser_state.characters
    while True:
        try:
            chunk = source.stream.read(CHUNK_SIZE)
        except (OSError, EOFError) as exc:
            raise DumpError(f"cannot read {source.name}: {exc}") from None
        try:
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as exc:
            reason = expat.errors.messages.get(exc.code, str(exc)) if exc.code else str(exc)
            if not chunk:
                reason += " (the file ends early: is it truncated?)"
            raise DumpError(
                f"malformed XML in {source.name} at line {exc.lineno}, column {exc.offset}: "
                f"{reason}"
            ) from None
        except DumpError as exc:
            raise DumpError(f"{source.name}: {exc.message}") from None
        if parser_state.ready:
            yield from parser_state.ready
            parser_state.ready.clear()
        if on_chunk is not None:
            on_chunk(source)
        if not chunk:
            break
    if not parser_state.seen_root:
        raise DumpError(f"{source.name} is empty: expected a MediaWiki XML dump")


def iter_pages(
    source: DumpSource, **options: Any
) -> Iterator[tuple[DumpPage, Iterator[DumpRevision]]]:
    """``(page, revisions)`` pairs; consume a page's revisions before asking for the next page."""
    yield from groupby(iter_revisions(source, **options), key=lambda r: r.page)


def read_dump(path: str | Path, *, keep_text: bool = False) -> Iterator[DumpRevision]:
    """Open ``path`` and yield its revisions (closing the file at the end)."""
    source = open_dump(path)
    try:
        yield from iter_revisions(source, keep_text=keep_text)
    finally:
        source.close()
