"""Per-language word lists, read from data files: the language registry of the edit features.

Owns the mapping language code → ``LanguageLists``. Each language is a directory
``features/data/<code>/`` with a ``language.json`` (``name``: revscoring's language name, the
prefix of feature names such as ``english.badwords...``; and which list files it has) and the
list files: ``badwords.txt`` / ``informals.txt`` (one regular expression per line, in match
order) and ``stopwords.txt`` (one word per line). Lines starting with ``# `` are comments. Add a
language by adding a directory; no code changes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from wikiscore.errors import WikiscoreError
from wikiscore.features.matching import RegexList, match_key

_DATA = "wikiscore.features.data"


class UnknownLanguage(WikiscoreError):
    """No word lists for this language code."""

    error_type = "unknown_language"


@dataclass(frozen=True)
class LanguageLists:
    """The word lists of one language (a list the language lacks is None)."""

    code: str
    name: str
    badwords: RegexList | None
    informals: RegexList | None
    stopwords: frozenset[str] | None

    def is_content_word(self, word: str) -> bool:
        """True when ``word`` is not a stopword (revscoring tests ``word.lower()``)."""
        return self.stopwords is None or word.lower() not in self.stopwords

    def content_key(self, word: str) -> str | None:
        """The counting key of a word (``match_key``), or None for a stopword."""
        return match_key(word) if self.is_content_word(word) else None

    def content_key_counts(self, words: list[str]) -> Counter[str]:
        """Counts of the content keys of ``words`` (stopwords left out). Keys are memoized per
        word, so counting runs in C except for words not seen before."""
        known = _CONTENT_KEYS.setdefault(self.code, {})
        unseen = set(words).difference(known)
        if unseen:
            if len(known) + len(unseen) > _CONTENT_KEYS_LIMIT:
                known.clear()
                unseen = set(words)
            # ``content_key`` inlined (this runs for every word not seen before).
            stopwords = self.stopwords or frozenset()
            for word in unseen:
                lower = word.lower()
                if lower in stopwords:
                    known[word] = None
                else:
                    known[word] = lower if "İ" not in word else match_key(word)
        try:
            counts: Counter[Any] = Counter(map(known.__getitem__, words))
        except KeyError:  # another thread emptied the memo meanwhile
            counts = Counter(map(self.content_key, words))
        counts.pop(None, None)
        return counts


# Per language: word -> content key (None for a stopword). Bounded: cleared when full.
_CONTENT_KEYS: dict[str, dict[str, str | None]] = {}
_CONTENT_KEYS_LIMIT = 500_000


def _data_dir() -> Path:
    return Path(str(resources.files(_DATA)))


def read_list(path: Path) -> list[str]:
    """Entries of a list file: non-empty lines that are not ``# `` comments, in order."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("# ") or line == "#":
            continue
        entries.append(line.rstrip("\r"))
    return entries


def available_languages() -> list[str]:
    """Language codes that have word lists."""
    return sorted(p.parent.name for p in _data_dir().glob("*/language.json"))


@cache
def language_lists(code: str) -> LanguageLists:
    """The word lists for a language code (e.g. ``"en"``); raises ``UnknownLanguage``."""
    directory = _data_dir() / code
    meta_path = directory / "language.json"
    if not code or "/" in code or not meta_path.is_file():
        known = ", ".join(available_languages()) or "none"
        raise UnknownLanguage(f"no word lists for language {code!r} (available: {known})")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))

    def regexes(kind: str) -> RegexList | None:
        filename = meta.get(kind)
        return RegexList(read_list(directory / filename)) if filename else None

    stopwords_file = meta.get("stopwords")
    stopwords = frozenset(read_list(directory / stopwords_file)) if stopwords_file else None
    return LanguageLists(
        code=code,
        name=meta["name"],
        badwords=regexes("badwords"),
        informals=regexes("informals"),
        stopwords=stopwords,
    )
