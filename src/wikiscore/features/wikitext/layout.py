"""The top-level layout of a wikitext: whitespace tokens and paragraphs, found without tokenizing.

Owns the fast path of the segmenter. The diff only needs the tokens of paragraphs that changed;
the rest it compares by their text. So a text is split into paragraphs straight from the
characters, and a paragraph is tokenized and split into sentences only when someone asks.

Why this equals tokenizing everything and then segmenting (``segmenter.segment_text``):

* Paragraphs end at ``break`` tokens. A break is a run of whitespace with two or more newlines;
  the tokenizer meets the start of every whitespace run at a token boundary unless the run is
  inside a ``<...>`` tag token (the only tokens that may hold a newline besides whitespace).
  So the breaks are the matches of the break pattern over the raw text, unless a tag spans one:
  when any ``<`` that could open a tag is still open at a break (and a ``>`` follows), the text
  takes the slow path (full tokenization), which is exact by definition.
* After a break come at most the whitespace tokens before the first non-whitespace token; then
  the paragraph runs to the next break. Tokenizing a paragraph alone gives the tokens it has in
  context: the lexicon has no look-behind, and its look-ahead at the paragraph's end sees a
  newline in context and the end of text alone, which every pattern treats alike.
* ``{|`` at the start of a sentence opens a table sentence that swallows the rest of the text.
  Only a paragraph containing the characters ``{|`` can hold one, so those paragraphs are
  tokenized at once; if one does, it runs to the end of the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, compress

from wikiscore.features.wikitext.segmenter import Piece as SegmentPiece
from wikiscore.features.wikitext.segmenter import segment_paragraph, segment_text
from wikiscore.features.wikitext.tokenizer import (
    BREAK_RE,
    TAB_OPEN,
    TAG_START_RE,
    TYPE_NAMES,
    WHITESPACE,
    WORD,
    TagIndex,
    Tokens,
    scan_words,
    sync_point_after,
    tokenize,
)

_IS_WORD = tuple(code == WORD for code in range(len(TYPE_NAMES)))

_LF_BREAK_RE = re.compile(r"\n\s*\n")

# Whitespace tokens that may open a paragraph region (a break never does: breaks are found first).
_LEADING_SPACE_RE = re.compile(r"\n\r?|[^\S\n\r]+")


class Sentence:
    """A sentence of a paragraph: its text and (possibly lazily computed) tokens."""

    __slots__ = ("_strings", "_types", "text")

    def __init__(self, text: str, strings: list[str] | None, types: list[int] | None) -> None:
        self.text = text
        self._strings = strings
        self._types = types

    @property
    def is_tokenized(self) -> bool:
        return self._strings is not None

    def tokens(self) -> tuple[list[str], list[int]]:
        if self._strings is None:  # a table sentence, tokenized only when it is needed
            self._strings, self._types = tokenize(self.text)
        return self._strings, self._types  # type: ignore[return-value]

    def set_tokens(self, tokens: Tokens) -> None:
        """Provide the tokens of a lazily tokenized sentence (they must be its tokens)."""
        self._strings, self._types = tokens


Piece = str | Sentence  # a whitespace token inside a paragraph, or a sentence


class ParagraphData:
    """What is known of a paragraph text: its tokens and/or its pieces (both computed lazily).
    Shared through a per-edit cache by all paragraphs with the same text."""

    __slots__ = ("pieces", "starts", "tokens", "words")

    def __init__(self, tokens: Tokens | None = None, pieces: list[Piece] | None = None) -> None:
        self.tokens = tokens
        self.pieces = pieces
        self.starts: list[int] | None = None  # offset of each token in the paragraph
        self.words: list[str] | None = None  # its word tokens


Cache = dict[str, ParagraphData]


class Paragraph:
    """A paragraph: its text, where it is, and (on first use) its tokens and pieces."""

    __slots__ = ("_data", "end", "start", "text")

    def __init__(self, text: str, start: int, pieces: list[Piece] | None = None) -> None:
        self.text = text
        self.start = start
        self.end = start + len(text)
        self._data = ParagraphData(pieces=pieces) if pieces is not None else None

    def data(self, cache: Cache) -> ParagraphData:
        if self._data is None:
            data = cache.get(self.text)
            if data is None:
                data = cache[self.text] = ParagraphData()
            self._data = data
        elif self.text not in cache:
            cache[self.text] = self._data
        return self._data

    def known(self, cache: Cache) -> ParagraphData | None:
        return self._data if self._data is not None else cache.get(self.text)

    def is_segmented(self, cache: Cache) -> bool:
        data = self.known(cache)
        return data is not None and data.pieces is not None

    def is_tokenized(self, cache: Cache) -> bool:
        """True when all the paragraph's tokens are known (no tokenizing needed for words)."""
        data = self.known(cache)
        if data is None:
            return False
        if data.tokens is not None:
            return True
        if data.pieces is None:
            return False
        last = data.pieces[-1] if data.pieces else None
        return type(last) is not Sentence or last.is_tokenized

    def tokens(self, cache: Cache) -> Tokens:
        """All tokens of the paragraph."""
        data = self.data(cache)
        if data.tokens is None:
            if data.pieces is None:
                data.tokens = tokenize(self.text)
            else:  # a table paragraph: its pieces were made first
                strings: list[str] = []
                types: list[int] = []
                for piece in data.pieces:
                    if type(piece) is Sentence:
                        piece_strings, piece_types = piece.tokens()
                        strings.extend(piece_strings)
                        types.extend(piece_types)
                    else:
                        strings.append(piece)  # type: ignore[arg-type]
                        types.append(WHITESPACE)
                data.tokens = Tokens(strings, types)
        return data.tokens

    def token_starts(self, cache: Cache) -> tuple[list[str], list[int], list[int]]:
        """Token strings, types and the offset where each starts in the paragraph."""
        strings, types = self.tokens(cache)
        data = self.data(cache)
        if data.starts is None:
            data.starts = list(accumulate(map(len, strings), initial=0))
        return strings, types, data.starts

    def pieces(self, cache: Cache) -> list[Piece]:
        """Sentences and whitespace tokens."""
        data = self.data(cache)
        if data.pieces is None:
            data.pieces = segment_tokens(self.tokens(cache))
        return data.pieces

    def words(self, cache: Cache) -> list[str]:
        """All word tokens of the paragraph, in order (do not modify the list)."""
        data = self.data(cache)
        if data.words is None:
            if data.tokens is None and data.pieces is None:
                data.words = scan_words(self.text)  # no need to make the other tokens
            else:
                strings, types = self.tokens(cache)
                data.words = list(compress(strings, map(_IS_WORD.__getitem__, types)))
        return data.words


