"""Random realistic edits of real text, for parity fuzzing and benchmarks only.

``mutate`` makes one edit of the kinds people make to wiki pages: inserting wikitext snippets
(markup, references, tables, bad words, scripts with tricky case rules, odd line breaks and
spaces), deleting, moving or duplicating a stretch, changing its case, or replacing it with a
snippet. Applied to real revisions, it gives inputs no fixture holds, on which the fast paths
are checked against a plain statement of the algorithm (``tests/features``) and wikiscore's
edit features against revscoring's (``benchmarks/bench_features.py --fuzz``).

Must not be used in serving or training: it makes test inputs, nothing a model should see.
"""

from __future__ import annotations

import random

# What vandals, newcomers and bots type, and what trips tokenizers: case folding that changes
# length (İ, ı, ς, ſ, the Kelvin sign), CRLF and blank-line variants, tags and tables broken
# across paragraphs, apostrophes that are or are not wikitext quotes.
SNIPPETS = [
    " lol ",
    " you are a liar ",
    " fuck ",
    "FUCK",
    " hahaha ",
    " I ",
    " İ ",
    " ı ",
    "\n\n",
    "\n",
    "\r\n",
    "\r\n\r\n",
    " \n \n ",
    "{|",
    "\n{| class=wikitable\n|-\n| a || b\n|}\n",
    "<ref>{{cite web|url=http://x.org|title=T}}</ref>",
    "<ref>{{cite web|url=http://x.org/a|title=T}}</ref>",
    "<ref name=x\n\n>",
    "<div\n\nclass=x>",
    "x<y\n\nz>w",
    "''",
    "'''",
    "dogs' ",
    "don't ",
    "'tis",
    "[[Link|text]]",
    "//example.org",
    "mailto:a@b.c",
    "&nbsp;",
    "{{T|a=1}}",
    "{{Template|a=1}}",
    "<!-- c -->",
    "ΑΣ ",
    "ς ",
    "東京abc",
    "한국어 ",
    "ſhit ",
    "\u212a",
    "2010s",
    "__TOC__",
    "well-known",
    "ass hole",
    "crack head",
    "test  edit",
    "aaaaaaaa",
    "!!!!",
    "!!!!!!",
    "...",
    "Mr. Smith. Yes.",
    "(see [[x]].)",
    "  ",
    "\t",
    "\u00a0",
    "\u200b",
]

# Lengths of the stretch deleted, moved, duplicated, case-changed or replaced.
STRETCH_LENGTHS = (1, 3, 10, 50, 300, 2000)


def mutate(text: str, rng: random.Random) -> str:
    """One random edit: insert snippets, delete, move, duplicate, change case or replace."""
    n = len(text)
    op = rng.random()
    if op < 0.35 or n == 0:
        pos = rng.randrange(n + 1)
        snippet = "".join(rng.choice(SNIPPETS) for _ in range(rng.randint(1, 3)))
        return text[:pos] + snippet + text[pos:]
    start = rng.randrange(n)
    stop = min(n, start + rng.choice(STRETCH_LENGTHS))
    if op < 0.55:
        return text[:start] + text[stop:]
    if op < 0.7:  # move
        chunk, rest = text[start:stop], text[:start] + text[stop:]
        pos = rng.randrange(len(rest) + 1)
        return rest[:pos] + chunk + rest[pos:]
    if op < 0.8:  # duplicate
        return text[:stop] + text[start:stop] + text[stop:]
    if op < 0.9:
        return text[:start] + text[start:stop].swapcase() + text[stop:]
    return text[:start] + rng.choice(SNIPPETS) + text[stop:]
