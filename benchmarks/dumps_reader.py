"""Dump reading: wikiscore's streaming reader (+ revert labels) against mwxml, the peer.

Measures throughput (revisions/s, MB of XML/s, best of --repeat runs) and the peak of traced
Python memory (tracemalloc, a separate run) on synthetic history dumps of two sizes, so that
growth with the number of pages shows, and on the real enwiki sample when it is present.

    .venv/bin/python benchmarks/dumps_reader.py [--pages 2000] [--repeat 3]
        [--sample ../shared/data/enwiki-articles-sample/enwiki-articles-sample.xml.bz2]

Prints one JSON object per measurement; the synthetic dumps' sha256 are included.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

from wikiscore.dumps.reader import iter_revisions, open_dump
from wikiscore.dumps.reverts import label_reverts
from wikiscore.dumps.synthetic import file_sha256, write_synthetic_dump

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE = REPO.parent / "shared/data/enwiki-articles-sample/enwiki-articles-sample.xml.bz2"


def wikiscore_read(path: Path) -> int:
    source = open_dump(path)
    try:
        return sum(1 for _ in iter_revisions(source))
    finally:
        source.close()


def wikiscore_label(path: Path) -> int:
    source = open_dump(path)
    try:
        return sum(1 for _ in label_reverts(iter_revisions(source)))
    finally:
        source.close()


def mwxml_read(path: Path) -> int:
    import mwxml

    source = open_dump(path)  # the same decompression for both
    try:
        dump = mwxml.Dump.from_file(source.stream)
        count = 0
        for page in dump:
            for revision in page:
                _ = revision.slots.sha1 if revision.slots else None
                count += 1
        return count
    finally:
        source.close()


def measure(name: str, reader: Callable[[Path], int], path: Path, repeat: int) -> dict:
    best = float("inf")
    count = 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = reader(path)
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    reader(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "reader": name,
        "dump": path.name,
        "revisions": count,
        "seconds": round(best, 3),
        "revisions_per_second": round(count / best),
        "peak_traced_bytes": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages in the larger dump")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    readers = [
        ("wikiscore-read", wikiscore_read),
        ("wikiscore-label", wikiscore_label),
        ("mwxml-read", mwxml_read),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        dumps = []
        for pages in (args.pages // 10, args.pages):
            path = Path(tmp) / f"synthetic-{pages}.xml"
            write_synthetic_dump(path, pages=pages, revisions_per_page=4, text_bytes=2000)
            mb = path.stat().st_size / 1e6
            print(json.dumps({"dump": path.name, "mb": round(mb, 1), "sha256": file_sha256(path)}))
            dumps.append((path, mb))
        for path, mb in dumps:
            for name, reader in readers:
                result = measure(name, reader, path, args.repeat)
                result["mb_per_second"] = round(mb / result["seconds"], 1)
                print(json.dumps(result))
        if args.sample.exists():
            for name, reader in readers:
                print(json.dumps(measure(name, reader, args.sample, args.repeat)))


if __name__ == "__main__":
    main()