class Layout:
    """A text as a sequence of top-level units: whitespace token strings and paragraphs.

    ``break_units`` are the indices of the units that are break tokens; ``fragile`` is True when
    the layout came from the full tokenization or some break was only known not to be inside a
    tag because no ``>`` follows it (then it cannot be reused for an edited text).
    """

    __slots__ = (
        "_tags",
        "break_units",
        "fragile",
        "paragraph_starts",
        "paragraphs",
        "text",
        "units",
    )

    def __init__(
        self,
        text: str,
        units: list[str | Paragraph],
        break_units: list[int] | None = None,
        fragile: bool = True,
    ) -> None:
        self.text = text
        self.units = units
        self.break_units = break_units or []
        self.fragile = fragile
        self.paragraphs = [unit for unit in units if type(unit) is Paragraph]
        self.paragraph_starts = [p.start for p in self.paragraphs]
        self._tags: TagIndex | None = None

    def tag_index(self) -> TagIndex:
        """Where the text's "<" and ">" are (made on first use)."""
        if self._tags is None:
            self._tags = TagIndex(self.text)
        return self._tags

    def paragraph_at(self, offset: int) -> Paragraph | None:
        """The paragraph holding the character at ``offset``, if any."""
        index = bisect_right(self.paragraph_starts, offset) - 1
        if index < 0:
            return None
        paragraph = self.paragraphs[index]
        return paragraph if offset < paragraph.end else None

    def unit_starts(self) -> list[int]:
        starts = []
        offset = 0
        for unit in self.units:
            starts.append(offset)
            offset += len(unit) if type(unit) is str else len(unit.text)  # type: ignore[union-attr]
        return starts


