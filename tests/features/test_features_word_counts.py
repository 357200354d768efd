"""Counting a word key in the parent without tokenizing it (``count_word_key``) gives the count
that full tokenization gives, in the contexts where a key's letters are not a word of their own:
inside tags, comments and URLs, glued to digits, apostrophes or colons, in non-ASCII spellings,
and in paragraphs already tokenized (counted from their tokens)."""

from __future__ import annotations

from collections import Counter

import pytest

from wikiscore.features.matching import LoweredText
from wikiscore.features.mutations import mutate
from wikiscore.features.wikitext.layout import build_layout
from wikiscore.features.wikitext.tokenizer import WORD, tokenize
from wikiscore.features.wikitext.words import count_word_key
from wikiscore.features.wordlists import language_lists

LISTS = language_lists("en")

TRICKY = "\n\n".join(
    [
        "Benchmark edit benchmark. The benchmark's benchmark: benchmark-edit (benchmark) "
        '[[benchmark]] <ref name="benchmark">benchmark</ref> benchmark',
        "http://benchmark.org/benchmark benchmark <!-- benchmark --> benchmark\u00a0benchmark "
        "Benchmark\u0130 benchmark",
        "5benchmark benchmark5 benchmark_x x_benchmark 'benchmark' \u2019benchmark\u2019 "
        "benchmark\u2019s benchmark? benchmark:x benchmark",
        "<span title='a benchmark b'> benchmark </span> benchmark <span title='benchmark",
        "* benchmark\n# benchmark\n{|\n| benchmark || benchmark\n|}\n== Benchmark ==",
        "\u212aey key KEY k\u0131t kit KIT \u00e9dit benchmark\u0301 benchmark\u0901 benchmark",
        "benchmark\tbenchmark\x0bbenchmark\x1cbenchmark\rbenchmark",
        "x benchmark's y benchmark' z benchmark:x benchmark://q benchmark_ benchmark",
        "see http://example.org/a http https://x.org example ftp:// ftp",
    ]
)
KEYS = ["benchmark", "http", "https", "ftp", "example", "edit", "key", "kit", "k\u0131t", "x", "b"]
KEYS += ["benchmark5", "absent"]


def tokenized_counts(text: str) -> Counter[str]:
    strings, types = tokenize(text)
    words = [s for s, t in zip(strings, types, strict=True) if t == WORD]
    return LISTS.content_key_counts(words)


def counts_without_tokenizing(text: str, keys: list[str], tokenize_first: int) -> dict[str, int]:
    layout = build_layout(text)
    cache: dict = {}
    for paragraph in layout.paragraphs[:tokenize_first]:
        paragraph.tokens(cache)
    lowered = LoweredText(text)
    return {key: count_word_key(layout, lowered, key, cache, LISTS.content_key) for key in keys}


@pytest.mark.parametrize("tokenize_first", [0, 2])
def test_tricky_contexts_count_as_tokenization_does(tokenize_first: int) -> None:
    expected = tokenized_counts(TRICKY)
    got = counts_without_tokenizing(TRICKY, KEYS, tokenize_first)
    assert got == {key: expected.get(key, 0) for key in KEYS}
    assert got["benchmark"] > 10  # the whole-word cases are there to be found


def test_randomly_edited_texts_count_as_tokenization_does() -> None:
    import random

    rng = random.Random(11)
    text = TRICKY
    for _ in range(60):
        text = mutate(text, rng)
        expected = tokenized_counts(text)
        keys = sorted(expected)[:20] + KEYS
        assert counts_without_tokenizing(text, keys, rng.randrange(3)) == {
            key: expected.get(key, 0) for key in keys
        }
