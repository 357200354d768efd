"""Rebuild ``demo-articles.xml.bz2`` from gensim's English Wikipedia sample (see README.md).

Run from the repository root (the source is not shipped; it lives in the shared data folder)::

    .venv/bin/python src/wikiscore/localwiki/data/build_demo_articles.py \\
        [--source ../shared/data/enwiki-articles-sample/enwiki-articles-sample.xml.bz2]

The <siteinfo> and the selected <page> blocks are copied byte for byte, so the demo wiki holds
the articles exactly as they were exported (one revision each, with its real editor).
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import re
from pathlib import Path

from wikiscore.config import repo_root

HERE = Path(__file__).resolve().parent
REPO = repo_root()
DEFAULT_SOURCE = (
    REPO.parent / "shared/data/enwiki-articles-sample/enwiki-articles-sample.xml.bz2"
    if REPO is not None
    else None
)
OUTPUT = HERE / "demo-articles.xml.bz2"

# Featured (FA) and good (GA) articles by their template, then articles of many kinds and sizes.
TITLES = (
    "Aikido",  # FA
    "Apollo 8",  # FA
    "Anatomy",  # GA
    "Allah",  # GA
    "A",
    "Aa River",
    "Aardvark",
    "Aardwolf",
    "Abacus",
    "Achilles",
    "Acid",
    "Actrius",
    "Adobe",
    "Adventure",
    "Affirming the consequent",
    "Agnostida",
    "Agricultural science",
    "A Modest Proposal",
    "Alain Connes",
    "Albedo",
    "Aldous Huxley",
    "Alkane",
    "Allan Dwan",
    "Amateur astronomy",
    "Ambiguity",
    "America the Beautiful",
    "American Football Conference",
    "An American in Paris",
    "Ampere",
    "Android (robot)",
    "Animalia (book)",
    "Appellate court",
    "Arithmetic mean",
    "Arraignment",
    "Assistive technology",
    "Astronomer",
    "Atlantic Ocean",
    "Atomic number",
    "International Atomic Time",
    "Transport in Angola",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, required=DEFAULT_SOURCE is None
    )
    args = parser.parse_args()
    text = bz2.decompress(args.source.read_bytes()).decode("utf-8")
    head = text[: text.index("  <page>")]
    pages = re.findall(r"  <page>\n.*?\n  </page>\n", text, flags=re.S)
    by_title = {}
    for page in pages:
        title = re.search(r"<title>(.*?)</title>", page).group(1)  # type: ignore[union-attr]
        by_title[title.replace("&amp;", "&")] = page
    missing = [t for t in TITLES if t not in by_title]
    if missing:
        raise SystemExit(f"not in the source: {missing}")
    body = "".join(by_title[t] for t in sorted(TITLES))
    OUTPUT.write_bytes(bz2.compress((head + body + "</mediawiki>\n").encode("utf-8"), 9))
    print(
        f"{OUTPUT.name}: {len(TITLES)} articles, {OUTPUT.stat().st_size:,} bytes, sha256 "
        f"{hashlib.sha256(OUTPUT.read_bytes()).hexdigest()}"
    )
    print(f"source sha256 {hashlib.sha256(args.source.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
