"""Tokenizer, segmenter, layout and diff: hand cases from the feature definitions, and the fast
paths checked against a plain, independent re-statement of the algorithm (below, written from
the fixture README) on the fixture texts and on randomly edited copies of them."""

from __future__ import annotations

import random
from difflib import SequenceMatcher
from typing import Any

import pytest

from wikiscore.features.matching import common_prefix_length, common_suffix_length
from wikiscore.features.mutations import mutate
from wikiscore.features.wikitext.diff import EditDiff, diff_texts
from wikiscore.features.wikitext.layout import (
    build_layout,
    build_layout_after_edit,
    reference_layout,
)
from wikiscore.features.wikitext.segmenter import segment_text
from wikiscore.features.wikitext.tokenizer import (
    TYPE_CODES,
    TYPE_NAMES,
    scan_words,
    sync_point_after,
    sync_point_before,
    tokenize,
    tokenize_pair,
    tokenize_with_types,
)

# --- tokenizer: the examples of the definitions ------------------------------------------------


def kinds(text: str) -> list[tuple[str, str]]:
    strings, types = tokenize(text)
    return [(TYPE_NAMES[t], s) for s, t in zip(strings, types, strict=True)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't", [("word", "don't")]),
        ("rock'n'roll", [("word", "rock'n'roll")]),
        ("it’s", [("word", "it’s")]),
        ("dogs' x", [("word", "dogs'"), ("whitespace", " "), ("word", "x")]),
        ("'tis", [("etc", "'"), ("word", "tis")]),
        ("2010s", [("number", "2010"), ("word", "s")]),
        ("abc東京", [("word", "abc東京")]),
        ("東京abc", [("cjk", "東"), ("cjk", "京"), ("word", "abc")]),
        ("well-known", [("word", "well"), ("etc", "-"), ("word", "known")]),
        ("__TOC__", [("word", "__TOC__")]),
        ("//x.org", [("url", "//x.org")]),
        ("[http://x.org]", [("brack_open", "["), ("url", "http://x.org]")]),
        ("<BR>", [("etc", "<"), ("word", "BR"), ("etc", ">")]),
        ("<br/>", [("tag", "<br/>")]),
        ("<ref name=a>", [("ref_open", "<ref name=a>")]),
        ("<ref name=a/>", [("ref_singleton", "<ref name=a/>")]),
        ("a\rb", [("word", "a"), ("etc", "\r"), ("word", "b")]),
        ("a\n  \nb", [("word", "a"), ("break", "\n  \n"), ("word", "b")]),
        ("a\n\n\nb", [("word", "a"), ("break", "\n\n\n"), ("word", "b")]),
        ("{|", [("tab_open", "{|")]),
        ("|}", [("bar", "|"), ("curly_close", "}")]),
        ("&nbsp;x", [("entity", "&nbsp;"), ("word", "x")]),
        ("'''b'''", [("bold", "'''"), ("word", "b"), ("bold", "'''")]),
        ("...?!", [("period", "..."), ("qmark", "?"), ("epoint", "!")]),
        ("\u3000", [("whitespace", "\u3000")]),
    ],
)
def test_tokenizer_examples(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


def test_http_in_capitals_is_not_a_url() -> None:
    assert kinds("HTTP://x")[0] == ("word", "HTTP")


def test_word_scan_finds_the_tokenizer_words(parity_records: list[dict[str, Any]]) -> None:
    texts = [r["text"] for r in parity_records[::4]]
    texts += [new for _, new in edited_pairs(parity_records, 80, seed=9)]
    texts += ["٣٤abc ٣x", "০১২ক", "2010s x", "\u3000\u3005abc", "http://x.org/a b", "&nbsp;a"]
    for text in texts:
        strings, types = tokenize(text)
        words = [s for s, t in zip(strings, types, strict=True) if t == TYPE_CODES["word"]]
        assert scan_words(text) == words


def test_types_depend_on_the_token_only(parity_records: list[dict[str, Any]]) -> None:
    """The fast tokenizer types a token by its string; the reference matches each group."""
    for record in parity_records[::8]:
        for text in (record["parent_text"], record["text"]):
            assert tokenize(text) == tokenize_with_types(text)


# --- an independent statement of the diff --------------------------------------------------------
WS = {TYPE_CODES["whitespace"], TYPE_CODES["break"]}
SENTENCE_END = {TYPE_CODES[n] for n in ("period", "epoint", "qmark", "tab_open")}
OPEN = {TYPE_CODES[n] for n in ("brack_open", "dbrack_open", "paren_open", "ref_open")} | {
    TYPE_CODES["comment_start"],
    TYPE_CODES["dcurly_open"],
}
CLOSE = {TYPE_CODES[n] for n in ("brack_close", "dbrack_close", "paren_close", "ref_close")} | {
    TYPE_CODES["comment_end"],
    TYPE_CODES["dcurly_close"],
}


def naive_segments(types: list[int]) -> list[Any]:
    """Top level: ("ws", i) or ("para", [("ws", i) | ("sent", i, j)]), token by token."""
    out: list[Any] = []
    i, n = 0, len(types)
    while i < n:
        if types[i] in WS:
            out.append(("ws", i))
            i += 1
            continue
        pieces: list[Any] = []
        while i < n and types[i] != TYPE_CODES["break"]:
            if types[i] == TYPE_CODES["tab_open"]:
                depth, j = 1, i + 1
                while j < n and depth > 0:
                    depth += (types[j] == TYPE_CODES["tab_open"]) - (
                        types[j] == TYPE_CODES["tab_close"]
                    )
                    j += 1
                pieces.append(("sent", i, j))
                i = j
            elif types[i] in WS:
                pieces.append(("ws", i))
                i += 1
            else:
                depth = 1 if types[i] in OPEN else 0
                solid = 1  # non-whitespace tokens in the sentence so far
                j = i + 1
                while j < n and types[j] != TYPE_CODES["break"]:
                    depth += (types[j] in OPEN) - (types[j] in CLOSE)
                    solid += types[j] not in WS
                    j += 1
                    if types[j - 1] in SENTENCE_END and depth <= 0 and solid >= 3:
                        break
                pieces.append(("sent", i, j))
                i = j
        out.append(("para", pieces))
    return out


def oracle_diff(parent: str, new: str, autojunk: bool = True) -> EditDiff:
    a, b = tokenize_with_types(parent), tokenize_with_types(new)

    def text(tokens: Any, i: int, j: int) -> str:
        return "".join(tokens.strings[i:j])

    def para_range(pieces: list[Any]) -> tuple[int, int]:
        first, last = pieces[0], pieces[-1]
        return first[1], (last[2] if last[0] == "sent" else last[1] + 1)

    a_tree, b_tree = naive_segments(a.types), naive_segments(b.types)
    index = set()
    for seg in a_tree:
        if seg[0] == "para":
            index.add(text(a, *para_range(seg[1])))
            index.update(text(a, p[1], p[2]) for p in seg[1] if p[0] == "sent")
    flagged: set[str] = set()
    b_seq: list[Any] = []  # token: (string, type); cluster: ("cluster", text)
    for seg in b_tree:
        if seg[0] == "ws":
            b_seq.append((b.strings[seg[1]], b.types[seg[1]]))
            continue
        whole = text(b, *para_range(seg[1]))
        if whole in index:
            flagged.add(whole)
            b_seq.append(("cluster", whole))
            continue
        for p in seg[1]:
            if p[0] == "ws":
                b_seq.append((b.strings[p[1]], b.types[p[1]]))
            elif text(b, p[1], p[2]) in index:
                flagged.add(text(b, p[1], p[2]))
                b_seq.append(("cluster", text(b, p[1], p[2])))
            else:
                b_seq.extend(zip(b.strings[p[1] : p[2]], b.types[p[1] : p[2]], strict=True))
    a_seq: list[Any] = []
    for seg in a_tree:
        if seg[0] == "ws":
            a_seq.append((a.strings[seg[1]], a.types[seg[1]]))
            continue
        whole = text(a, *para_range(seg[1]))
        if whole in flagged:
            a_seq.append(("cluster", whole))
            continue
        for p in seg[1]:
            if p[0] == "ws":
                a_seq.append((a.strings[p[1]], a.types[p[1]]))
            elif text(a, p[1], p[2]) in flagged:
                a_seq.append(("cluster", text(a, p[1], p[2])))
            else:
                a_seq.extend(zip(a.strings[p[1] : p[2]], a.types[p[1] : p[2]], strict=True))

    # Tokens compare by string; a cluster is a 1-tuple, never equal to a token string.
    def key(item: Any) -> Any:
        return (item[1],) if item[0] == "cluster" else item[0]

    matcher = SequenceMatcher(None, [key(x) for x in a_seq], [key(x) for x in b_seq], autojunk)
    result = EditDiff()
    word = TYPE_CODES["word"]

    def collect(seq: list[Any], segments: list[str], words: list[str]) -> None:
        run: list[str] = []
        for item in seq:
            if item[0] == "cluster":
                if run:
                    segments.append("".join(run))
                run = []
                continue
            run.append(item[0])
            if item[1] == word:
                words.append(item[0])
        if run:
            segments.append("".join(run))

    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            collect(a_seq[a1:a2], result.segments_removed, result.words_removed)
        if tag in ("insert", "replace"):
            collect(b_seq[b1:b2], result.segments_added, result.words_added)
    return result


def test_naive_segmenter_agrees_with_the_fast_one(parity_records: list[dict[str, Any]]) -> None:
    for record in parity_records[::10]:
        types = tokenize(record["text"]).types
        fast = segment_text(types)
        naive = naive_segments(types)
        assert len(fast) == len(naive)
        for top, plain in zip(fast, naive, strict=True):
            if top.pieces is None:
                assert plain == ("ws", top.start)
            else:
                assert [(p.start, p.end, p.sentence) for p in top.pieces] == [
                    (p[1], p[2], True) if p[0] == "sent" else (p[1], p[1] + 1, False)
                    for p in plain[1]
                ]


# --- random edits of real wikitext ------------------------------------------------------------
def edited_pairs(records: list[dict[str, Any]], count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        base = rng.choice(records)
        parent = base["parent_text"] if rng.random() < 0.7 else base["text"]
        if len(parent) > 4000:
            start = rng.randrange(len(parent) - 3000)
            parent = parent[start : start + rng.randrange(300, 3000)]
        new = parent
        for _ in range(rng.choice([1, 1, 2, 3])):
            new = mutate(new, rng)
        pairs.append((new, parent) if rng.random() < 0.1 else (parent, new))
    return pairs


def same_diff(x: EditDiff, y: EditDiff) -> bool:
    return (x.segments_added, x.words_added, x.words_removed, x.segments_removed) == (
        y.segments_added,
        y.words_added,
        y.words_removed,
        y.segments_removed,
    )


def test_fast_diff_equals_the_plain_statement(parity_records: list[dict[str, Any]]) -> None:
    for parent, new in edited_pairs(parity_records, 150, seed=11):
        expected = oracle_diff(parent, new)
        assert same_diff(diff_texts(parent, new), expected), (parent[:80], new[:80])


@pytest.mark.parametrize(
    ("parent", "new"),
    [
        (None, "A new page. With two sentences."),
        ("", ""),
        ("Some text.", ""),
        ("Same.", "Same."),
        (
            "Intro text here.\n{| class=x\n|-\n| a\n|}\n\nAfter.",
            "Intro text here.\n{| class=x\n|-\n| b\n|}\n\nAfter.",
        ),
        ("{|\n| cell\n|}\n\nText after the table.", "{|\n| cell\n|}\n\nText after, changed."),
        ("One.\r\n\r\nTwo words here.\r\n", "One.\r\n\r\nTwo more words here.\r\n"),
        ("a <ref name=x\n\n> b\n\nc", "a <ref name=x\n\n> b\n\nc d"),
        ("Para one is here.\n\nPara two is here.", "Para two is here.\n\nPara one is here."),
        ("Dup sentence here. Other one.", "Dup sentence here. Dup sentence here. Other one."),
        ("x" * 50 + "\n\n" + "y" * 50, "x" * 50 + "\n\n\n\n" + "y" * 50),
    ],
)
def test_edge_cases(parent: str | None, new: str) -> None:
    expected = oracle_diff(parent or "", new)
    assert same_diff(diff_texts(parent, new), expected)
    assert same_diff(diff_texts(parent, new, reference=True), expected)


def test_autojunk_changes_record_395(parity_records: list[dict[str, Any]]) -> None:
    """difflib's autojunk matters: with it (as revscoring runs it) 33 words are added."""
    record = parity_records[395]
    parent, new = record["parent_text"], record["text"]
    assert len(diff_texts(parent, new).words_added) == 33
    assert record["expected"]["wikitext.revision.diff.words_added"] == 33.0
    assert len(oracle_diff(parent, new, autojunk=False).words_added) == 0


# --- layouts and shared tokenization ------------------------------------------------------------
def unit_texts(layout: Any) -> list[str]:
    return [u if type(u) is str else u.text for u in layout.units]


def test_layout_from_characters_equals_tokenized_layout(
    parity_records: list[dict[str, Any]],
) -> None:
    for record in parity_records[::5]:
        for text in (record["parent_text"], record["text"]):
            assert unit_texts(build_layout(text)) == unit_texts(reference_layout(text))


def test_layout_after_edit_equals_fresh_layout(parity_records: list[dict[str, Any]]) -> None:
    for parent, new in edited_pairs(parity_records, 200, seed=5):
        prefix = common_prefix_length(parent, new)
        suffix = common_suffix_length(parent, new, prefix)
        old = build_layout(parent)
        fresh, reused = build_layout(new), build_layout_after_edit(new, old, prefix, suffix)
        assert unit_texts(reused) == unit_texts(fresh)
        assert [p.start for p in reused.paragraphs] == [p.start for p in fresh.paragraphs]
        assert reused.break_units == fresh.break_units


def test_tag_spanning_a_break_takes_the_tokenized_path() -> None:
    text = "Before <ref name=x\n\n> inside\n\nAfter."
    assert unit_texts(build_layout(text)) == unit_texts(reference_layout(text))
    assert build_layout(text).fragile


def test_shared_tokenization_equals_separate(parity_records: list[dict[str, Any]]) -> None:
    for parent, new in edited_pairs(parity_records, 120, seed=3):
        x, y, head, tail = tokenize_pair(parent, new, min_shared=1)
        assert x == tokenize(parent) and y == tokenize(new)
        assert x.strings[:head] == y.strings[:head]
        assert x.strings[len(x.strings) - tail :] == y.strings[len(y.strings) - tail :]


def test_sync_points_are_token_boundaries(parity_records: list[dict[str, Any]]) -> None:
    rng = random.Random(1)
    for record in parity_records[::20]:
        text = record["text"]
        if not text:
            continue
        starts = set()
        offset = 0
        for token in tokenize(text).strings:
            starts.add(offset)
            offset += len(token)
        for _ in range(30):
            position = rng.randrange(len(text))
            before = sync_point_before(text, 0, position)
            assert before in starts and before <= position
            after = sync_point_after(text, 0, position)
            assert after == -1 or (after in starts and after >= position)


def test_shortcut_types_agree_with_the_lexicon() -> None:
    from wikiscore.features.wikitext import tokenizer

    for token in ["abc", "Zebra", "x", "12", "0", "2010"]:
        tokenizer._TYPE_CACHE.pop(token, None)
        match = tokenizer.TOKEN_RE.fullmatch(token)
        assert match is not None
        assert tokenizer.token_type(token) == match.lastindex - 1
