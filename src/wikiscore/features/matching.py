"""Word-list matching and frequency deltas: revscoring's ``match_prop_delta_sum`` arithmetic.

Owns two things:

* ``RegexList``: a list of regular expressions joined into one case-insensitive alternation
  wrapped in word boundaries (``\\b(?:p1|p2|...)\\b``), run over raw wikitext with
  non-overlapping left-to-right search; each match is counted under its *key*
  (``İ`` → ``i``, then ``str.lower``).
* ``prop_delta``: for every key whose count differs, ``delta / (old + 1)`` when it grew and
  ``delta / old`` when it shrank; the feature is the sum.

The regex scan is the slow part (about 1 µs per character), so counts are never taken over a
whole text when two texts share most of it. The trick: from the patterns we work out which
characters a match can contain (``\\w``, and for English ``'``, space and ``-``). Any other
character is a *barrier*: no match crosses it, and the scanner is back in step right after it.
So the matches of a text are the matches of its barrier-to-barrier windows, windows shared by
both texts cancel out, and a key's count in the parent can be found by scanning only the windows
around the places where the key's letters occur.

Also owns ``LoweredText`` (the lower-cased views in which those places are looked for) and the
common prefix/suffix lengths of two texts.
"""

from __future__ import annotations

import re
import re._constants as _sre_constants  # the regex parser's data (internal, Python >= 3.11)
import re._parser as _sre_parse
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from wikiscore.features.regex_dispatch import compile_dispatch, lower_for_matching

_BOUNDARY_RE = re.compile(r"\b")
_WORD_RE = re.compile(r"\w")
# Windows longer than this are compared line by line first (moves and duplications).
_LINE_SPLIT_THRESHOLD = 2000


def match_key(matched: str) -> str:
    """The counting key of a matched string (revscoring's lower-casing)."""
    return matched.replace("İ", "i").lower()


def prop_delta(
    delta: Mapping[str, int], old_count: Mapping[str, int] | None = None
) -> dict[str, float]:
    """Proportional deltas: ``d / (old + 1)`` for growth, ``d / old`` for shrinkage."""
    old = old_count or {}
    out: dict[str, float] = {}
    for key, change in delta.items():
        if change > 0:
            out[key] = change / (old.get(key, 0) + 1)
        elif change < 0:
            out[key] = change / old[key]
    return out


def count_delta(old: Mapping[str, int], new: Mapping[str, int]) -> dict[str, int]:
    """``new - old`` for every key whose count differs (new keys first, in ``new``'s order)."""
    delta: dict[str, int] = {}
    for key, count in new.items():
        change = count - old.get(key, 0)
        if change:
            delta[key] = change
    for key, count in old.items():
        if key not in new and count:
            delta[key] = -count
    return delta


def common_prefix_length(a: str, b: str) -> int:
    """Length of the longest common prefix (block compares, then a binary search)."""
    limit = min(len(a), len(b))
    start = 0
    block = 4096
    while start < limit:
        stop = min(start + block, limit)
        if a[start:stop] == b[start:stop]:
            start = stop
            block *= 2
            continue
        lo, hi = start, stop  # the mismatch is in [lo, hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if a[lo:mid] == b[lo:mid]:
                lo = mid
            else:
                hi = mid
        return lo if a[lo] != b[lo] else hi
    return limit


def common_suffix_length(a: str, b: str, prefix: int = 0) -> int:
    """Length of the longest common suffix that does not overlap a common prefix of
    ``prefix`` characters."""
    limit = min(len(a), len(b)) - prefix
    if limit <= 0:
        return 0
    size = 0
    block = 4096
    la, lb = len(a), len(b)
    while size < limit:
        grow = min(size + block, limit)
        if a[la - grow : la - size] == b[lb - grow : lb - size]:
            size = grow
            block *= 2
            continue
        lo, hi = size, grow  # common suffix length is in [lo, hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
                lo = mid
            else:
                hi = mid
        return lo
    return limit