def _pieces_from_segments(
    strings: list[str], types: list[int], segments: list[SegmentPiece]
) -> list[Piece]:
    out: list[Piece] = []
    for piece in segments:
        if piece.sentence:
            piece_strings = strings[piece.start : piece.end]
            out.append(
                Sentence("".join(piece_strings), piece_strings, types[piece.start : piece.end])
            )
        else:
            out.append(strings[piece.start])
    return out


def segment_tokens(tokens: Tokens) -> list[Piece]:
    """The pieces of a paragraph given all its tokens."""
    strings, types = tokens
    segments, end = segment_paragraph(types, 0)
    if end != len(types):  # pragma: no cover - a break inside a paragraph region is impossible
        raise AssertionError("paragraph region holds a break token")
    return _pieces_from_segments(strings, types, segments)


def _table_start(text: str, start: int, end: int) -> tuple[int, list[Piece]] | None:
    """If the paragraph ``text[start:end]`` opens a table sentence: its offset and the pieces
    before it.

    Only the tokens up to each ``{|`` are needed (whether a sentence starts there depends on
    what comes before), so the paragraph is tokenized in steps, cut at sync points.
    """
    strings: list[str] = []
    types: list[int] = []
    done = start  # text[start:done] is tokenized
    occurrence = text.find("{|", start, end)
    while occurrence != -1:
        if occurrence + 2 > done:
            cut = sync_point_after(text, start, occurrence + 2)
            if cut == -1 or cut >= end:
                cut = end
            more = tokenize(text, done, cut)
            strings.extend(more.strings)
            types.extend(more.types)
            done = cut
            segments, _ = segment_paragraph(types, 0)
            offset = start
            index = 0
            for number, piece in enumerate(segments):
                if piece.sentence and types[piece.start] == TAB_OPEN:
                    return offset, _pieces_from_segments(strings, types, segments[:number])
                while index < piece.end:
                    offset += len(strings[index])
                    index += 1
        occurrence = text.find("{|", max(occurrence + 1, done - 1), end)
    return None


def _tag_spans_break(
    text: str, region_start: int, break_start: int, break_end: int
) -> tuple[bool, bool]:
    """Could a ``<...>`` tag token that starts in this region run across the following break?
    Returns (could, decided_by_what_follows): the second is True when a "<" was open but no
    ">" follows the break, so the answer depends on text after the break."""
    lt = text.rfind("<", region_start, break_start)
    if lt == -1 or lt < text.rfind(">", region_start, break_start):
        return False, False
    if text.find(">", break_end) == -1:
        return False, True
    gt = text.rfind(">", region_start, break_start)
    position = text.find("<", gt + 1 if gt != -1 else region_start, break_start)
    while position != -1:
        if TAG_START_RE.match(text, position):
            return True, False
        position = text.find("<", position + 1, break_start)
    return False, False


