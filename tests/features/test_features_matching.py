"""Word lists: the language registry, the regex matching shortcuts (first-letter dispatch,
barrier windows) against plain whole-text regex scans, and the difflib stand-in."""

from __future__ import annotations

import json
import random
import re
import string
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest

from wikiscore.features import wordlists
from wikiscore.features.edit import EDIT_FEATURE_NAMES, build_edit_graph, edit_feature_names
from wikiscore.features.matching import (
    RegexList,
    common_prefix_length,
    common_suffix_length,
    count_delta,
    match_key,
    prop_delta,
)
from wikiscore.features.regex_dispatch import VERIFIED_LITERALS, lower_for_matching
from wikiscore.features.wikitext import matcher as matcher_module
from wikiscore.features.wikitext.matcher import FastSequenceMatcher
from wikiscore.features.wordlists import UnknownLanguage, available_languages, language_lists


# --- the registry ---------------------------------------------------------------------------
def test_english_lists_are_data_files() -> None:
    assert "en" in available_languages()
    english = language_lists("en")
    assert english.name == "english"
    assert english.badwords is not None and len(english.badwords.patterns) == 101
    assert english.informals is not None and len(english.informals.patterns) == 68
    assert english.stopwords is not None and len(english.stopwords) == 127
    assert english.badwords.windowed and english.badwords.dispatched
    assert english.informals.windowed and english.informals.dispatched


def test_unknown_language_is_a_typed_error() -> None:
    with pytest.raises(UnknownLanguage, match=r"available: .*en"):
        language_lists("xx-nope")


def test_a_language_is_added_by_adding_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "fr"
    directory.mkdir()
    (directory / "language.json").write_text(
        json.dumps({"name": "french", "badwords": "badwords.txt", "stopwords": "stop.txt"})
    )
    (directory / "badwords.txt").write_text("# comment\nmerde\nconn(ard|asse)s?\n")
    (directory / "stop.txt").write_text("le\nla\nles\n")
    monkeypatch.setattr(wordlists, "_data_dir", lambda: tmp_path)
    wordlists.language_lists.cache_clear()
    try:
        lists = language_lists("fr")
        assert lists.badwords is not None and lists.badwords.patterns == (
            "merde",
            "conn(ard|asse)s?",
        )
        assert lists.informals is None and lists.stopwords == frozenset({"le", "la", "les"})
        names = [n for n in build_edit_graph("fr").nodes if n.startswith("french.")]
        assert "french.badwords.revision.diff.match_prop_delta_sum" in names
        assert "french.stopwords.revision.diff.non_stopword_prop_delta_sum" in names
        assert available_languages() == ["fr"]
    finally:
        monkeypatch.undo()
        wordlists.language_lists.cache_clear()
    assert edit_feature_names("en") == EDIT_FEATURE_NAMES


# --- matching rules -----------------------------------------------------------------------------
def test_matching_examples() -> None:
    english = language_lists("en")
    assert english.badwords is not None and english.informals is not None
    assert english.informals.matches("World War I") == ["I"]
    assert english.badwords.matches("Dickens cocktail penistone Homer") == [
        "Dickens",
        "cocktail",
        "penistone",
        "Homer",
    ]
    assert english.informals.matches("idiot") == ["idiot"]  # not the bare "i"
    assert english.badwords.matches("fück ＦＵＣＫ") == []
    assert [match_key(m) for m in english.informals.matches("İ")] == ["i"]


def test_prop_delta_arithmetic() -> None:
    assert prop_delta({"lol": 3}, {}) == {"lol": 3.0}
    assert prop_delta(count_delta({"lol": 1}, {"lol": 3}), {"lol": 1}) == {"lol": 1.0}
    assert prop_delta(count_delta({"lol": 2}, {}), {"lol": 2}) == {"lol": -1.0}


def test_dispatch_scan_equals_plain_regex(parity_records: list[dict[str, Any]]) -> None:
    english = language_lists("en")
    for words in (english.badwords, english.informals):
        assert words is not None
        for record in parity_records[::7]:
            text = record["text"]
            lowered = lower_for_matching(text)
            assert [text[s:e] for s, e in words.spans(text, lowered)] == words.matches(text)


def test_lowering_keeps_positions_and_word_characters() -> None:
    sample = "".join(chr(c) for c in range(0x20, 0x3000)) + "İıſKΣς"
    lowered = lower_for_matching(sample)
    assert len(lowered) == len(sample)
    word = re.compile(r"\w")
    assert all(
        bool(word.match(x)) == bool(word.match(y)) for x, y in zip(sample, lowered, strict=True)
    )


def test_verified_literals_match_the_same_characters() -> None:
    """For every literal the dispatch form may use, "case-sensitive on the lowered text" and
    "IGNORECASE on the original" accept exactly the same characters (all code points)."""
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    lowered = lower_for_matching(everything)
    assert len(lowered) == len(everything)
    for literal in sorted(VERIFIED_LITERALS):
        pattern = re.escape(literal)
        original = {m.group() for m in re.finditer(pattern, everything, re.IGNORECASE)}
        on_lowered = {everything[m.start()] for m in re.finditer(pattern, lowered)}
        assert original == on_lowered, literal
    assert set(string.ascii_uppercase).isdisjoint(VERIFIED_LITERALS)


