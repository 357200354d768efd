"""The edit diff: which tokens an edit inserted and removed, as revscoring's segment matcher
sees it.

Owns the matching step (deltas' ``segment_matcher``, restated from its documented behaviour):

1. Every paragraph and sentence of the parent is indexed by its exact text.
2. The new text is walked top-down: a paragraph or sentence whose text equals *any* parent
   paragraph or sentence becomes one opaque cluster (and flags every parent segment with that
   text); anything else is opened up: paragraph → sentences and whitespace → tokens.
3. The parent is walked the same way: a flagged segment becomes a cluster, the rest tokens.
4. ``difflib.SequenceMatcher(None, parent_seq, new_seq)`` (autojunk on) runs over the two
   sequences. Items are small integers: one per distinct token string, and one per distinct
   cluster text, so clusters equal only clusters with the same text, never tokens.
5. A cluster in an inserted or deleted range was moved or copied, not inserted or removed; the
   tokens there were. A ``replace`` is a delete followed by an insert.

Work is proportional to what changed: paragraphs that appear in both texts are never tokenized
(see ``layout``), and the parent's sentences are indexed lazily, for the parent paragraphs that
could hold a sentence of the new text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, count

from wikiscore.features.wikitext.layout import (
    _IS_WORD,
    Cache,
    Layout,
    Paragraph,
    Sentence,
    build_layout,
    reference_layout,
)
from wikiscore.features.wikitext.matcher import FastSequenceMatcher, item_char


@dataclass
class EditDiff:
    """What an edit inserted and removed, token by token."""

    segments_added: list[str] = field(default_factory=list)  # each run of inserted tokens, joined
    segments_removed: list[str] = field(default_factory=list)
    words_added: list[str] = field(default_factory=list)  # inserted tokens of type word
    words_removed: list[str] = field(default_factory=list)


# Last characters of the tokens that can end a sentence: period, "?" and "!" runs, and "{|".
_SENTENCE_END_CHARS = frozenset(".?!|")


class _ParentSentences:
    """Answers "is this text a sentence of the parent?", segmenting parent paragraphs lazily."""

    def __init__(self, layout: Layout, cache: Cache) -> None:
        self.layout = layout
        self.cache = cache
        self.known: set[str] = set()
        self.done: set[int] = set()  # ids of paragraphs whose sentences are in ``known``
        for paragraph in layout.paragraphs:
            if paragraph.is_segmented(cache):
                self._add(paragraph)

    def _add(self, paragraph: Paragraph) -> None:
        self.done.add(id(paragraph))
        for piece in paragraph.pieces(self.cache):
            if type(piece) is Sentence:
                self.known.add(piece.text)

    def __contains__(self, text: str) -> bool:
        if text in self.known:
            return True
        # A parent sentence is a substring of one parent paragraph: segment each paragraph that
        # holds an occurrence of the text, until one of them has it as a sentence.
        parent = self.layout.text
        position = parent.find(text)
        # A sentence ends at its paragraph's end or with a sentence-ending token, and starts at
        # the paragraph's start or after whitespace or such a token: occurrences that cannot be
        # a sentence do not need their paragraph split.
        ends_like_sentence = text[-1] in _SENTENCE_END_CHARS
        while position != -1:
            paragraph = self.layout.paragraph_at(position)
            end = position + len(text)
            if paragraph is None or end > paragraph.end:
                position = parent.find(text, position + 1)
                continue
            if (end != paragraph.end and not ends_like_sentence) or (
                position != paragraph.start
                and not (
                    parent[position - 1] in _SENTENCE_END_CHARS or parent[position - 1].isspace()
                )
            ):
                position = parent.find(text, position + 1)
                continue
            if id(paragraph) not in self.done:
                self._add(paragraph)
                if text in self.known:
                    return True
            position = parent.find(text, paragraph.end)
        return False


class _Items:
    """Interning of difflib items: one character (``item_char``) per distinct token string and
    one per distinct cluster text (a cluster never equals a token, even with the same text).
    Characters are handed out in order of first sight by a ``defaultdict`` (in C, from a
    precomputed run of characters)."""

    __slots__ = ("ids",)

    def __init__(self) -> None:
        self.ids: defaultdict[object, str] = defaultdict(_fresh_chars().__next__)

    def sequence(self) -> _Sequence:
        return _Sequence(self.ids)


class _Sequence:
    """The items of one side of the diff, and where they came from: runs of tokens (their
    strings and types, as the layout has them) and clusters. So the tokens of a range of
    items are slices of those lists, never looked up one by one."""

    __slots__ = ("_get", "chunk_starts", "chunks", "items")

    def __init__(self, ids: defaultdict[object, str]) -> None:
        self._get = ids.__getitem__
        self.items: list[str] = []
        self.chunk_starts: list[int] = []  # index of each chunk's first item
        # (token strings, their types, their text joined) or, for a whitespace token,
        # (strings, None, text); a cluster is None.
        self.chunks: list[tuple[Sequence[str], list[int] | None, str] | None] = []

    def token(self, string: str) -> None:
        """One whitespace token (never a word)."""
        self.chunk_starts.append(len(self.items))
        self.chunks.append(((string,), None, string))
        self.items.append(self._get(string))

    def tokens(self, strings: list[str], types: list[int], text: str) -> None:
        """The tokens of a paragraph or sentence (``text``: all of them joined)."""
        self.chunk_starts.append(len(self.items))
        self.chunks.append((strings, types, text))
        self.items.extend(map(self._get, strings))

    def cluster(self, text: str) -> None:
        self.chunk_starts.append(len(self.items))
        self.chunks.append(None)
        self.items.append(self._get((text,)))  # a tuple: never equal to a token string

    def collect(self, start: int, stop: int, segments: list[str], words: list[str]) -> None:
        """Runs of tokens among items ``start:stop`` (clusters split runs: they were moved or
        copied), each joined into a segment, and the word tokens among them."""
        starts, chunks = self.chunk_starts, self.chunks
        index = bisect_right(starts, start) - 1
        run: list[str] = []
        count = len(chunks)
        while index < count:
            first = starts[index]
            if first >= stop:
                break
            chunk = chunks[index]
            index += 1
            if chunk is None:
                if run:
                    segments.append("".join(run))
                    run = []
                continue
            strings, types, text = chunk
            end = starts[index] if index < count else len(self.items)
            lo, hi = max(start, first) - first, min(stop, end) - first
            if lo or hi != end - first:
                strings = strings[lo:hi]
                if types is not None:
                    types = types[lo:hi]
                text = "".join(strings)
            run.append(text)
            if types is not None:
                words.extend(compress(strings, map(_IS_WORD.__getitem__, types)))
        if run:
            segments.append("".join(run))


# The characters of the first items, made once (shared, never changed); more are made on demand.
_FIRST_ITEM_CHARS = tuple(map(item_char, range(1 << 14)))


def _fresh_chars() -> Iterator[str]:
    return chain(_FIRST_ITEM_CHARS, map(item_char, count(len(_FIRST_ITEM_CHARS))))


# With at most this many looked-up texts, a parent paragraph that contains none of them is taken
# token by token without being split into sentences (none of its sentences can be a cluster).
_FEW_LOOKUPS = 64


def _one_sided(layout: Layout, cache: Cache, inserted: bool) -> EditDiff:
    """The diff when the other text is empty: difflib gives one insert (or delete) of every
    token, and there is nothing to form clusters with."""
    result = EditDiff()
    if not layout.units:
        return result
    words: list[str] = []
    for paragraph in layout.paragraphs:
        words.extend(paragraph.words(cache))
    segment = layout.text  # all its tokens, joined
    if inserted:
        result.segments_added.append(segment)
        result.words_added = words
    else:
        result.segments_removed.append(segment)
        result.words_removed = words
    return result


def diff_layouts(parent: Layout, new: Layout, cache: Cache) -> EditDiff:
    """Diff two layouts (``cache`` holds paragraph tokens shared between them)."""
    if not parent.units or not new.units:
        if not parent.units:
            return _one_sided(new, cache, inserted=True)
        return _one_sided(parent, cache, inserted=False)
    parent_paragraphs = {p.text for p in parent.paragraphs}
    parent_sentences = _ParentSentences(parent, cache)
    items = _Items()
    looked_up: set[str] = set()  # texts of new segments that were looked up (flag the parent)

    new_seq = items.sequence()
    for unit in new.units:
        if type(unit) is str:
            new_seq.token(unit)
            continue
        assert type(unit) is Paragraph
        text = unit.text
        looked_up.add(text)
        if text in parent_paragraphs or text in parent_sentences:
            new_seq.cluster(text)
            continue
        for piece in unit.pieces(cache):
            if type(piece) is str:
                new_seq.token(piece)
                continue
            sentence_text = piece.text  # type: ignore[union-attr]
            looked_up.add(sentence_text)
            if sentence_text in parent_paragraphs or sentence_text in parent_sentences:
                new_seq.cluster(sentence_text)
            else:
                strings, types = piece.tokens()  # type: ignore[union-attr]
                new_seq.tokens(strings, types, sentence_text)

    few = len(looked_up) <= _FEW_LOOKUPS
    parent_seq = items.sequence()
    for unit in parent.units:
        if type(unit) is str:
            parent_seq.token(unit)
            continue
        assert type(unit) is Paragraph
        text = unit.text
        if text in looked_up:
            parent_seq.cluster(text)
            continue
        if few and not unit.is_segmented(cache) and not any(t in text for t in looked_up):
            strings, types = unit.tokens(cache)
            parent_seq.tokens(strings, types, text)
            continue
        for piece in unit.pieces(cache):
            if isinstance(piece, str):
                parent_seq.token(piece)
            elif piece.text in looked_up:
                parent_seq.cluster(piece.text)
            else:
                strings, types = piece.tokens()
                parent_seq.tokens(strings, types, piece.text)

    return _expand(parent_seq, new_seq, len(items.ids))


def _expand(parent_seq: _Sequence, new_seq: _Sequence, item_count: int) -> EditDiff:
    result = EditDiff()
    matcher = FastSequenceMatcher("".join(parent_seq.items), "".join(new_seq.items), item_count)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag in ("delete", "replace"):
            parent_seq.collect(a1, a2, result.segments_removed, result.words_removed)
        if tag in ("insert", "replace"):
            new_seq.collect(b1, b2, result.segments_added, result.words_added)
    return result


def diff_texts(parent: str | None, new: str | None, *, reference: bool = False) -> EditDiff:
    """The diff of two texts (None counts as ""). ``reference=True`` tokenizes everything."""
    make = reference_layout if reference else build_layout
    cache: Cache = {}
    return diff_layouts(make(parent or ""), make(new or ""), cache)
