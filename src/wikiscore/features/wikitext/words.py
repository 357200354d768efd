"""Counting word tokens of a text without tokenizing all of it.

Owns ``count_word_key``: how many word tokens of a text have a given key (``İ`` → ``i``, then
lower case) and pass a filter, looking only where the key's letters occur. Each occurrence is
checked by tokenizing a few characters from a *sync point* just before it: a position where the
tokenizer is certainly at a token boundary, i.e. the start of a whitespace run that follows a
non-whitespace character, outside any ``<...>`` tag (or the start of the paragraph). Paragraphs
that are already tokenized are counted from their tokens instead.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable

from wikiscore.features.matching import key_haystack
from wikiscore.features.wikitext.layout import Cache, Layout
from wikiscore.features.wikitext.tokenizer import (
    PLAIN_TOKEN_RE,
    WORD,
    sync_point_before,
    token_type,
)

# Characters that continue a word token (see the tokenizer's word pattern).
_WORD_CHAR_RE = re.compile(r"[\w\u0901-\u0963\u0601-\u061a\u061c-\u0669\u06d5-\u06ef\u0980-\u09ff]")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _continues_word(text: str, end: int) -> bool:
    """Would a word token reaching ``end`` certainly go on past it?"""
    if end >= len(text):
        return False
    char = text[end]
    if _WORD_CHAR_RE.match(char):
        return True
    if char in "'’":
        if end + 1 >= len(text):
            return True  # an apostrophe at the end of the text joins the word
        following = text[end + 1]
        return bool(_WORD_CHAR_RE.match(following)) or following.isspace()
    return False


def token_at(text: str, lo: int, position: int) -> str | None:
    """The token that starts at ``position`` (None if a token spans it); ``lo`` is the start of
    the paragraph holding it."""
    for match in PLAIN_TOKEN_RE.finditer(text, sync_point_before(text, lo, position)):
        start = match.start()
        if start == position:
            return match.group()
        if start > position:
            return None
    return None


def count_word_key(
    layout: Layout,
    lowered: str,
    key: str,
    cache: Cache,
    key_of: Callable[[str], str | None],
) -> int:
    """Word tokens of ``layout.text`` for which ``key_of(token) == key``, found where the key's
    letters occur. ``lowered`` is ``lower_for_matching(layout.text)``.

    In a paragraph whose tokens are known, an occurrence is checked against the token that
    starts there; elsewhere by tokenizing a few characters from a sync point before it.
    """
    text = layout.text
    haystack, needle = key_haystack(lowered, key)
    length = len(needle)
    total = 0
    position = haystack.find(needle)
    while position != -1:
        paragraph = layout.paragraph_at(position)
        if paragraph is None:
            position = haystack.find(needle, position + 1)
            continue
        end = position + length
        if not _continues_word(text, end) and not (
            position > paragraph.start and text[position - 1] in _ASCII_LETTERS
        ):
            if paragraph.is_tokenized(cache):
                strings, types, starts = paragraph.token_starts(cache)
                index = bisect_left(starts, position - paragraph.start)
                known = index < len(strings) and starts[index] == position - paragraph.start
                token = strings[index] if known else None
                is_word = known and types[index] == WORD
            else:
                token = token_at(text, paragraph.start, position)
                is_word = token is not None and token_type(token) == WORD
            if is_word and token is not None and len(token) == length and key_of(token) == key:
                total += 1
        position = haystack.find(needle, position + 1)
    return total
