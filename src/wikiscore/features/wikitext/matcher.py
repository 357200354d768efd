"""``difflib.SequenceMatcher`` with the same answers, faster on long sequences of items.

Owns ``FastSequenceMatcher`` and the spelling of items as characters (``item_char``,
``items_string``): a sequence of items is a string with one character per item, so that C
string functions (``find``, slice comparison) can compare runs, and numpy gets the item numbers
from its bytes. Owns the standard library matcher as revscoring's diff uses it
(``isjunk=None``, autojunk on: in a ``b`` of 200+ items, items occurring more than
``len(b) // 100 + 1`` times are "popular" and may not start a match). ``get_matching_blocks``
and ``get_opcodes`` are difflib's own; only ``find_longest_match`` is computed differently:

* difflib's answer is the longest run of consecutive equal, non-popular pairs ``(i, j)`` in
  range (the first in ``(i, j)`` order among the longest), extended over equal neighbours,
  popular or not (nothing is junk).
* For a long range of ``a``, numpy lists every equal non-popular pair, links each to the pair
  before it on the same diagonal, gets run lengths by pointer jumping, and takes the same run.
* For a short range, the usual run-length dynamic programme, over an index of just the ``b``
  range when that is short too (difflib indexes all of ``b`` up front, which is most of the cost
  for a long page).
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter
from difflib import Match, SequenceMatcher
from itertools import repeat

import numpy as np

from wikiscore.features.matching import common_prefix_length, common_suffix_length

# From about this many equal pairs in a range, numpy is faster than a Python loop.
_NUMPY_MIN_PAIRS = 1000
# Listing more equal pairs than this would take too much memory (about 50 bytes each).
_MAX_PAIRS = 2_000_000
# From this many items of a in range, numpy (whatever the size of the b range).
_NUMPY_MIN_A = 1000
# Ranges up to this size first try the cheap proof that the common prefix or suffix wins.
_CERTIFY_MAX = 4000
# With at most this many items in one of the ranges, the longest run is found with str.find.
_FIND_MAX = 16
_REPLACE_MAX = 40  # popular items masked with str.replace (more: str.translate)
# Item k is the character chr(_CHAR_BASE + k), skipping the surrogates (which cannot be
# encoded), so the first 55,000 items or so are characters of two bytes.
_CHAR_BASE = 0x100
_SURROGATES, _SURROGATES_END = 0xD800, 0xE000
_NEVER_A, _NEVER_B = 0, 1  # popular items become these: equal to nothing on the other side
_SHORT_EXTENSION = 8  # extend a match item by item this far, then compare strings in C
# From this many items on both sides, find the longest run by hashing windows (see below).
_HASHING_MIN = 2000
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so invertible modulo 2**64
_HASH_BASE_INVERSE = np.uint64(pow(0x9E3779B97F4A7C15, -1, 2**64))


class FastSequenceMatcher(SequenceMatcher):
    """A SequenceMatcher over two sequences of items, each given as a string of item
    characters (``items_string``; lists of ints are accepted and converted). ``item_count``
    is more than the largest item number."""

    def __init__(self, a: str | list[int], b: str | list[int], item_count: int) -> None:
        # Not calling SequenceMatcher.__init__: it would index all of b. These are the
        # attributes that get_matching_blocks and get_opcodes read.
        if not isinstance(a, str):
            a = items_string(a)
        if not isinstance(b, str):
            b = items_string(b)
        self.isjunk = None
        self.autojunk = True
        self.a = a
        self.b = b
        self.matching_blocks = self.opcodes = None
        self.fullbcount = None
        self.bjunk: set[str] = set()
        self.bpopular: set[str] = set()
        if len(b) >= 200:
            limit = len(b) // 100 + 1
            self.bpopular = {item for item, count in Counter(b).items() if count > limit}
        self._item_count = item_count
        self._b_index: dict[str, list[int]] | None = None
        self._arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._strings: list[tuple[str, str] | None] = [None, (a, b)]

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> Match:
        if ahi is None:
            ahi = len(self.a)
        if bhi is None:
            bhi = len(self.b)
        certain = None
        if bhi <= blo or ahi <= alo:
            besti, bestj, bestsize = alo, blo, 0
        elif (
            ahi - alo <= _CERTIFY_MAX
            and bhi - blo <= _CERTIFY_MAX
            and (certain := self._longest_core_certified(alo, ahi, blo, bhi))
        ):
            besti, bestj, bestsize = certain
        else:
            besti, bestj, bestsize = self._longest_core_any(alo, ahi, blo, bhi)
        # Extend over equal items on both sides (nothing is junk: isjunk is None).
        a, b = self.a, self.b
        steps = 0
        while besti > alo and bestj > blo and a[besti - 1] == b[bestj - 1]:
            besti, bestj, bestsize = besti - 1, bestj - 1, bestsize + 1
            steps += 1
            if steps == _SHORT_EXTENSION:  # a long way to go: compare in C
                a_text, b_text = self._as_strings(masked=False)
                more = common_suffix_length(a_text[alo:besti], b_text[blo:bestj])
                besti, bestj, bestsize = besti - more, bestj - more, bestsize + more
                break
        steps = 0
        while (
            besti + bestsize < ahi
            and bestj + bestsize < bhi
            and a[besti + bestsize] == b[bestj + bestsize]
        ):
            bestsize += 1
            steps += 1
            if steps == _SHORT_EXTENSION:
                a_text, b_text = self._as_strings(masked=False)
                bestsize += common_prefix_length(
                    a_text[besti + bestsize : ahi], b_text[bestj + bestsize : bhi]
                )
                break
        return Match(besti, bestj, bestsize)

    def _longest_core_any(self, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
        """The longest run, by whichever method suits the ranges (all give the same answer)."""
        found: tuple[int, int, int] | None = None
        if min(ahi - alo, bhi - blo) <= _FIND_MAX:
            found = self._longest_core_find(alo, ahi, blo, bhi)
        elif ahi - alo >= _HASHING_MIN and bhi - blo >= _HASHING_MIN:
            found = self._longest_core_hashing(alo, ahi, blo, bhi)
        elif ahi - alo >= _NUMPY_MIN_A or self._pairs_at_least(
            alo, ahi, blo, bhi, _NUMPY_MIN_PAIRS
        ):
            # Listing every pair could take too much memory on a huge page: then hashing.
            found = self._longest_core_numpy(alo, ahi, blo, bhi, _MAX_PAIRS)
            if found is None:
                found = self._longest_core_hashing(alo, ahi, blo, bhi)
        if found is None:  # a hash collision (or a small range): the plain loop
            found = self._longest_core(alo, ahi, blo, bhi)
        return found

    def _longest_core_find(self, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
        """The longest run when one range is short: binary search on the length k, looking
        for each window of k items of the short range in the other with ``str.find``; then
        the first window pair (smallest i, then smallest j) of the longest length."""
        a_text, b_text = self._as_strings()
        a_part, b_part = a_text[alo:ahi], b_text[blo:bhi]
        b_short = len(b_part) <= len(a_part)
        short, other = (b_part, a_part) if b_short else (a_part, b_part)
        low, high = 0, len(short)  # some window of ``low`` items is common; none of > ``high``
        while low < high:
            k = (low + high + 1) // 2
            if any(short[x : x + k] in other for x in range(len(short) - k + 1)):
                low = k
            else:
                high = k - 1
        if low == 0:
            return alo, blo, 0
        if b_short:  # windows of b, each at its first place in a: the smallest (i, j)
            i, j = min(
                (position, x)
                for x in range(len(short) - low + 1)
                if (position := other.find(short[x : x + low])) != -1
            )
        else:  # windows of a in order: the first that occurs, at its first place in b
            i, j = next(
                (x, position)
                for x in range(len(short) - low + 1)
                if (position := other.find(short[x : x + low])) != -1
            )
        return alo + i, blo + j, low

    def _as_strings(self, masked: bool = True) -> tuple[str, str]:
        """``a`` and ``b``; ``masked``: with each popular item replaced by a character that
        occurs on one side only, so that it never equals anything."""
        strings = self._strings[0 if masked else 1]
        if strings is not None:
            return strings
        a_text, b_text = self.a, self.b
        never_a, never_b = chr(_NEVER_A), chr(_NEVER_B)
        if len(self.bpopular) <= _REPLACE_MAX:  # a few passes of str.replace beat translate
            for char in self.bpopular:
                a_text = a_text.replace(char, never_a)
                b_text = b_text.replace(char, never_b)
        else:
            to_a = dict.fromkeys(map(ord, self.bpopular), never_a)
            a_text = a_text.translate(to_a)
            b_text = b_text.translate(dict.fromkeys(to_a, never_b))
        strings = self._strings[0] = (a_text, b_text)
        return strings

    def _longest_core_certified(
        self, alo: int, ahi: int, blo: int, bhi: int
    ) -> tuple[int, int, int] | None:
        """The answer when the common prefix or suffix of the two ranges is a longest run, which
        can then be proved cheaply; None when that does not work out (use the general way).

        Every run longer than half of the ``a`` range contains the middle part of the range,
        so looking for that middle part in ``b`` finds all of them."""
        a_text, b_text = self._as_strings()
        a_part, b_part = a_text[alo:ahi], b_text[blo:bhi]
        n = len(a_part)
        prefix = common_prefix_length(a_part, b_part)
        suffix = common_suffix_length(a_part, b_part)
        longest = max(prefix, suffix)
        if longest == 0 or 2 * longest < n:
            return None
        runs = self._runs_containing(a_part, b_part, longest + 1)
        if runs:
            return None  # something longer: not the easy case
        if prefix == longest:
            return alo, blo, longest
        # The suffix is a longest run; the answer is the run of that length that ends first.
        runs = self._runs_containing(a_part, b_part, longest)
        i, j = min(runs, key=lambda run: (run[0] + longest, run[1] + longest))
        return alo + i, blo + j, longest

    @staticmethod
    def _runs_containing(a_part: str, b_part: str, length: int) -> list[tuple[int, int]]:
        """Starts (i, j) of the equal runs of at least ``length`` items, each cut to that length
        at its first such window... precisely: every maximal run of >= ``length`` items, as its
        start. ``2 * length > len(a_part)`` (so every such run holds the middle of a_part)."""
        n = len(a_part)
        if length > n or length > len(b_part):
            return []
        core_start, core_end = n - length, length  # every window of ``length`` holds this
        core = a_part[core_start:core_end]
        runs = []
        position = b_part.find(core)
        while position != -1:
            # The run through a_part[core_start] ~ b_part[position]: extend both ways.
            left = common_suffix_length(a_part[:core_start], b_part[:position])
            right = common_prefix_length(a_part[core_end:], b_part[position + len(core) :])
            size = left + len(core) + right
            if size >= length:
                runs.append((core_start - left, position - left))
            position = b_part.find(core, position + 1)
        return runs

    def _pairs_at_least(self, alo: int, ahi: int, blo: int, bhi: int, limit: int) -> bool:
        """Are there at least ``limit`` equal pairs in range (counting popular items too)?"""
        if (ahi - alo) * (bhi - blo) < limit:
            return False
        counts = Counter(self.b[blo:bhi])
        return sum(map(counts.get, self.a[alo:ahi], repeat(0, ahi - alo))) >= limit

    # --- the longest run of equal non-popular pairs -------------------------------------------
    def _index(self, blo: int, bhi: int) -> tuple[dict[str, list[int]], bool]:
        """Positions of each non-popular item of ``b``: of the whole of ``b`` (built once) when
        the range is long, else of just the range. The flag says whether it is the whole."""
        if bhi - blo > 4096 or self._b_index is not None:
            if self._b_index is None:
                self._b_index = self._positions(0, len(self.b))
            return self._b_index, True
        return self._positions(blo, bhi), False

    def _positions(self, blo: int, bhi: int) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        popular = self.bpopular
        b = self.b
        for j in range(blo, bhi):
            item = b[j]
            if item not in popular:
                positions = index.get(item)
                if positions is None:
                    index[item] = [j]
                else:
                    positions.append(j)
        return index

    def _longest_core(self, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
        index, whole = self._index(blo, bhi)
        a = self.a
        besti, bestj, bestsize = alo, blo, 0
        run_before: dict[int, int] = {}  # j -> length of the run ending at (i - 1, j)
        empty: dict[int, int] = {}
        get_positions = index.get
        for i in range(alo, ahi):
            positions = get_positions(a[i])
            if positions is None:
                run_before = empty
                continue
            if whole:
                positions = [j for j in positions if blo <= j < bhi]
                if not positions:
                    run_before = empty
                    continue
            previous = run_before.get
            run_here = {j: previous(j - 1, 0) + 1 for j in positions}
            top = max(run_here.values())
            if top > bestsize:
                # The first j (in order) where a run reaches the new best length.
                first = next(j for j, size in run_here.items() if size == top)
                besti, bestj, bestsize = i - top + 1, first - top + 1, top
            run_before = run_here
        return besti, bestj, bestsize

    def _arrays_ready(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Item numbers of ``a`` and ``b``, and which item numbers are popular."""
        if self._arrays is None:
            popular = np.zeros(self._item_count + 1, dtype=bool)
            if self.bpopular:
                popular[_item_numbers("".join(self.bpopular))] = True
            self._arrays = (_item_numbers(self.a), _item_numbers(self.b), popular)
        return self._arrays

    def _longest_core_hashing(
        self, alo: int, ahi: int, blo: int, bhi: int
    ) -> tuple[int, int, int] | None:
        """The longest run as the longest length k for which some window of ``a`` equals some
        window of ``b`` (both free of popular items), found by binary search on k with window
        hashes; then the first such window pair. None if a hash collision got in the way."""
        a_all, b_all, popular = self._arrays_ready()
        a_part, b_part = a_all[alo:ahi], b_all[blo:bhi]
        a_popular, b_popular = popular[a_part], popular[b_part]
        upper = min(_longest_run(~a_popular), _longest_run(~b_popular))
        if upper == 0:
            return alo, blo, 0
        a_windows = _Windows(a_part, a_popular)
        b_windows = _Windows(b_part, b_popular)

        def first_pair(k: int) -> tuple[int, int] | None:
            a_hash, a_valid = a_windows.hashes(k)
            b_hash, b_valid = b_windows.hashes(k)
            b_set = b_hash[b_valid]
            hits = np.flatnonzero(a_valid & np.isin(a_hash, b_set))
            if hits.size == 0:
                return None
            i = int(hits[0])
            j = int(np.flatnonzero(b_valid & (b_hash == a_hash[i]))[0])
            return i, j

        # A run that certainly exists: the longest stretch free of popular items in the common
        # prefix or suffix of the ranges. Usually nothing is longer (two versions of one long
        # text), which one round of hashing proves, instead of a whole binary search.
        low = min(upper, self._aligned_run(a_part, b_part, a_popular))
        high = upper  # a run of length ``low`` exists; none longer than ``high``
        found: tuple[int, int] | None = None
        if low < high:
            pair = first_pair(low + 1)
            if pair is None:
                high = low
            else:
                low, found = low + 1, pair
        while low < high:
            middle = (low + high + 1) // 2
            pair = first_pair(middle)
            if pair is None:
                high = middle - 1
            else:
                low, found = middle, pair
        if low == 0:
            return alo, blo, 0
        if found is None:
            found = first_pair(low)
        if found is None or low != high:  # pragma: no cover - the search always sets both
            return None
        i, j = found
        if not np.array_equal(a_part[i : i + low], b_part[j : j + low]):
            return None
        return alo + i, blo + j, low

    @staticmethod
    def _aligned_run(a_part: np.ndarray, b_part: np.ndarray, a_popular: np.ndarray) -> int:
        """Length of the longest run of equal pairs free of popular items in the common prefix
        or the common suffix of two item arrays (a run that exists, not always the longest)."""
        size = min(a_part.size, b_part.size)
        unequal = np.flatnonzero(a_part[:size] != b_part[:size])
        prefix = int(unequal[0]) if unequal.size else size
        unequal = np.flatnonzero(a_part[::-1][:size] != b_part[::-1][:size])
        suffix = int(unequal[0]) if unequal.size else size
        best = _longest_run(~a_popular[:prefix]) if prefix else 0
        if suffix:
            best = max(best, _longest_run(~a_popular[a_part.size - suffix :]))
        return best

    def _longest_core_numpy(
        self, alo: int, ahi: int, blo: int, bhi: int, max_pairs: int | None = None
    ) -> tuple[int, int, int] | None:
        """List every equal non-popular pair (None if there would be more than
        ``max_pairs``)."""
        a_all, b_all, popular = self._arrays_ready()
        a_part = a_all[alo:ahi]
        b_part = b_all[blo:bhi]
        b_positions = np.flatnonzero(~popular[b_part])
        if b_positions.size == 0:
            return alo, blo, 0
        b_items = b_part[b_positions]
        order = np.argsort(b_items, kind="stable")
        sorted_items = b_items[order]
        sorted_positions = b_positions[order]
        left = np.searchsorted(sorted_items, a_part, side="left")
        counts = np.searchsorted(sorted_items, a_part, side="right") - left
        total = int(counts.sum())
        if total == 0:
            return alo, blo, 0
        if max_pairs is not None and total > max_pairs:
            return None
        # Every equal pair (i, j), in (i, j) order.
        i_of = np.repeat(np.arange(a_part.size, dtype=np.int64), counts)
        group_start = np.repeat(left, counts)
        within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        j_of = sorted_positions[group_start + within]
        width = b_part.size + 1
        keys = i_of * width + j_of
        # The pair before on the same diagonal, (i - 1, j - 1), if it is in the list.
        previous = keys - width - 1
        where = np.minimum(np.searchsorted(keys, previous), total - 1)
        link = np.where(keys[where] == previous, where, -1)
        lengths = _chain_lengths(link)
        best = int(lengths.max())
        first = int(np.argmax(lengths == best))
        return alo + int(i_of[first]) - best + 1, blo + int(j_of[first]) - best + 1, best