def _random_pairs(records: list[dict[str, Any]], count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    inserts = [" lol ", " fuck you ", "I ", " İ ", "\n", " ass hole ", " test  edit ", "Σ", "ſhit "]
    pairs = []
    for _ in range(count):
        parent = rng.choice(records)["parent_text"][:5000]
        new = parent
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(new) + 1)
            if rng.random() < 0.6 or not new:
                new = new[:pos] + rng.choice(inserts) + new[pos:]
            else:
                new = new[:pos] + new[pos + rng.choice([1, 20, 400]) :]
        pairs.append((parent, new))
    return pairs


def test_windowed_deltas_equal_whole_text_counts(parity_records: list[dict[str, Any]]) -> None:
    english = language_lists("en")
    for words in (english.badwords, english.informals):
        assert words is not None
        for parent, new in _random_pairs(parity_records, 60, seed=2):
            full_parent = Counter(match_key(m) for m in words.matches(parent))
            full_new = Counter(match_key(m) for m in words.matches(new))
            prefix = common_prefix_length(parent, new)
            suffix = common_suffix_length(parent, new, prefix)
            part_parent, part_new, complete = words.changed_counts(parent, new, prefix, suffix)
            assert count_delta(part_parent, part_new) == count_delta(full_parent, full_new)
            if complete:
                assert part_parent == full_parent
            lowered = lower_for_matching(parent)
            for key in count_delta(full_parent, full_new):
                assert words.count_key(parent, lowered, key) == full_parent[key]


def test_patterns_the_shortcuts_cannot_handle_fall_back() -> None:
    words = RegexList(["fo.o", "[^x]ar"])
    assert not words.windowed and not words.dispatched
    assert words.matches("fo o bar") == ["fo o", "bar"]
    parent, new = "a fooo b", "a fooo b fo-o"
    prefix = common_prefix_length(parent, new)
    before, after, complete = words.changed_counts(parent, new, prefix, 0)
    assert complete
    assert count_delta(before, after) == {"fo-o": 1}


# --- the difflib stand-in -----------------------------------------------------------------------
@pytest.mark.parametrize("paths", ["default", "numpy", "capped", "hashing", "python"])
def test_sequence_matcher_equals_difflib(paths: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if paths in ("numpy", "capped"):
        monkeypatch.setattr(matcher_module, "_NUMPY_MIN_PAIRS", 1)
        monkeypatch.setattr(matcher_module, "_CERTIFY_MAX", 0)
        if paths == "capped":  # too many pairs to list: hashing instead
            monkeypatch.setattr(matcher_module, "_MAX_PAIRS", 1)
    elif paths == "hashing":
        monkeypatch.setattr(matcher_module, "_HASHING_MIN", 1)
        monkeypatch.setattr(matcher_module, "_CERTIFY_MAX", 0)
    elif paths == "python":
        monkeypatch.setattr(matcher_module, "_NUMPY_MIN_PAIRS", 10**9)
        monkeypatch.setattr(matcher_module, "_NUMPY_MIN_A", 10**9)
        monkeypatch.setattr(matcher_module, "_HASHING_MIN", 10**9)
        monkeypatch.setattr(matcher_module, "_CERTIFY_MAX", 0)
    rng = random.Random(paths)
    for _ in range(250):
        size = rng.choice([0, 1, 5, 60, 250, 700, 2500])
        alphabet = rng.choice([2, 3, 8, 40, 300])
        a = [rng.randrange(alphabet) for _ in range(size)]
        b = list(a)
        for _ in range(rng.randrange(0, 12)):
            choice = rng.random()
            if choice < 0.4 and b:
                del b[rng.randrange(len(b))]
            elif choice < 0.8:
                b.insert(rng.randrange(len(b) + 1), rng.randrange(alphabet))
            elif b:
                b[rng.randrange(len(b))] = rng.randrange(alphabet)
        if rng.random() < 0.2:
            b = [rng.randrange(alphabet) for _ in range(rng.randrange(0, 400))]
        if rng.random() < 0.5:
            a, b = b, a
        expected = SequenceMatcher(None, a, b).get_opcodes()
        assert FastSequenceMatcher(a, b, alphabet).get_opcodes() == expected


# --- the ASCII-lowered view and the one-pass run length (speed shortcuts) ---------------------
def test_ascii_view_counts_keys_as_the_full_lowercase_does() -> None:
    """Counting a key through ``LoweredText`` (its cheap ASCII view for ASCII keys) gives the
    count the full ``lower_for_matching`` text gives, on text mixing the non-ASCII characters
    that lower to ASCII (İ ı ſ K), other scripts and the word lists' own words."""
    from wikiscore.features.matching import LoweredText

    english = language_lists("en")
    rng = random.Random(5)
    pieces = ["fuck", "SHIT", "lol", "hahaha", "İ", "ı", "ſ", "\u212a", "é", "Σ", "σς", "日本",
              "ass", "Poop", "wtf", " ", " ", "\n", ".", "!"]  # fmt: skip
    for word_list in (english.badwords, english.informals):
        assert word_list is not None
        keys = sorted({match_key(p) for p in ("fuck", "shit", "lol", "haha", "ass", "poop", "wtf")})
        for _ in range(300):
            text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40)))
            for key in keys:
                expected = word_list.count_key(text, lower_for_matching(text), key)
                assert word_list.count_key(text, LoweredText(text), key) == expected, (text, key)


def test_longest_run_matches_a_plain_scan() -> None:
    from itertools import groupby

    from wikiscore.features.edit import longest_run

    rng = random.Random(9)
    for _ in range(2000):
        text = "".join(
            rng.choice("aab!!é日 ") * rng.randrange(1, 6) for _ in range(rng.randrange(0, 12))
        )
        expected = max((len(list(run)) for _, run in groupby(text)), default=0)
        assert longest_run(text) == expected, text
