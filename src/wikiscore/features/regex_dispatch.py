"""A faster, equivalent form of a word-list regex: dispatch on the first letter.

Owns one speed trick for ``\\b(?:p1|p2|...)\\b`` with IGNORECASE (revscoring's word lists).
Python's regex engine tries all alternatives at every word start, which costs about 1 µs per
character of wikitext. We compile instead, for a lower-cased copy of the text, the pattern::

    \\W(?:a(?:<p1 after an a>|<p3 after an a>)\\b|b(?:<p2 after a b>)\\b|...)

* Each branch starts with a plain literal, so the engine skips branches with one compare, and
  the leading ``\\W`` lets it skip every word character in C. ``\\W`` stands in for the leading
  ``\\b`` (each alternative starts with a word character); a match at the very start of the
  scanned range is checked separately.
* "``pi`` after an ``a``" is the regex derivative: what ``pi`` must match once its first character
  was an ``a``. Derivatives keep the alternatives' order and greedy/lazy preferences, so the
  first alternative that lets the whole pattern match is the same one as before.
* Case: on ``lower_for_matching(text)`` (``İ``/``ı`` → ``i``, ``ſ`` → ``s``, then ``lower``) a
  case-sensitive literal ``c`` matches exactly the characters that ``c`` matches under
  IGNORECASE in the original text, for the literals in ``VERIFIED_LITERALS`` (checked over every
  code point by the tests). The transformation keeps lengths and which characters are ``\\w``,
  so positions and word boundaries are unchanged.

``compile_dispatch`` returns None when a pattern uses anything this does not handle; callers
then use the plain regex, which is exact too, only slower.
"""

from __future__ import annotations

import re
import re._constants as _c  # the regex parser's own data structures (internal, Python >= 3.11)
import re._parser as _parser
import string
from collections.abc import Sequence
from typing import Any

# Literals for which "case-sensitive on the lowered text" equals "IGNORECASE on the original".
VERIFIED_LITERALS = frozenset(string.ascii_lowercase + string.digits + string.punctuation + " æ")

_WORD_RE = re.compile(r"\w")
_CATEGORY_REGEX = {
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
}
_AT_REGEX = {
    _c.AT_BOUNDARY: r"\b",
    _c.AT_NON_BOUNDARY: r"\B",
    _c.AT_BEGINNING: "^",
    _c.AT_END: "$",
    _c.AT_BEGINNING_STRING: r"\A",
    _c.AT_END_STRING: r"\Z",
}
_MAX_SIZE = 200_000  # characters of generated pattern; beyond this, give up
# English word-initial letters, most frequent first (only affects speed, never results).
_INITIAL_RANK = {letter: rank for rank, letter in enumerate("taoswicbphfmdrlengyuvjkqxz")}


class Unsupported(Exception):
    """The pattern uses a construct the dispatch form does not handle."""


def lower_for_matching(text: str) -> str:
    """The text the dispatch pattern runs on (same length and word characters as ``text``)."""
    if text.isascii():  # (a flag of the string: no scan) nothing to replace
        return text.lower()
    return text.replace("İ", "i").lower().replace("ı", "i").replace("ſ", "s")


Node = tuple[Any, Any]  # (opcode, argument) items of the regex parser


def _items(pattern: Any) -> list[Node]:
    return list(pattern)  # a parser SubPattern iterates over its (op, av) items


def _min_width(items: list[Node]) -> int:
    sub = _parser.SubPattern(_parser.State(), items)
    return int(sub.getwidth()[0])


def _in_set(items: list[Node], code: int) -> bool:
    char = chr(code)
    negate = False
    hit = False
    for op, av in items:
        if op is _c.NEGATE:
            negate = True
        elif op is _c.LITERAL:
            hit = hit or av == code
        elif op is _c.RANGE:
            lo, hi = av
            hit = hit or lo <= code <= hi
        elif op is _c.CATEGORY:
            regex = _CATEGORY_REGEX.get(av)
            if regex is None:
                raise Unsupported(f"category {av}")
            hit = hit or re.match(regex, char) is not None
        else:
            raise Unsupported(f"set item {op}")
    return hit != negate