class _SpanAnalysis:
    """Which characters can be part of a match of a parsed pattern (None: can't tell)."""

    def __init__(self, flags: int) -> None:
        self.ignore_case = bool(flags & re.IGNORECASE)
        self.literals: set[str] = set()
        self.ranges: list[tuple[int, int]] = []
        self.categories: set[str] = set()
        self.ok = True

    def add_literal(self, code: int) -> None:
        char = chr(code)
        variants = {char}
        if self.ignore_case:
            variants |= {char.lower(), char.upper(), char.casefold(), char.swapcase()}
        self.literals.update(v for v in variants if len(v) == 1)

    def walk(self, items: Iterable[tuple[Any, Any]]) -> None:
        c = _sre_constants
        for op, av in items:
            if op is c.LITERAL:
                self.add_literal(av)
            elif op is c.IN:
                self.walk_set(av)
            elif op is c.BRANCH:
                for branch in av[1]:
                    self.walk(branch)
            elif op is c.SUBPATTERN:
                self.walk(av[-1])
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
                self.walk(av[2])
            elif op is getattr(c, "ATOMIC_GROUP", None):
                self.walk(av)
            elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue  # zero-width: adds no characters to a match
            else:  # ANY, NOT_LITERAL, GROUPREF, ...: give up (whole-text scans stay exact)
                self.ok = False

    def walk_set(self, items: Iterable[tuple[Any, Any]]) -> None:
        c = _sre_constants
        for op, av in items:
            if op is c.LITERAL:
                self.add_literal(av)
            elif op is c.RANGE:
                lo, hi = av
                self.ranges.append((lo, hi))
                if self.ignore_case:
                    for code in range(lo, min(hi, lo + 512) + 1):
                        self.add_literal(code)
                    if hi - lo > 512:
                        self.ok = False
            elif op is c.CATEGORY:
                names = {c.CATEGORY_WORD: r"\w", c.CATEGORY_DIGIT: r"\d", c.CATEGORY_SPACE: r"\s"}
                if av in names:
                    self.categories.add(names[av])
                else:
                    self.ok = False
            else:  # NEGATE and friends
                self.ok = False

    def barrier_class(self) -> str | None:
        """A character class matching exactly the barrier characters, or None."""
        if not self.ok:
            return None
        # \w always spans: then a barrier is never a word character, so word boundaries at the
        # edge of a window look the same as in the whole text.
        parts = [r"\w", *sorted(self.categories - {r"\w", r"\d"})]
        parts.extend(re.escape(ch) for ch in sorted(self.literals) if not re.match(r"\w", ch))
        for lo, hi in self.ranges:
            parts.append(re.escape(chr(lo)) + "-" + re.escape(chr(hi)))
        return "[^" + "".join(parts) + "]"


