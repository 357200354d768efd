"""Paragraphs, sentences and whitespace: the segment tree the diff matches on.

Owns the segmentation rules of revscoring's diff (the deltas ``ParagraphsSentencesAndWhitespace``
segmenter, restated here from its documented behaviour):

* Top level: a ``whitespace`` or ``break`` token is a segment of its own; any other token starts a
  *paragraph*, which runs to the next ``break`` (exclusive) or the end.
* In a paragraph: a ``whitespace`` token is a segment of its own; ``{|`` starts a *table
  sentence* that runs until the count of ``{|`` minus ``|}`` is 0 (``|}`` is never a token, so it
  runs to the end of the text, breaks included); any other token starts a *sentence*, which runs
  to a break or the end, or ends right after a period/``?``/``!``/``{|`` token once the bracket
  depth is <= 0 and it holds at least 3 non-whitespace tokens.

Segments are index ranges into the token lists, so nothing is copied.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import NamedTuple

from wikiscore.features.wikitext.tokenizer import BREAK, TAB_CLOSE, TAB_OPEN, TYPE_CODES, WHITESPACE

_SENTENCE_END = {TYPE_CODES[name] for name in ("period", "epoint", "qmark", "tab_open")}
_OPENERS = ("brack_open", "dbrack_open", "paren_open", "ref_open", "comment_start", "dcurly_open")
_CLOSERS = (
    "brack_close",
    "dbrack_close",
    "paren_close",
    "ref_close",
    "comment_end",
    "dcurly_close",
)
_MIN_SENTENCE = 3

# Per type code: +1 for an opener, -1 for a closer, 0 otherwise; 1 for a non-whitespace token.
_DEPTH = [0] * len(TYPE_CODES)
for _name in _OPENERS:
    _DEPTH[TYPE_CODES[_name]] = 1
for _name in _CLOSERS:
    _DEPTH[TYPE_CODES[_name]] = -1
_DEPTH_T = tuple(_DEPTH)
_SOLID_T = tuple(0 if code in (WHITESPACE, BREAK) else 1 for code in range(len(TYPE_CODES)))
_END_RE = re.compile(b"[" + bytes(sorted(_SENTENCE_END)) + b"]")
_BREAK_BYTE = bytes([BREAK])
_TAB_CLOSE_BYTE = bytes([TAB_CLOSE])
assert len(TYPE_CODES) < 256


class Piece(NamedTuple):
    """A piece of a paragraph: a sentence (``sentence=True``) or one whitespace token."""

    start: int
    end: int
    sentence: bool


# Translation tables from type codes: depth change + 1 (so 0, 1 or 2), and 1 for solid tokens.
_DEPTH_PLUS_ONE_TABLE = bytes(d + 1 for d in _DEPTH) + bytes(256 - len(_DEPTH))
_SOLID_TABLE = bytes(_SOLID_T) + bytes(256 - len(_SOLID_T))


class _TypeIndex:
    """Prefix sums over a token type list, so that a sentence is found by jumping from one
    sentence-ending token to the next instead of walking every token. ``depth[k] - k`` is
    the bracket depth before token k; ``solid[k]`` the number of non-whitespace tokens before
    it (both made from the type codes as bytes, in C)."""

    __slots__ = ("codes", "depth", "n", "solid", "types")

    def __init__(self, types: list[int]) -> None:
        self.types = types
        self.n = len(types)
        self.codes = codes = bytes(types)
        self.depth = list(accumulate(codes.translate(_DEPTH_PLUS_ONE_TABLE), initial=0))
        self.solid = list(accumulate(codes.translate(_SOLID_TABLE), initial=0))

    def next_break(self, position: int) -> int:
        found = self.codes.find(_BREAK_BYTE, position)
        return self.n if found == -1 else found

    def table_end(self, start: int) -> int:
        """End of the table sentence opened at ``start`` (``|}`` never occurs: the end)."""
        if self.codes.find(_TAB_CLOSE_BYTE, start) == -1:
            return self.n
        depth = 1
        j = start + 1
        while j < self.n and depth > 0:
            code = self.types[j]
            depth += (code == TAB_OPEN) - (code == TAB_CLOSE)
            j += 1
        return j


def segment_paragraph(types: list[int], start: int) -> tuple[list[Piece], int]:
    """Split the paragraph starting at token ``start``; return its pieces and its end index."""
    return _segment_paragraph(_TypeIndex(types), start)


def _segment_paragraph(index: _TypeIndex, start: int) -> tuple[list[Piece], int]:
    types = index.types
    depth = index.depth
    solid = index.solid
    find_end = _END_RE.search
    codes = index.codes
    pieces: list[Piece] = []
    end = index.next_break(start)
    i = start
    while i < end:
        kind = types[i]
        if kind == TAB_OPEN:
            j = index.table_end(i)
            pieces.append(Piece(i, j, True))
            i = j
            end = index.next_break(i)
        elif kind == WHITESPACE:
            pieces.append(Piece(i, i + 1, False))
            i += 1
        else:
            # A sentence: it ends after the first sentence-ending token at which the bracket
            # depth is <= 0 and it has at least 3 non-whitespace tokens, else at the break.
            # (``depth[k] - k`` is the depth before token k.)
            base = (1 if _DEPTH_T[kind] == 1 else 0) - (depth[i + 1] - (i + 1))
            stop = end
            found = find_end(codes, i + 1, end)
            while found is not None:
                j = found.start()
                if base + depth[j + 1] - (j + 1) <= 0 and solid[j + 1] - solid[i] >= _MIN_SENTENCE:
                    stop = j + 1
                    break
                found = find_end(codes, j + 1, end)
            pieces.append(Piece(i, stop, True))
            i = stop
    return pieces, i


class TopSegment(NamedTuple):
    """A top-level segment: one whitespace/break token, or a paragraph with its pieces."""

    start: int
    end: int
    pieces: list[Piece] | None  # None for a whitespace/break token


def segment_text(types: list[int]) -> list[TopSegment]:
    """The full segment tree of a tokenized text (the reference path)."""
    index = _TypeIndex(types)
    top: list[TopSegment] = []
    n = len(types)
    i = 0
    while i < n:
        if not _SOLID_T[types[i]]:
            top.append(TopSegment(i, i + 1, None))
            i += 1
        else:
            pieces, end = _segment_paragraph(index, i)
            top.append(TopSegment(i, end, pieces))
            i = end
    return top
