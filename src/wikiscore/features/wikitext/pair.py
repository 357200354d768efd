"""The two texts of an edit and the work the edit features share (each piece done once).

Owns ``TextPair``: parent and new text with, computed on first use, their common prefix and
suffix, lower-cased copies for matching, paragraph layouts, the segmentation cache, the diff, and
the frequency deltas of regex word lists and of word tokens. ``reference=True`` computes
everything the slow, obvious way (full tokenization, whole-text scans); the tests compare both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import cached_property
from itertools import compress
from operator import neg

from wikiscore.features.matching import (
    LoweredText,
    RegexList,
    common_prefix_length,
    common_suffix_length,
    count_delta,
    match_key,
)
from wikiscore.features.regex_dispatch import lower_for_matching
from wikiscore.features.wikitext.diff import EditDiff, diff_layouts
from wikiscore.features.wikitext.layout import (
    _IS_WORD,
    Cache,
    Layout,
    Paragraph,
    ParagraphData,
    Sentence,
    build_layout,
    build_layout_after_edit,
    reference_layout,
)
from wikiscore.features.wikitext.tokenizer import SharedTokens, Tokens, tokenize_pair
from wikiscore.features.wikitext.words import count_word_key_occurrences

# How word tokens are counted: ``key_of(word)`` gives a word's counting key, or None to leave
# it out (a stopword); ``count_keys(words)`` counts the keys of many words at once.
WordKey = Callable[[str], str | None]
CountKeys = Callable[[list[str]], Counter[str]]
# Costs of counting a key's words in the parent by looking where its letters occur, in units of
# the cost of counting all the words of one character of untokenized text: looking through one
# character for the letters, each key, and checking one place where they occur (measured on
# the parity fixture; they only decide which of two exact ways is used).
_FIND_COST = 1 / 190
_KEY_COST = 50
_OCCURRENCE_COST = 13
# Looking where keys' letters occur is tried only when that alone costs at most this share of
# counting every word (checking the places found usually costs more than finding them).
_FIND_SHARE_MAX = 3
_SHARED_TOKENIZATION_MIN = 500


class TextPair:
    """Parent and new text of one edit (None counts as "")."""

    def __init__(self, parent: str | None, new: str | None, *, reference: bool = False) -> None:
        self.parent = parent or ""
        self.new = new or ""
        self.reference = reference
        self.cache: Cache = {}  # paragraph text -> its tokens and pieces
        self._shared = False
        # Paragraph pairs (old text, new text) tokenized together: their words differ only in
        # the tokens between the shared head and tail.
        self._middles: dict[tuple[str, str], SharedTokens] = {}

    # --- shared intermediate values ---------------------------------------------------------
    @cached_property
    def prefix(self) -> int:
        return common_prefix_length(self.parent, self.new)

    @cached_property
    def suffix(self) -> int:
        return common_suffix_length(self.parent, self.new, self.prefix)

    @cached_property
    def parent_lowered(self) -> LoweredText:
        return LoweredText(self.parent)

    @cached_property
    def new_lowered(self) -> str:
        return lower_for_matching(self.new)

    @cached_property
    def parent_layout(self) -> Layout:
        return reference_layout(self.parent) if self.reference else build_layout(self.parent)

    @cached_property
    def new_layout(self) -> Layout:
        if self.reference:
            return reference_layout(self.new)
        return build_layout_after_edit(self.new, self.parent_layout, self.prefix, self.suffix)

    @cached_property
    def diff(self) -> EditDiff:
        self._share_tokenization()
        return diff_layouts(self.parent_layout, self.new_layout, self.cache)

    def _share_tokenization(self) -> None:
        """Tokenize the two versions of a long changed paragraph together, the shared start and
        end once: the paragraph where the edit starts, and a table at the end of both texts
        (a table runs to the end of the page, so any change after it changes the table)."""
        if self._shared or self.reference:
            return
        self._shared = True
        if self.prefix == len(self.parent) == len(self.new):
            return
        old_paragraphs = self.parent_layout.paragraphs
        new_paragraphs = self.new_layout.paragraphs
        pairs = [
            (
                self.parent_layout.paragraph_at(self.prefix),
                self.new_layout.paragraph_at(self.prefix),
            )
        ]
        if old_paragraphs and new_paragraphs:
            pairs.append((old_paragraphs[-1], new_paragraphs[-1]))
        for old, new in pairs:
            if old is not None and new is not None:
                self._share_pair(old, new)

    def _share_pair(self, old: Paragraph, new: Paragraph) -> None:
        if old.text == new.text or min(len(old.text), len(new.text)) < _SHARED_TOKENIZATION_MIN:
            return
        if old.is_segmented(self.cache) and new.is_segmented(self.cache):  # tables
            old_last, new_last = old.pieces(self.cache)[-1], new.pieces(self.cache)[-1]
            if (
                type(old_last) is Sentence
                and type(new_last) is Sentence
                and not old_last.is_tokenized
                and not new_last.is_tokenized
                and old_last.text != new_last.text
            ):
                shared = tokenize_pair(
                    old_last.text, new_last.text, min_shared=_SHARED_TOKENIZATION_MIN
                )
                old_last.set_tokens(shared.x)
                new_last.set_tokens(shared.y)
                # The two paragraphs differ only inside the table sentences if what comes
                # before the tables is the same.
                before = len(old.text) - len(old_last.text)
                if before == len(new.text) - len(new_last.text) and (
                    old.text[:before] == new.text[:before]
                ):
                    self._middles[(old.text, new.text)] = shared
        elif old.start == new.start and old.known(self.cache) is None:
            if new.known(self.cache) is not None:
                return
            shared = tokenize_pair(old.text, new.text, min_shared=_SHARED_TOKENIZATION_MIN)
            self.cache[old.text] = ParagraphData(tokens=shared.x)
            self.cache[new.text] = ParagraphData(tokens=shared.y)
            self._middles[(old.text, new.text)] = shared

    # --- regex word lists -------------------------------------------------------------------
    def match_delta(self, words: RegexList) -> tuple[dict[str, int], dict[str, int]]:
        """``(delta, parent_counts)`` of a regex word list's match keys; parent counts are given
        for the keys in ``delta`` only."""
        if self.reference:
            parent_all = Counter(match_key(m) for m in words.matches(self.parent))
            new_all = Counter(match_key(m) for m in words.matches(self.new))
            delta = count_delta(parent_all, new_all)
            return delta, {key: parent_all[key] for key in delta}
        parent_part, new_part, complete = words.changed_counts(
            self.parent, self.new, self.prefix, self.suffix
        )
        delta = count_delta(parent_part, new_part)
        if complete:  # the whole parent was scanned
            return delta, {key: parent_part[key] for key in delta}
        parent_counts = {
            key: words.count_key(self.parent, self.parent_lowered, key) for key in delta
        }
        return delta, parent_counts

    # --- word tokens ------------------------------------------------------------------------
    def word_delta(
        self, key_of: WordKey, count_keys: CountKeys
    ) -> tuple[dict[str, int], dict[str, int]]:
        """``(delta, parent_counts)`` of the keys (``key_of``) of the word tokens, over the whole
        texts; parent counts are given for the keys in ``delta`` only.

        A text's words are the words of its paragraphs, so paragraphs that occur equally often
        in both texts cancel out and are never tokenized.
        """
        self._share_tokenization()
        layout = self.parent_layout
        parent_paragraphs = Counter([p.text for p in layout.paragraphs])
        new_paragraphs = Counter([p.text for p in self.new_layout.paragraphs])
        in_parent = {p.text: p for p in layout.paragraphs}
        by_text = dict(in_parent)
        by_text.update((p.text, p) for p in self.new_layout.paragraphs)
        surplus = {  # text -> (copies in new) - (copies in parent), where they differ
            text: times - parent_paragraphs.get(text, 0)
            for text, times in new_paragraphs.items()
            if times != parent_paragraphs.get(text, 0)
        }
        surplus.update((t, -n) for t, n in parent_paragraphs.items() if t not in new_paragraphs)
        # Words gained and lost, counted in one go (counting runs in C).
        gained: list[str] = []
        lost: list[str] = []
        # A paragraph replaced by its edited version: only the tokens between the shared head
        # and tail differ.
        whole_paragraphs_lost = True  # ``lost`` holds whole paragraphs only
        for (old_text, new_text), shared in self._middles.items():
            if surplus.get(old_text) == -1 and surplus.get(new_text) == 1:
                del surplus[old_text], surplus[new_text]
                gained.extend(_middle_words(shared.y, shared))
                lost.extend(_middle_words(shared.x, shared))
                whole_paragraphs_lost = False
        for text, times in surplus.items():
            words = by_text[text].words(self.cache)
            (gained if times > 0 else lost).extend(words if abs(times) == 1 else words * abs(times))
        change = count_keys(gained)
        lost_counts = count_keys(lost)
        # ``change - lost_counts`` without zeros, ordered as ``Counter.subtract`` leaves it (keys
        # gained first, then keys only lost): a loop over the keys gained only, the rest in C.
        only_lost = dict(zip(lost_counts, map(neg, lost_counts.values()), strict=True))
        delta = {}
        for key, n in change.items():
            n += only_lost.pop(key, 0)
            if n:
                delta[key] = n
        delta.update(only_lost)
        if not delta:
            return delta, {}
        cache = self.cache
        untokenized = sum(len(p.text) for p in layout.paragraphs if not p.is_tokenized(cache))
        per_key = len(self.parent) * _FIND_COST + _KEY_COST
        if not self.reference and len(delta) * per_key * _FIND_SHARE_MAX < untokenized:
            # Few keys: look for each one where its letters occur, unless that turns out to
            # cost more than counting every word would.
            budget = untokenized - len(delta) * per_key
            parent_counts = {}
            for key in delta:
                count, occurrences = count_word_key_occurrences(
                    layout, self.parent_lowered, key, cache, key_of
                )
                parent_counts[key] = count
                budget -= occurrences * _OCCURRENCE_COST
                if budget < 0:
                    break
            else:
                return delta, parent_counts
        # Many keys (a page replaced or blanked): count every word of the parent. When ``lost``
        # is made of whole parent paragraphs, those are counted already: only the copies that
        # the new text kept remain to be counted.
        everything: list[str] = []
        for text, times in parent_paragraphs.items():
            if whole_paragraphs_lost:
                times += min(surplus.get(text, 0), 0)  # copies not in ``lost``
            if times:
                words = in_parent[text].words(cache)
                everything.extend(words if times == 1 else words * times)
        totals = count_keys(everything)
        if whole_paragraphs_lost:
            totals.update(lost_counts)
        return delta, dict(zip(delta, map(totals.__getitem__, delta), strict=True))


def _middle_words(tokens: Tokens, shared: SharedTokens) -> list[str]:
    strings, types = tokens
    stop = len(strings) - shared.tail
    return list(
        compress(strings[shared.head : stop], map(_IS_WORD.__getitem__, types[shared.head : stop]))
    )