class RegexList:
    """A word list of regular expressions, matched revscoring's way (see module docstring).

    Methods take the text and ``lower_for_matching(text)`` (computed once per text by the
    caller and shared between lists).
    """

    def __init__(self, patterns: Sequence[str], flags: int = re.IGNORECASE) -> None:
        if not patterns:
            raise ValueError("a regex word list needs at least one pattern")
        self.patterns = tuple(patterns)
        self.regex = re.compile(r"\b(?:" + "|".join(self.patterns) + r")\b", flags)
        barrier = self._barrier_class(flags)
        self._barrier_re = re.compile(barrier) if barrier else None
        self._last_barrier_re = re.compile(r"(?s:.*)" + barrier) if barrier else None
        self._newline_is_barrier = bool(self._barrier_re and self._barrier_re.match("\n"))
        self._dispatch = compile_dispatch(self.patterns) if flags == re.IGNORECASE else None

    def _barrier_class(self, flags: int) -> str | None:
        """The class of barrier characters, or None when the patterns do not allow windows."""
        try:
            parsed = _sre_parse.parse(self.regex.pattern, flags)
            if parsed.getwidth()[0] < 1:  # an empty match would sit between windows
                return None
            analysis = _SpanAnalysis(flags)
            analysis.walk(parsed.data)
            return analysis.barrier_class()
        except Exception:  # the parser is internal to Python: no shortcut, stay exact
            return None

    @property
    def windowed(self) -> bool:
        """True when counts can be taken over barrier windows (else whole texts are scanned)."""
        return self._barrier_re is not None

    @property
    def dispatched(self) -> bool:
        """True when the fast first-letter dispatch form is used."""
        return self._dispatch is not None

    def matches(self, text: str | None) -> list[str]:
        """Every match in ``text``, as matched, with the plain regex (the reference path)."""
        return [m.group() for m in self.regex.finditer(text or "")]

    def spans(
        self, text: str, lowered: str, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, int]]:
        """Start and end of every match in ``text[start:end]`` (a barrier window)."""
        stop = len(text) if end is None else end
        if self._dispatch is None:
            for m in self.regex.finditer(text, start, stop):
                yield m.span()
            return
        scan, anchored = self._dispatch
        position = start
        if position == 0:
            first = anchored.match(lowered, 0, stop)
            if first is not None:
                yield first.span()
                position = first.end()
        is_word = _WORD_RE.match
        while True:
            # A match may start at ``position`` only after a non-word character; the scan
            # pattern consumes that character as its leading \W.
            origin = (
                position - 1 if position > 0 and not is_word(lowered, position - 1) else position
            )
            found = scan.search(lowered, origin, stop)
            if found is None:
                return
            position = found.end(1)
            yield found.start(1), position

    def key_counts(
        self, text: str, lowered: str, start: int = 0, end: int | None = None
    ) -> Counter[str]:
        """Counts of match keys in ``text[start:end]`` (which must be a barrier window)."""
        return Counter([match_key(text[s:e]) for s, e in self.spans(text, lowered, start, end)])

    def window_counts(self, text: str, start: int = 0, end: int | None = None) -> Counter[str]:
        """``key_counts`` of a barrier window, lower-casing only the window. A window scans
        the same alone as in its text: its edges are barriers (or the ends of the text)."""
        if self._dispatch is None:
            return self.key_counts(text, text, start, end)
        window, lowered = _lowered_window(text, start, end)
        return self.key_counts(window, lowered)

    # --- windows ----------------------------------------------------------------------------
    def _window_start(self, text: str, position: int) -> int:
        """Just after the last barrier before ``position`` (0 if none)."""
        assert self._last_barrier_re is not None
        lo = position
        span = 256
        while lo > 0:
            lo = max(0, position - span)
            m = self._last_barrier_re.match(text, lo, position)
            if m is not None:
                return m.end()
            span *= 4
        return 0

    def _window_end(self, text: str, position: int) -> int:
        """The first barrier at or after ``position`` (``len(text)`` if none)."""
        assert self._barrier_re is not None
        m = self._barrier_re.search(text, position)
        return m.start() if m is not None else len(text)

    def changed_counts(
        self, parent: str, new: str, prefix: int, suffix: int
    ) -> tuple[Counter[str], Counter[str], bool]:
        """Key counts of the parts of ``parent`` and ``new`` that differ, and whether the
        parent's counts are those of the whole parent.

        ``prefix`` and ``suffix`` are the lengths of a common prefix and a common suffix of the
        two texts (not overlapping in either). Counts outside the scanned windows are equal,
        so ``new_counts - parent_counts`` is the delta of the whole texts.
        """
        if not self.windowed:
            return self.window_counts(parent), self.window_counts(new), True
        start = self._window_start(parent, prefix)
        parent_end = self._window_end(parent, len(parent) - suffix)
        new_end = parent_end - len(parent) + len(new)
        if (
            self._newline_is_barrier
            and parent_end - start > _LINE_SPLIT_THRESHOLD
            and new_end - start > _LINE_SPLIT_THRESHOLD
        ):
            # Large windows (a moved or duplicated block): lines that occur equally often on
            # both sides cancel; only the others are scanned.
            parent_counts = self._line_counts(parent, start, parent_end, new, start, new_end)
            new_counts = self._line_counts(new, start, new_end, parent, start, parent_end)
            return parent_counts, new_counts, False
        return (
            self.window_counts(parent, start, parent_end),
            self.window_counts(new, start, new_end),
            start == 0 and parent_end == len(parent),
        )

    def _line_counts(
        self, text: str, start: int, end: int, other: str, other_start: int, other_end: int
    ) -> Counter[str]:
        """Key counts of the lines of ``text[start:end]`` that ``other[...]`` has fewer of."""
        lines = Counter(text[start:end].split("\n"))
        other_lines = Counter(other[other_start:other_end].split("\n"))
        counts: Counter[str] = Counter()
        for line, times in (lines - other_lines).items():
            for key, n in self.window_counts(line).items():
                counts[key] += n * times
        return counts

    def count_key(self, text: str, lowered: str | LoweredText, key: str) -> int:
        """How many matches in ``text`` have this key. Only the windows around occurrences of
        the key's letters (in ``lowered``) are scanned."""
        if not self.windowed:
            full = lowered.full if isinstance(lowered, LoweredText) else lowered
            return self.key_counts(text, full)[key]
        haystack, needle = key_haystack(lowered, key)
        boundary = _BOUNDARY_RE.match
        total = 0
        position = haystack.find(needle)
        while position != -1:
            end = position + len(needle)
            if boundary(text, position) and boundary(text, end):
                start = self._window_start(text, position)
                stop = self._window_end(text, end)
                total += self.window_counts(text, start, stop)[key]
                position = haystack.find(needle, max(stop, position + 1))
            else:
                position = haystack.find(needle, position + 1)
        return total