def _breaks(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    # Without carriage returns the break pattern is the same as "\n\s*\n", which the regex
    # engine finds much faster (it starts with a plain character).
    pattern = BREAK_RE if "\r" in text else _LF_BREAK_RE
    stop = len(text) if end is None else end
    return [m.span() for m in pattern.finditer(text, start, stop)]


def _lay_out(
    text: str,
    region_start: int,
    breaks: list[tuple[int, int]],
    units: list[str | Paragraph],
    break_units: list[int],
    *,
    last_region: bool = True,
) -> tuple[str, bool]:
    """Append the units of ``text`` from ``region_start`` (just after a break, or 0), given the
    breaks found there; with ``last_region`` also the region after the last break.

    Returns (status, fragile): status "done", "table" (a table paragraph ends the text) or
    "hazard" (a tag may span a break: the caller must tokenize instead)."""
    fragile = False
    n = len(text)
    count = len(breaks) + 1 if last_region else len(breaks)
    for index in range(count):
        if index < len(breaks):
            break_start, break_end = breaks[index]
            spans, decided_by_what_follows = _tag_spans_break(
                text, region_start, break_start, break_end
            )
            if spans:
                return "hazard", True
            fragile = fragile or decided_by_what_follows
        else:
            break_start = break_end = n
        position = region_start
        while position < break_start:
            match = _LEADING_SPACE_RE.match(text, position, break_start)
            if match is None:
                break
            units.append(match.group())
            position = match.end()
        if position < break_start:
            if text.find("{|", position, break_start) != -1:
                table = _table_start(text, position, break_start)
                if table is not None:
                    table_offset, before = table
                    pieces: list[Piece] = [*before, Sentence(text[table_offset:], None, None)]
                    units.append(Paragraph(text[position:], position, pieces))
                    return "table", fragile
            units.append(Paragraph(text[position:break_start], position))
        if index < len(breaks):
            break_units.append(len(units))
            units.append(text[break_start:break_end])
        region_start = break_end
    return "done", fragile


def build_layout(text: str) -> Layout:
    """The layout of ``text``, from the characters where that is exact, else by tokenizing."""
    units: list[str | Paragraph] = []
    break_units: list[int] = []
    status, fragile = _lay_out(text, 0, _breaks(text), units, break_units)
    if status == "hazard":
        return reference_layout(text)
    return Layout(text, units, break_units, fragile)


_NON_SPACE_RE = re.compile(r"\S")


def build_layout_after_edit(text: str, parent: Layout, prefix: int, suffix: int) -> Layout:
    """The layout of ``text``, an edited version of ``parent.text`` that shares its first
    ``prefix`` and last ``suffix`` characters: units before and after the edit are reused and
    only the part in between is laid out again (same result as ``build_layout``)."""
    old = parent.text
    if text == old:
        return parent
    if parent.fragile or prefix + suffix < 2:
        return build_layout(text)
    units = parent.units
    starts = parent.unit_starts()
    shift = len(text) - len(old)
    # The last break that ends before the edit and is followed by a non-space before it too
    # (so that neither the break nor the start of the next region can change).
    left = -1
    for index in reversed(parent.break_units):
        end = starts[index] + len(units[index])  # type: ignore[arg-type]
        if end < prefix and _NON_SPACE_RE.search(old, end, prefix):
            left = index
            break
    # The first break after it that starts inside the common suffix, right after a
    # non-space character that is in the suffix too (so the same break is found in both).
    right = -1
    suffix_start = len(old) - suffix
    for index in parent.break_units:
        start = starts[index]
        if index > left and start - 1 >= suffix_start and not old[start - 1].isspace():
            right = index
            break
    new_units: list[str | Paragraph] = list(units[: left + 1])
    break_units = [i for i in parent.break_units if i <= left]
    region_start = starts[left] + len(units[left]) if left >= 0 else 0  # type: ignore[arg-type]
    if right == -1:
        middle = _breaks(text, region_start)
        status, fragile = _lay_out(text, region_start, middle, new_units, break_units)
    else:
        boundary = starts[right] + shift
        middle = _breaks(text, region_start, boundary)
        middle.append((boundary, boundary + len(units[right])))  # type: ignore[arg-type]
        status, fragile = _lay_out(
            text, region_start, middle, new_units, break_units, last_region=False
        )
        if status == "done":
            for unit in units[right + 1 :]:
                if type(unit) is Paragraph:
                    pieces = unit._data.pieces if unit._data is not None else None
                    unit = Paragraph(unit.text, unit.start + shift, pieces)
                new_units.append(unit)
            offset = len(new_units) - len(units)
            break_units.extend(i + offset for i in parent.break_units if i > right)
    if status == "hazard":
        return reference_layout(text)
    return Layout(text, new_units, break_units, fragile)


def reference_layout(text: str) -> Layout:
    """The layout from the full tokenization (exact by definition; slower)."""
    tokens: Tokens = tokenize(text)
    strings, types = tokens
    units: list[str | Paragraph] = []
    offset = 0
    for segment in segment_text(types):
        seg_text = "".join(strings[segment.start : segment.end])
        if segment.pieces is None:
            units.append(seg_text)
        else:
            pieces = _pieces_from_segments(strings, types, segment.pieces)
            units.append(Paragraph(seg_text, offset, pieces))
        offset += len(seg_text)
    return Layout(text, units, fragile=True)
