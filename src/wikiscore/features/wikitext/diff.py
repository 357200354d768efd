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

from dataclasses import dataclass, field
from itertools import compress

from wikiscore.features.wikitext.layout import (
    _IS_WORD,
    Cache,
    Layout,
    Paragraph,
    Sentence,
    build_layout,
    reference_layout,
)
from wikiscore.features.wikitext.matcher import FastSequenceMatcher


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
    """Interning of difflib items: one small integer per distinct token string and one per
    distinct cluster text (a cluster never equals a token, even with the same text)."""

    __slots__ = ("cluster_ids", "ids", "texts", "word_ids")

    def __init__(self) -> None:
        self.ids: dict[object, int] = {}
        self.texts: list[str] = []  # item id -> token string or cluster text
        self.word_ids: set[int] = set()
        self.cluster_ids: set[int] = set()

    def token(self, out: list[int], string: str) -> None:
        """One whitespace token (never a word)."""
        item = self.ids.get(string)
        if item is None:
            item = self.ids[string] = len(self.texts)
            self.texts.append(string)
        out.append(item)

    def tokens(self, out: list[int], strings: list[str], types: list[int] | None = None) -> None:
        ids = self.ids
        new = set(strings).difference(ids)
        if new:
            first = len(self.texts)
            fresh = list(new)
            ids.update(zip(fresh, range(first, first + len(fresh)), strict=True))
            self.texts.extend(fresh)
            if types is not None:
                words = new.intersection(compress(strings, map(_IS_WORD.__getitem__, types)))
                self.word_ids.update(map(ids.__getitem__, words))
        out.extend(map(ids.__getitem__, strings))

    def cluster(self, out: list[int], text: str) -> None:
        key = (text,)  # a tuple: never equal to a token string
        item = self.ids.get(key)
        if item is None:
            item = self.ids[key] = len(self.texts)
            self.texts.append(text)
            self.cluster_ids.add(item)
        out.append(item)


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

    new_seq: list[int] = []
    for unit in new.units:
        if type(unit) is str:
            items.token(new_seq, unit)
            continue
        assert type(unit) is Paragraph
        text = unit.text
        looked_up.add(text)
        if text in parent_paragraphs or text in parent_sentences:
            items.cluster(new_seq, text)
            continue
        for piece in unit.pieces(cache):
            if type(piece) is str:
                items.token(new_seq, piece)
                continue
            sentence_text = piece.text  # type: ignore[union-attr]
            looked_up.add(sentence_text)
            if sentence_text in parent_paragraphs or sentence_text in parent_sentences:
                items.cluster(new_seq, sentence_text)
            else:
                items.tokens(new_seq, *piece.tokens())  # type: ignore[union-attr]

    few = len(looked_up) <= _FEW_LOOKUPS
    parent_seq: list[int] = []
    for unit in parent.units:
        if type(unit) is str:
            items.token(parent_seq, unit)
            continue
        assert type(unit) is Paragraph
        text = unit.text
        if text in looked_up:
            items.cluster(parent_seq, text)
            continue
        if few and not unit.is_segmented(cache) and not any(t in text for t in looked_up):
            items.tokens(parent_seq, *unit.tokens(cache))
            continue
        for piece in unit.pieces(cache):
            if isinstance(piece, str):
                items.token(parent_seq, piece)
            elif piece.text in looked_up:
                items.cluster(parent_seq, piece.text)
            else:
                items.tokens(parent_seq, *piece.tokens())

    return _expand(parent_seq, new_seq, items)


def _expand(parent_seq: list[int], new_seq: list[int], items: _Items) -> EditDiff:
    result = EditDiff()
    matcher = FastSequenceMatcher(parent_seq, new_seq, len(items.texts))
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag in ("delete", "replace"):
            _collect(parent_seq, a1, a2, items, result.segments_removed, result.words_removed)
        if tag in ("insert", "replace"):
            _collect(new_seq, b1, b2, items, result.segments_added, result.words_added)
    return result


def _collect(
    seq: list[int], start: int, stop: int, items: _Items, segments: list[str], words: list[str]
) -> None:
    """Runs of tokens in ``seq[start:stop]`` (clusters split runs: they were moved or copied)."""
    texts = items.texts
    part = seq[start:stop]
    clusters = items.cluster_ids
    word_ids = items.word_ids
    if clusters.isdisjoint(part):
        segments.append("".join(map(texts.__getitem__, part)))
        words.extend(map(texts.__getitem__, filter(word_ids.__contains__, part)))
        return
    run: list[str] = []
    for item in part:
        if item in clusters:
            if run:
                segments.append("".join(run))
                run = []
            continue
        run.append(texts[item])
        if item in word_ids:
            words.append(texts[item])
    if run:
        segments.append("".join(run))


def diff_texts(parent: str | None, new: str | None, *, reference: bool = False) -> EditDiff:
    """The diff of two texts (None counts as ""). ``reference=True`` tokenizes everything."""
    make = reference_layout if reference else build_layout
    cache: Cache = {}
    return diff_layouts(make(parent or ""), make(new or ""), cache)
