"""The wikitext tokenizer: text → (token strings, token types), as revscoring's features see it.

Owns the lexicon: an ordered list of token types, each a regular expression. At every position
the *first* type in the list that matches wins (ordered alternation, not longest match), and
every character ends up in some token. The result is the same as the ``wikitext_split``
tokenizer of the deltas library (used by revscoring 2.11), which is what makes our feature
values equal to the ones in the training data. See ``tests/fixtures/features/README.md`` for
the rules in plain words.

Facts the faster layers (``layout``, ``diff``) rely on, checked by tests:

* The lexicon has no look-behind: tokenizing from a token boundary ``pos`` gives the same tokens
  as tokenizing the whole text and dropping those before ``pos``.
* Look-ahead never reaches past a whitespace character: a text cut just before a whitespace
  character that follows a non-whitespace one (outside a tag) tokenizes the same as in context.
* Only ``break``, ``whitespace``, the ``<...>`` tag types and ``etc`` (a lone ``\\r``) can hold a
  newline or carriage return; only tag types can hold ``<`` after their first character, apart
  from a URL whose address starts with ``<``.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_left
from functools import partial
from itertools import compress
from typing import NamedTuple

# Token types, in the order they are tried. The integer codes index TYPE_NAMES.
TYPE_NAMES: tuple[str, ...] = (
    "break",
    "whitespace",
    "url",
    "equals",
    "bar",
    "entity",
    "ref_open",
    "ref_close",
    "ref_singleton",
    "tag",
    "number",
    "bold",
    "italic",
    "japan_punct",
    "cjk",
    "word",
    "tab_open",
    "tab_close",
    "dbrack_open",
    "dbrack_close",
    "brack_open",
    "brack_close",
    "paren_open",
    "paren_close",
    "dcurly_open",
    "dcurly_close",
    "curly_open",
    "curly_close",
    "period",
    "qmark",
    "epoint",
    "comma",
    "colon",
    "scolon",
    "comment_start",
    "comment_end",
    "danda",
    "etc",
)
TYPE_CODES: dict[str, int] = {name: code for code, name in enumerate(TYPE_NAMES)}

BREAK = TYPE_CODES["break"]
WHITESPACE = TYPE_CODES["whitespace"]
WORD = TYPE_CODES["word"]
NUMBER = TYPE_CODES["number"]
TAB_OPEN = TYPE_CODES["tab_open"]
TAB_CLOSE = TYPE_CODES["tab_close"]

# --- The pieces of the lexicon -------------------------------------------------------------------
_NEWLINE = r"(?:\n\r?|\r\n)"

# Schemes written "scheme:" and schemes written "scheme://" (the scheme may be left out: "//x").
_PLAIN_SCHEMES = ("bitcoin", "geo", "magnet", "mailto", "news", "sips?", "tel", "urn")
_SLASHED_SCHEMES = (
    "https?",
    "ftp",
    "ftps",
    "git",
    "gopher",
    "ircs?",
    "mms",
    "nntp",
    "redis",
    "sftp",
    "ssh",
    "svn",
    "telnet",
    "worldwind",
    "xmpp",
)
_URL = (
    r"(?:(?:" + "|".join(_PLAIN_SCHEMES) + r"):"
    r"|(?:(?:" + "|".join(_SLASHED_SCHEMES) + r"):)?//)"
    r"[^\s/$.?#][^|<>\s{}]*"
)

# Ideographs, kana and CJK symbols: each character is a token of its own. Hangul is not here.
_CJK_RANGES = (
    "\u4e00-\u62ff\u6300-\u77ff\u7800-\u8cff\u8d00-\u9fcc"  # unified ideographs
    "\u3400-\u4dff"  # extension A
    "\U00020000-\U000215ff\U00021600-\U000230ff\U00023100-\U000245ff"  # extension B
    "\U00024600-\U000260ff\U00026100-\U000275ff\U00027600-\U000290ff"
    "\U00029100-\U0002a6df"
    "\uf900-\ufaff"  # compatibility ideographs
    "\U0002f800-\U0002fa1f"  # compatibility supplement
    "\u3041-\u3096"  # hiragana
    "\u30a0-\u30ff"  # katakana
    "\u3400-\u4db5\u4e00-\u9fcb\uf900-\ufa6a"  # kanji (overlapping the ranges above)
    "\u2e80-\u2fd5"  # radicals
    "\uff5f-\uff9f"  # half-width katakana and punctuation
    "\u31f0-\u31ff\u3220-\u3243\u3280-\u337f"  # other Japanese symbols
)

# Letters of Devanagari, Arabic and Bengali that Python's \w does not cover (marks, signs).
_EXTRA_WORD_CHARS = "\u0901-\u0963\u0601-\u061a\u061c-\u0669\u06d5-\u06ef\u0980-\u09ff"
_WORD = (
    r"(?:[^\W\d]|[" + _EXTRA_WORD_CHARS + r"])"  # a letter (or _), not a digit
    r"[\w" + _EXTRA_WORD_CHARS + r"]*"  # then letters and digits
    # then apostrophe groups: "don't", "rock'n'roll", or a trailing "dogs'" before whitespace/end
    r"(?:['’](?:[\w" + _EXTRA_WORD_CHARS + r"]+|(?=(?:$|\s))))*"
)

LEXICON: tuple[tuple[str, str], ...] = (
    ("break", _NEWLINE + r"\s*" + _NEWLINE + "+"),
    ("whitespace", r"(?:\n\r?|[^\S\n\r]+)"),
    ("url", _URL),
    ("equals", r"=+"),
    ("bar", r"\|"),
    ("entity", r"&[a-z][a-z0-9]*;"),
    ("ref_open", r"<ref\b(?:/(?!>)|[^>/])*>"),
    ("ref_close", r"</ref\b[^>]*>"),
    ("ref_singleton", r"<ref\b(?:/(?!>)|[^/>])*/>"),
    ("tag", r"</?[a-z][a-z0-9]*\b[^>]*>"),
    ("number", r"\d+"),
    ("bold", r"'''"),
    ("italic", r"''"),
    ("japan_punct", r"[\u3000-\u303f]"),
    ("cjk", "[" + _CJK_RANGES + "]"),
    ("word", _WORD),
    ("tab_open", r"\{\|"),
    ("tab_close", r"\|\}"),
    ("dbrack_open", r"\[\["),
    ("dbrack_close", r"\]\]"),
    ("brack_open", r"\["),
    ("brack_close", r"\]"),
    ("paren_open", r"\("),
    ("paren_close", r"\)"),
    ("dcurly_open", r"\{\{"),
    ("dcurly_close", r"\}\}"),
    ("curly_open", r"\{"),
    ("curly_close", r"\}"),
    ("period", r"\.+"),
    ("qmark", r"\?+"),
    ("epoint", r"!+"),
    ("comma", r",+"),
    ("colon", r":+"),
    ("scolon", r";+"),
    ("comment_start", r"<!--"),
    ("comment_end", r"-->"),
    ("danda", r"।|॥"),
    ("etc", r"."),
)
assert tuple(name for name, _ in LEXICON) == TYPE_NAMES

# One group per type (the patterns above have no capturing groups of their own), so that
# ``match.lastindex - 1`` is the type code.
TOKEN_RE = re.compile("|".join("(" + pattern + ")" for _, pattern in LEXICON))
assert TOKEN_RE.groups == len(LEXICON)
# The same tokens from an alternation without groups (``findall`` then returns plain strings,
# much faster), with the alternatives reordered so that common tokens are found after few
# failed tries. Ordered alternation means the first alternative that matches wins, so two
# alternatives may swap places only if they can never both match at one position; here that
# holds because they cannot start with the same character:
#
# 1. ``word``, for ASCII letters that start no URL scheme (the URL pattern is case sensitive:
#    no upper-case letter starts one): nothing else starts with those.
# 2. A run of whitespace other than "\n" and "\r": only ``whitespace`` (``break`` starts with
#    a newline or carriage return).
# 3. ``url`` (behind a one-character look-ahead for the characters a URL starts with), then
#    ``word`` for the other ASCII lower-case letters (which only a URL or a word can start).
# 4. ``number``: digits start nothing else.
# 5. ``break``, then the newline part of ``whitespace``, then every ASCII punctuation type in
#    the lexicon's order.
# 6. ``japan_punct``, ``cjk`` and ``word`` in the lexicon's order (they start with no ASCII
#    punctuation), then ``danda`` and, last as in the lexicon, ``etc``.
# The tests check the reordered alternation against ``TOKEN_RE`` on the fixture texts.
_URL_INITIALS = frozenset(scheme[0] for scheme in (*_PLAIN_SCHEMES, *_SLASHED_SCHEMES))
_LEXICON_PATTERNS = dict(LEXICON)
_WORD_REST = _WORD[_WORD.index(")") + 1 :]  # the word pattern after its first character
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_GATED_URL = "(?=[" + "".join(sorted(_URL_INITIALS)) + "/])" + _URL
_LATE_TYPES = ("japan_punct", "cjk", "word", "danda", "etc")
_FAST_ORDER: tuple[str, ...] = (
    "[" + "".join(c for c in _LOWER if c not in _URL_INITIALS) + "A-Z]" + _WORD_REST,
    r"[^\S\n\r]+",
    _GATED_URL,
    "[" + "".join(c for c in _LOWER if c in _URL_INITIALS) + "]" + _WORD_REST,
    _LEXICON_PATTERNS["number"],
    _LEXICON_PATTERNS["break"],
    r"\n\r?",
    *(
        pattern
        for name, pattern in LEXICON
        if name not in ("break", "whitespace", "url", "number", *_LATE_TYPES)
    ),
    *(_LEXICON_PATTERNS[name] for name in _LATE_TYPES),
)
PLAIN_TOKEN_RE = re.compile("|".join("(?:" + pattern + ")" for pattern in _FAST_ORDER))
assert _LEXICON_PATTERNS["whitespace"] == r"(?:\n\r?|[^\S\n\r]+)"
assert _WORD.startswith(r"(?:[^\W\d]|[" + _EXTRA_WORD_CHARS + r"])")
assert all(initial in _LOWER for initial in _URL_INITIALS)

# The word tokens of a text, without making the other tokens: the lexicon's types that can hold
# or start with a character a word could start with, with words captured. Elsewhere no word can
# start inside a token (whitespace, punctuation, brackets, "'", "=", "|" hold none of the
# word's first characters), so the scan finds exactly the tokenizer's words. As above, the
# order differs from the lexicon's only between types that cannot start with the same
# character (``word`` goes before the ``&``/``<`` types), and runs of ASCII characters that
# start none of these types are skipped in one step.
_WORD_SCAN_TYPES = ("number", "japan_punct", "cjk")
_WORD_SCAN_LATE_TYPES = ("entity", "ref_open", "ref_close", "ref_singleton", "tag")
# ASCII other than letters, digits, "_" (word characters), "&", "/" and "<".
_NOTHING_STARTS = r"[\x00-\x25\x27-\x2e\x3a\x3b\x3d-\x40\x5b-\x5e\x60\x7b-\x7f]+"
_WORD_SCAN_RE = re.compile(
    _NOTHING_STARTS
    + "|(?:"
    + _GATED_URL
    + ")|"
    + "|".join("(?:" + _LEXICON_PATTERNS[name] + ")" for name in _WORD_SCAN_TYPES)
    + "|("
    + _WORD
    + ")|"
    + "|".join("(?:" + _LEXICON_PATTERNS[name] + ")" for name in _WORD_SCAN_LATE_TYPES)
)

BREAK_RE = re.compile(LEXICON[0][1])
# A "<" that could start a tag token (of any of the four tag types).
TAG_START_RE = re.compile(r"</?[a-z][a-z0-9]*\b")


class Tokens(NamedTuple):
    """Parallel lists: the token strings and their type codes."""

    strings: list[str]
    types: list[int]


# Types of token strings seen so far. A token string always has the same type wherever it
# occurs (the type depends on the characters of the token only); the tests check this on the
# fixture. Bounded so that a long-running server does not grow it without limit.
_TYPE_CACHE: dict[str, int] = {}
_TYPE_CACHE_LIMIT = 200_000


_IS_NONE = partial(operator.is_, None)


def _char_type(char: str) -> int | None:
    match = TOKEN_RE.fullmatch(char)
    return None if match is None else match.lastindex - 1  # type: ignore[operator]


# The type of every one-character ASCII token (what ``_type_of`` would find, worked out once).
_ASCII_CHAR_TYPES = {
    char: code for char in map(chr, range(128)) if (code := _char_type(char)) is not None
}


def token_type(token: str) -> int:
    """The type code of a token string."""
    code = _TYPE_CACHE.get(token)
    return _type_of(token) if code is None else code


def _type_of(token: str) -> int:
    if token.isascii() and token.isalpha():
        code = WORD  # only the word pattern yields a token of ASCII letters alone
    elif token.isascii() and token.isdigit():
        code = NUMBER
    elif len(token) == 1 and token in _ASCII_CHAR_TYPES:
        code = _ASCII_CHAR_TYPES[token]
    else:
        match = TOKEN_RE.match(token)
        if match is None or match.end() != len(token):  # pragma: no cover - lexicon invariant
            raise AssertionError(f"token {token!r} does not re-tokenize as itself")
        code = match.lastindex - 1  # type: ignore[operator]
    if len(_TYPE_CACHE) >= _TYPE_CACHE_LIMIT:
        _TYPE_CACHE.clear()
    _TYPE_CACHE[token] = code
    return code


def tokenize(text: str, start: int = 0, end: int | None = None) -> Tokens:
    """Tokenize ``text[start:end]`` as if it were the whole text.

    ``start`` and ``end`` must be token boundaries where the context does not matter (see the
    module docstring); the whole text is always fine.
    """
    if end is not None and end != len(text):
        text = text[start:end]
        start = 0
    strings = PLAIN_TOKEN_RE.findall(text, start)
    types = list(map(_TYPE_CACHE.get, strings))
    if None in types:
        # Type each token string not seen before once (not once per occurrence), then fill in.
        types = list(
            map(_type_unseen(set(compress(strings, map(_IS_NONE, types)))).get, strings, types)
        )
    return Tokens(strings, types)  # type: ignore[arg-type]


def _type_unseen(unseen: set[str]) -> dict[str, int]:
    """Types of token strings not in the cache (and add them to it). Most are ASCII words or
    numbers: those are picked out by C-level filters, not one call of ``_type_of`` each."""
    ascii_tokens = list(filter(str.isascii, unseen))
    fresh = dict.fromkeys(filter(str.isalpha, ascii_tokens), WORD)
    fresh.update(dict.fromkeys(filter(str.isdigit, ascii_tokens), NUMBER))
    if len(_TYPE_CACHE) + len(fresh) >= _TYPE_CACHE_LIMIT:
        _TYPE_CACHE.clear()
    _TYPE_CACHE.update(fresh)
    if len(fresh) < len(unseen):
        for token in unseen:
            if token not in fresh:
                fresh[token] = _type_of(token)
    return fresh


def scan_words(text: str) -> list[str]:
    """The word tokens of ``text``, in order (as ``tokenize`` would find them)."""
    return list(filter(None, _WORD_SCAN_RE.findall(text)))


def tokenize_with_types(text: str) -> Tokens:
    """Tokenize by matching every token with its type group (slower; the reference path)."""
    strings: list[str] = []
    types: list[int] = []
    for match in TOKEN_RE.finditer(text):
        strings.append(match.group())
        types.append(match.lastindex - 1)  # type: ignore[operator]
    return Tokens(strings, types)


# --- Token boundaries found from the characters ---------------------------------------------
# A *sync point* is a position where the tokenizer is certainly between two tokens, whatever came
# before: the start of a whitespace run that follows a non-whitespace character, when no "<"
# before it (since ``lo``, a known boundary such as a paragraph start) is still open. Only tag
# tokens can hold both a non-whitespace character and the whitespace after it.
_SPACE_RE = re.compile(r"\s")
_NON_SPACE_RE = re.compile(r"\S")


def _open_tag_before(text: str, lo: int, position: int) -> bool:
    opening = text.rfind("<", lo, position)
    return opening != -1 and opening > text.rfind(">", lo, position)


class TagIndex:
    """Where the "<" and ">" of a text are, to tell in log time whether a "<" is still open at
    some point (the same answers as scanning back with ``str.rfind``, which costs the length of
    the paragraph when it has no "<")."""

    __slots__ = ("closings", "openings")

    def __init__(self, text: str) -> None:
        self.openings = _positions(text, "<")
        self.closings = _positions(text, ">")

    @staticmethod
    def _last(positions: list[int], lo: int, hi: int) -> int:
        index = bisect_left(positions, hi) - 1
        return positions[index] if index >= 0 and positions[index] >= lo else -1

    def last_opening(self, lo: int, hi: int) -> int:
        """``text.rfind("<", lo, hi)``."""
        return self._last(self.openings, lo, hi)

    def open_tag_before(self, lo: int, position: int) -> bool:
        """``_open_tag_before(text, lo, position)``."""
        opening = self._last(self.openings, lo, position)
        return opening != -1 and opening > self._last(self.closings, lo, position)


def _positions(text: str, char: str) -> list[int]:
    positions = []
    position = text.find(char)
    while position != -1:
        positions.append(position)
        position = text.find(char, position + 1)
    return positions


def sync_point_before(text: str, lo: int, position: int, tags: TagIndex | None = None) -> int:
    """The last sync point in ``(lo, position]``, or ``lo``. ``tags``: the text's tag index,
    if there is one."""
    gap = max(text.rfind(" ", lo, position + 1), text.rfind("\n", lo, position + 1))
    while gap > lo:
        start = gap
        while start > lo and text[start - 1].isspace():
            start -= 1
        if start == lo:
            return lo
        if tags is None:
            opening = text.rfind("<", lo, start)
            if opening == -1 or opening < text.rfind(">", lo, start):
                return start
        else:
            if not tags.open_tag_before(lo, start):
                return start
            opening = tags.last_opening(lo, start)
        gap = max(text.rfind(" ", lo, opening), text.rfind("\n", lo, opening))
    return lo


def sync_point_after(text: str, lo: int, position: int) -> int:
    """The first sync point at or after ``position`` (``lo`` is a known boundary before it),
    or -1."""
    while True:
        space = _SPACE_RE.search(text, position)
        if space is None:
            return -1
        start = space.start()
        if start > lo and not text[start - 1].isspace():
            if not _open_tag_before(text, lo, start):
                return start
            closing = text.find(">", start)
            if closing == -1:
                return -1
            position = closing + 1
            continue
        rest = _NON_SPACE_RE.search(text, start)
        if rest is None:
            return -1
        position = rest.start()


class SharedTokens(NamedTuple):
    """Two tokenizations whose first ``head`` and last ``tail`` tokens are the same."""

    x: Tokens
    y: Tokens
    head: int
    tail: int


def tokenize_pair(x: str, y: str, *, min_shared: int = 2048) -> SharedTokens:
    """Tokenize two texts that share a long prefix and suffix, the shared parts only once.

    The texts are cut at sync points inside the common prefix and the common suffix; the
    pieces tokenize the same alone as in context (see the module docstring).
    """
    from wikiscore.features.matching import common_prefix_length, common_suffix_length

    prefix = common_prefix_length(x, y)
    suffix = common_suffix_length(x, y, prefix)
    if prefix + suffix < min_shared:
        return SharedTokens(tokenize(x), tokenize(y), 0, 0)
    head = sync_point_before(x, 0, prefix - 1) if prefix > 1 else 0
    tail_x = len(x)
    if suffix > 1:
        candidate = sync_point_after(x, head, len(x) - suffix + 1)
        if candidate != -1:
            candidate_y = candidate - len(x) + len(y)
            if not _open_tag_before(y, head, candidate_y):
                tail_x = candidate
    tail_y = tail_x - len(x) + len(y)
    head_tokens = tokenize(x, 0, head) if head else Tokens([], [])
    tail_tokens = tokenize(x, tail_x) if tail_x < len(x) else Tokens([], [])
    middle_x = tokenize(x, head, tail_x)
    middle_y = tokenize(y, head, tail_y)
    return SharedTokens(
        Tokens(
            head_tokens.strings + middle_x.strings + tail_tokens.strings,
            head_tokens.types + middle_x.types + tail_tokens.types,
        ),
        Tokens(
            head_tokens.strings + middle_y.strings + tail_tokens.strings,
            head_tokens.types + middle_y.types + tail_tokens.types,
        ),
        len(head_tokens.strings),
        len(tail_tokens.strings),
    )