class _Windows:
    """Hashes of all windows of one length in an item array (uint64 polynomial hashes, exact
    arithmetic modulo 2**64), and which windows hold no popular item."""

    def __init__(self, items: np.ndarray, popular: np.ndarray) -> None:
        n = items.size
        powers = np.empty(n + 1, dtype=np.uint64)
        powers[0] = 1
        inverse = np.empty(n + 1, dtype=np.uint64)
        inverse[0] = 1
        if n:
            powers[1:] = _HASH_BASE
            inverse[1:] = _HASH_BASE_INVERSE
            np.cumprod(powers, out=powers)
            np.cumprod(inverse, out=inverse)
        values = (items.astype(np.uint64) + np.uint64(1)) * powers[:n]
        self.prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(values, out=self.prefix[1:])
        self.inverse = inverse
        self.popular_before = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(popular, out=self.popular_before[1:])
        self.items = items

    def hashes(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(hash of each window of length k, whether it holds no popular item)."""
        count = self.items.size - k + 1
        sums = self.prefix[k : k + count] - self.prefix[:count]
        valid = (self.popular_before[k : k + count] - self.popular_before[:count]) == 0
        return sums * self.inverse[:count], valid


def item_char(item: int) -> str:
    """The character that stands for item number ``item``."""
    code = _CHAR_BASE + item
    if code >= _SURROGATES:
        code += _SURROGATES_END - _SURROGATES
    if code > sys.maxunicode:
        raise ValueError(f"too many distinct items for one diff ({item + 1})")
    return chr(code)


def items_string(items: list[int]) -> str:
    """The string of item characters for a list of item numbers."""
    codes = np.frombuffer(array("q", items), dtype=np.int64) + _CHAR_BASE
    codes[codes >= _SURROGATES] += _SURROGATES_END - _SURROGATES
    if codes.size and int(codes.max()) > sys.maxunicode:
        raise ValueError(f"too many distinct items for one diff ({int(codes.max())})")
    return codes.astype("<u4").tobytes().decode("utf-32-le")


def _item_numbers(text: str) -> np.ndarray:
    """The item numbers of a string of item characters."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.int64)
    codes[codes >= _SURROGATES_END] -= _SURROGATES_END - _SURROGATES
    codes -= _CHAR_BASE
    return codes


def _longest_run(flags: np.ndarray) -> int:
    """Length of the longest run of True."""
    if not flags.any():
        return 0
    padded = np.concatenate(([False], flags, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return int((edges[1::2] - edges[::2]).max())


def _chain_lengths(link: np.ndarray) -> np.ndarray:
    """For each element, 1 + the number of links followed until -1 (pointer jumping)."""
    rank = (link >= 0).astype(np.int64)
    target = link.copy()
    while True:
        active = np.flatnonzero(target >= 0)
        if active.size == 0:
            return rank + 1
        hop = target[active]
        rank[active] += rank[hop]
        target[active] = target[hop]
