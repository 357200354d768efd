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

from wikiscore.features.matching import LoweredText, key_haystack
from wikiscore.features.wikitext.layout import Cache, Layout
from wikiscore.features.wikitext.tokenizer import (
    PLAIN_TOKEN_RE,
    WORD,
    TagIndex,
    _open_tag_before,
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


def token_at(text: str, lo: int, position: int, tags: TagIndex | None = None) -> str | None:
    """The token that starts at ``position`` (None if a token spans it); ``lo`` is the start of
    the paragraph holding it; ``tags`` the text's tag index, if there is one."""
    for match in PLAIN_TOKEN_RE.finditer(text, sync_point_before(text, lo, position, tags)):
        start = match.start()
        if start == position:
            return match.group()
        if start > position:
            return None
    return None


def count_word_key(
    layout: Layout,
    lowered: str | LoweredText,
    key: str,
    cache: Cache,
    key_of: Callable[[str], str | None],
) -> int:
    """Word tokens of ``layout.text`` for which ``key_of(token) == key`` (see
    ``count_word_key_occurrences``)."""
    return count_word_key_occurrences(layout, lowered, key, cache, key_of)[0]


def count_word_key_occurrences(
    layout: Layout,
    lowered: str | LoweredText,
    key: str,
    cache: Cache,
    key_of: Callable[[str], str | None],
) -> tuple[int, int]:
    """Word tokens of ``layout.text`` for which ``key_of(token) == key``, found where the key's
    letters occur. ``lowered`` is ``lower_for_matching(layout.text)`` or its ``LoweredText``.

    In a paragraph whose tokens are known, an occurrence is checked against the token that
    starts there; elsewhere by tokenizing a few characters from a sync point before it.
    Returns the count and how many places were looked at (a measure of the work done).
    """
    text = layout.text
    haystack, needle = key_haystack(lowered, key)
    length = len(needle)
    plain = needle.isascii() and needle.isalnum()  # letters and digits only (a word's key)
    size = len(text)
    total = 0
    tags: TagIndex | None = None
    keys: dict[str, str | None] = {}
    occurrences = 0
    find = haystack.find
    position = find(needle)
    while position != -1:
        occurrences += 1
        here, position = position, find(needle, position + 1)
        # Cheap rejections first: a word token never starts right after an ASCII letter, nor
        # ends where a word character (or an apostrophe that joins) follows.
        if here and text[here - 1] in _ASCII_LETTERS:
            continue
        end = here + length
        if end < size:
            char = text[end]
            if char in _ASCII_WORD_CHARS:
                continue
            if (char in "'’" or not char.isascii()) and _continues_word(text, end):
                continue
        paragraph = layout.paragraph_at(here)
        if paragraph is None:
            continue
        if paragraph.is_tokenized(cache):
            strings, types, starts = paragraph.token_starts(cache)
            index = bisect_left(starts, here - paragraph.start)
            if index == len(strings) or starts[index] != here - paragraph.start:
                continue
            token = strings[index]
            is_word = types[index] == WORD
        else:
            lo = paragraph.start
            if here == lo:
                at_boundary = True
            else:
                before = text[here - 1]
                # A token starts here after whitespace, or after a punctuation mark that ends
                # its own token, unless a tag (or, after punctuation, a URL) runs across.
                at_boundary = before.isspace() or (
                    before in _ENDS_OWN_TOKEN and not _url_may_span(text, lo, here)
                )
                if at_boundary:
                    if here - lo < _SHORT_LOOKBACK:
                        at_boundary = not _open_tag_before(text, lo, here)
                    else:
                        if tags is None:
                            tags = layout.tag_index()
                        at_boundary = not tags.open_tag_before(lo, here)
            if at_boundary and plain and (end == size or text[end] != ":"):
                # ASCII letters and digits from a token start to a non-word character: a word
                # (a URL would need a ":" right after its scheme).
                token = text[here:end]
                is_word = True
            elif at_boundary:
                token = PLAIN_TOKEN_RE.match(text, here).group()  # type: ignore[union-attr]
                is_word = token_type(token) == WORD
            else:
                if tags is None:
                    tags = layout.tag_index()
                found = token_at(text, paragraph.start, here, tags)
                if found is None:
                    continue
                token = found
                is_word = token_type(token) == WORD
        if is_word and len(token) == length:
            token_key = keys.get(token, keys)  # the same spellings come back: remember them
            if token_key is keys:
                token_key = keys[token] = key_of(token)
            if token_key == key:
                total += 1
    return total, occurrences


# Punctuation that is a token of its own or ends one (brackets, "=" runs, "|", entities' ";",
# sentence marks ...): never part of a word. Only a URL or a tag can hold one of these and go
# on with a letter.
_ENDS_OWN_TOKEN = frozenset('[({|="*#;,.!?')


def _url_may_span(text: str, lo: int, position: int) -> bool:
    """Could a URL token run across ``position``? A URL holds no space or newline and has a
    ":" or "/" before any other character of its address."""
    start = max(text.rfind(" ", lo, position), text.rfind("\n", lo, position)) + 1
    return text.find(":", start, position) != -1 or text.find("/", start, position) != -1


# Up to this far from the start of its paragraph, an open "<" is looked for with str.rfind.
_SHORT_LOOKBACK = 512
_ASCII_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