def _branch(options: list[list[Node] | None]) -> list[Node] | None:
    kept = [option for option in options if option is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return [(_c.BRANCH, (None, kept))]


def derivative(items: list[Node], code: int) -> list[Node] | None:
    """What ``items`` must match after its first character was ``chr(code)`` (None: it cannot
    start with that character). Alternatives keep their order."""
    if not items:
        return None
    (op, av), rest = items[0], items[1:]
    if op is _c.LITERAL:
        return rest if av == code else None
    if op is _c.IN:
        return rest if _in_set(av, code) else None
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise Unsupported("inline flags")
        return derivative(_items(sub) + rest, code)
    if op is _c.BRANCH:
        return _branch([derivative(_items(b) + rest, code) for b in av[1]])
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        low, high, sub = av
        body = _items(sub)
        if _min_width(body) < 1:
            raise Unsupported("repeat of a possibly empty pattern")
        left = high if high == _c.MAXREPEAT else high - 1
        again = [(op, (max(low - 1, 0), left, sub))] if left else []
        take = derivative(body + again + rest, code)
        if low >= 1:
            return take
        skip = derivative(rest, code)
        return _branch([take, skip] if op is _c.MAX_REPEAT else [skip, take])
    raise Unsupported(f"{op} at the start of an alternative")


def first_codes(items: list[Node]) -> set[int]:
    """The characters a match of ``items`` can start with (literal patterns only)."""
    if not items:
        raise Unsupported("an alternative can match the empty string")
    op, av = items[0]
    if op is _c.LITERAL:
        return {av}
    if op is _c.IN:
        codes: set[int] = set()
        for item_op, item_av in av:
            if item_op is _c.LITERAL:
                codes.add(item_av)
            elif item_op is _c.RANGE and item_av[1] - item_av[0] < 256:
                codes.update(range(item_av[0], item_av[1] + 1))
            else:
                raise Unsupported("set without a short list of first characters")
        return codes
    if op is _c.SUBPATTERN:
        return first_codes(_items(av[-1]) + items[1:])
    if op is _c.BRANCH:
        out: set[int] = set()
        for b in av[1]:
            out |= first_codes(_items(b) + items[1:])
        return out
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
        low, _high, sub = av
        out = first_codes(_items(sub))
        if low == 0:
            out |= first_codes(items[1:])
        return out
    raise Unsupported(f"{op} at the start of an alternative")


def _literal(code: int, in_set: bool = False) -> str:
    char = chr(code)
    if char not in VERIFIED_LITERALS and code < 0x80:
        raise Unsupported(f"literal {char!r} has case variants")
    if code >= 0x80 and char not in VERIFIED_LITERALS:
        raise Unsupported(f"literal {char!r} is not verified")
    escaped = re.escape(char)
    if in_set and char in "]^-\\":
        escaped = "\\" + char
    return escaped


def to_regex(items: list[Node]) -> str:
    """Serialize parser items back to a (case-sensitive) pattern without capturing groups."""
    out: list[str] = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(_literal(av))
        elif op is _c.NOT_LITERAL:
            out.append("[^" + _literal(av, True) + "]")
        elif op is _c.ANY:
            out.append(".")
        elif op is _c.IN:
            parts: list[str] = []
            for item_op, item_av in av:
                if item_op is _c.NEGATE:
                    parts.insert(0, "^")
                elif item_op is _c.LITERAL:
                    parts.append(_literal(item_av, True))
                elif item_op is _c.RANGE:
                    lo, hi = item_av
                    if any(chr(x).lower() != chr(x).upper() for x in range(lo, hi + 1)):
                        raise Unsupported("range with cased characters")
                    parts.append(_literal(lo, True) + "-" + _literal(hi, True))
                elif item_op is _c.CATEGORY and item_av in _CATEGORY_REGEX:
                    parts.append(_CATEGORY_REGEX[item_av])
                else:
                    raise Unsupported(f"set item {item_op}")
            out.append("[" + "".join(parts) + "]")
        elif op is _c.BRANCH:
            out.append("(?:" + "|".join(to_regex(_items(b)) for b in av[1]) + ")")
        elif op is _c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                raise Unsupported("inline flags")
            out.append("(?:" + to_regex(_items(sub)) + ")")
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, sub = av
            upper = "" if high == _c.MAXREPEAT else str(high)
            lazy = "?" if op is _c.MIN_REPEAT else ""
            out.append("(?:" + to_regex(_items(sub)) + "){" + f"{low},{upper}" + "}" + lazy)
        elif op is _c.AT and av in _AT_REGEX:
            out.append(_AT_REGEX[av])
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            direction, sub = av
            head = {(_c.ASSERT, 1): "(?=", (_c.ASSERT, -1): "(?<=", (_c.ASSERT_NOT, 1): "(?!"}
            head[(_c.ASSERT_NOT, -1)] = "(?<!"
            out.append(head[(op, direction)] + to_regex(_items(sub)) + ")")
        else:
            raise Unsupported(f"{op}")
    return "".join(out)


def compile_dispatch(patterns: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """``(scan, anchored)`` for ``\\b(?:patterns)\\b`` with IGNORECASE, or None.

    ``scan`` finds matches preceded by a non-word character (the match is group 1);
    ``anchored`` matches at a given position. Both run on ``lower_for_matching(text)``.
    """
    try:
        alternatives = [_items(_parser.parse(p, re.IGNORECASE)) for p in patterns]
        by_first: dict[int, list[str]] = {}
        for items in alternatives:
            for code in sorted(first_codes(items)):
                if chr(code).lower() != chr(code) or not _WORD_RE.match(chr(code)):
                    raise Unsupported("alternatives must start with a lower-case word character")
                rest = derivative(items, code)
                if rest is None:  # pragma: no cover - first_codes promised it could
                    raise Unsupported("inconsistent first characters")
                by_first.setdefault(code, []).append(to_regex(rest))
        # Branches never compete (each starts with its own letter); the engine tries them in
        # order, so the letters words most often start with go first.
        order = sorted(by_first, key=lambda code: (_INITIAL_RANK.get(chr(code), 99), code))
        branches = [_literal(code) + "(?:" + "|".join(by_first[code]) + r")\b" for code in order]
        first_letters = "".join(_literal(code, in_set=True) for code in order)
        scan_source = r"\W(?=[" + first_letters + "])(" + "(?:" + "|".join(branches) + "))"
        anchored_source = r"\b(?:" + "|".join(to_regex(items) for items in alternatives) + r")\b"
        if len(scan_source) > _MAX_SIZE:
            raise Unsupported("pattern too large")
        return re.compile(scan_source), re.compile(anchored_source)
    except (Unsupported, re.error, RecursionError, AttributeError, TypeError):
        return None
