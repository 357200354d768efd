"""Revisions per second from a real local MediaWiki: batches of 50 vs one id per request.

    .venv/bin/python benchmarks/bench_client.py [--dir DIR] [--source PATH] [--revisions 500]

Builds (once, cached in ``--dir``) a local wiki holding ``--revisions`` revisions: histories of
real article text from the enwiki articles sample (each article grows a paragraph at a time),
then fetches them with :class:`wikiscore.mediawiki.client.MediaWikiClient`, without and with
content (content includes each parent's text), in batches of 50 and one at a time. Serial
requests (the client's default, as Wikimedia asks). Prints one JSON object: revisions/second,
per-request latency p50/p99 and the batch/single ratios. The wiki is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import bz2
import html
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx

from wikiscore.localwiki.server import start_wiki, stop_wiki
from wikiscore.mediawiki.client import MediaWikiClient
from wikiscore.mediawiki.transport import wiki_transport
from wikiscore.records import RevisionRecord

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = (
    REPO.parent / "shared" / "data" / "enwiki-articles-sample" / "enwiki-articles-sample.xml.bz2"
)


class TimingTransport(httpx.AsyncBaseTransport):
    """The client's own transport; records each request's time to the response headers."""

    def __init__(self) -> None:
        self.inner = wiki_transport()
        self.latencies: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        self.latencies.append(time.perf_counter() - started)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def build_dump(source: Path, revisions: int, out: Path) -> None:
    """Article histories: revision k of an article holds its first k paragraphs (≤ 20 kB)."""
    with bz2.open(source, "rt", encoding="utf-8") as fh:
        xml = fh.read()
    articles = re.findall(
        r"<title>([^<]+)</title>\s*<ns>0</ns>.*?<text[^>]*>(.*?)</text>", xml, re.S
    )
    parts = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11">']
    made = 0
    for title, raw in articles:
        text = html.unescape(raw)
        if text.lower().startswith("#redirect"):
            continue
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        parts.append(f"<page><title>{escape(title)}</title><ns>0</ns>")
        for k in range(1, min(10, len(paragraphs)) + 1):
            body = "\n\n".join(paragraphs[:k])[:20_000]
            stamp = f"2016-04-{1 + made // 1440:02d}T{(made // 60) % 24:02d}:{made % 60:02d}:00Z"
            who = (
                f"<ip>192.0.2.{made % 250 + 1}</ip>"
                if made % 3 == 0
                else (f"<username>Bench editor {made % 7}</username>")
            )
            parts.append(
                f"<revision><timestamp>{stamp}</timestamp><contributor>{who}</contributor>"
                f"<comment>paragraph {k}</comment><model>wikitext</model>"
                f'<format>text/x-wiki</format><text xml:space="preserve">{escape(body)}</text>'
                "</revision>"
            )
            made += 1
            if made >= revisions:
                break
        parts.append("</page>")
        if made >= revisions:
            break
    parts.append("</mediawiki>")
    out.write_text("\n".join(parts), encoding="utf-8")


async def measure(api_wiki: Any, ids: list[int], *, batch: int, content: bool) -> dict[str, Any]:
    transport = TimingTransport()
    async with MediaWikiClient(api_wiki, transport=transport, batch_size=batch) as client:
        started = time.perf_counter()
        if batch == 1:
            results: dict[int, Any] = {}
            for rev_id in ids:
                results.update(await client.get_revisions([rev_id], content=content))
        else:
            results = await client.get_revisions(ids, content=content)
        elapsed = time.perf_counter() - started
    good = sum(isinstance(v, RevisionRecord) for v in results.values())
    lat = sorted(transport.latencies)
    return {
        "batch": batch,
        "content": content,
        "revisions": len(ids),
        "fetched": good,
        "requests": len(lat),
        "seconds": round(elapsed, 3),
        "revisions_per_second": round(len(ids) / elapsed, 1),
        "request_p50_ms": round(1000 * statistics.median(lat), 1),
        "request_p99_ms": round(1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, default=Path(tempfile.gettempdir()) / "wikiscore-bench-wiki"
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--revisions", type=int, default=500)
    parser.add_argument("--single", type=int, default=200, help="ids fetched one at a time")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.source.exists():
        sys.exit(f"no source dump at {args.source} (use --source)")
    args.dir.mkdir(parents=True, exist_ok=True)
    dump = args.dir / f"bench-{args.revisions}.xml"
    if not dump.exists():
        build_dump(args.source, args.revisions, dump)
    started = time.perf_counter()
    wiki = start_wiki(args.dir / "wiki", dumps=[dump], dbname="benchwiki")
    setup = time.perf_counter() - started
    try:
        ids = list(range(2, args.revisions + 2))  # revision 1 is the Main Page
        runs = []
        for content in (False, True):
            for batch, subset in ((50, ids), (1, ids[: args.single])):
                trials = [
                    asyncio.run(measure(wiki.as_wiki(), subset, batch=batch, content=content))
                    for _ in range(args.repeat)
                ]
                best = sorted(trials, key=lambda t: t["revisions_per_second"])[len(trials) // 2]
                runs.append(best)
        ratio = {
            f"content={c}": round(
                next(r for r in runs if r["batch"] == 50 and r["content"] == c)[
                    "revisions_per_second"
                ]
                / next(r for r in runs if r["batch"] == 1 and r["content"] == c)[
                    "revisions_per_second"
                ],
                1,
            )
            for c in (False, True)
        }
        print(
            json.dumps(
                {
                    "benchmark": "mediawiki client revisions/second (median of repeats)",
                    "wiki": "local MediaWiki 1.39, PHP built-in server, SQLite, 4 workers",
                    "setup_seconds": round(setup, 1),
                    "runs": runs,
                    "batch50_over_single": ratio,
                },
                indent=1,
            )
        )
    finally:
        stop_wiki(args.dir / "wiki")


if __name__ == "__main__":
    main()