# The last window lowered: the word lists of one edit (badwords, informals) scan the same
# windows one after the other, so each is copied and lower-cased once, not once per list.
_last_window: tuple[str, int, int | None, str, str] = ("", 0, 0, "", "")


def _lowered_window(text: str, start: int, end: int | None) -> tuple[str, str]:
    """``text[start:end]`` and its ``lower_for_matching``."""
    global _last_window
    last = _last_window  # one read: another thread may replace it meanwhile
    if last[0] is text and last[1] == start and last[2] == end:
        return last[3], last[4]
    window = text[start:end]
    lowered = lower_for_matching(window)
    _last_window = (text, start, end, window, lowered)
    return window, lowered


class LoweredText:
    """Lower-cased views of a text for finding where a key's letters occur, each made on first
    use: ``full`` is ``lower_for_matching(text)``; for a key whose letters are ASCII, a cheaper
    bytes view is enough (``str.lower`` is slow on text with any non-ASCII character)."""

    __slots__ = ("_ascii", "_full", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._full: str | None = None
        self._ascii: bytes | None = None

    @property
    def full(self) -> str:
        if self._full is None:
            self._full = lower_for_matching(self.text)
        return self._full

    def ascii_view(self) -> bytes:
        """The text with every character whose ``lower_for_matching`` is an ASCII character
        replaced by that character and every other character by "?", one byte per character:
        an ASCII needle occurs here wherever it occurs in ``full`` (and maybe where "?" is in
        the needle). The non-ASCII characters that lower to ASCII are exactly these four."""
        if self._ascii is None:
            text = self.text
            if not text.isascii():
                for char, lower in _LOWERS_TO_ASCII:
                    if char in text:
                        text = text.replace(char, lower)
            self._ascii = text.encode("ascii", "replace").lower()
        return self._ascii


_LOWERS_TO_ASCII = (("İ", "i"), ("ı", "i"), ("ſ", "s"), ("\u212a", "k"))


def key_haystack(lowered: str | LoweredText, key: str) -> tuple[Any, Any]:
    """Where to look for a key's letters: ``(text, needle)`` (both ``str`` or both ``bytes``)
    such that every occurrence of something with this key in the original text is an
    occurrence of ``needle`` in ``text``, at the same position.

    ``lowered`` is ``lower_for_matching(original)`` or a ``LoweredText`` of it. Only the lower
    case of Σ depends on its neighbours (σ or final ς), so keys holding a sigma are looked up
    sigma-blind.
    """
    needle = key.replace("ı", "i").replace("ſ", "s")
    if isinstance(lowered, LoweredText):
        if needle.isascii():
            return lowered.ascii_view(), needle.encode("ascii")
        lowered = lowered.full
    if "σ" in needle or "ς" in needle:
        return lowered.replace("ς", "σ"), needle.replace("ς", "σ")
    return lowered, needle
