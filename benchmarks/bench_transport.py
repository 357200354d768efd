"""The MediaWiki client's HTTP transport: httpx's own against ``wiki_transport`` (aiohttp).

    .venv/bin/python benchmarks/bench_transport.py [--revisions 40] [--rounds 6]

Starts a throwaway local wiki from ``tests/fixtures/wiki/history.xml``, then fetches the same
revisions one at a time with their content through :class:`MediaWikiClient` (no cache: the
revision, then its parent's text, as an uncached score asks) with either transport, alternating
rounds so that both see the same moments of this VM. Prints wall time per fetch (p50/p99), this
process's CPU time per fetch, requests per fetch, and the differences.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from wikiscore.localwiki.server import start_wiki, stop_wiki
from wikiscore.mediawiki.client import MediaWikiClient
from wikiscore.mediawiki.transport import wiki_transport
from wikiscore.wikis import Wiki

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serve import HISTORY, summary  # beside this script: the scripts are not a package

TRANSPORTS = {"httpx": httpx.AsyncHTTPTransport, "aiohttp (wiki_transport)": wiki_transport}


async def fetch_each(
    wiki: Wiki, rev_ids: list[int], transport: str
) -> tuple[list[float], float, float]:
    """Seconds per fetch, and CPU seconds per fetch of this process."""
    client = MediaWikiClient(wiki, transport=TRANSPORTS[transport]())
    times: list[float] = []
    async with client:
        await client.site_info()  # connection and login state settled before timing
        cpu = time.process_time()
        for rev_id in rev_ids:
            started = time.perf_counter()
            await client.get_revisions([rev_id], content=True, lean=True)
            times.append(time.perf_counter() - started)
        cpu = (time.process_time() - cpu) / len(rev_ids)
        requests = (client.requests_made - 1) / len(rev_ids)
    return times, cpu, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--revisions", type=int, default=40, help="revisions fetched per round")
    parser.add_argument("--rounds", type=int, default=6, help="rounds per transport")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="wikiscore-bench-"))
    os.environ["WIKISCORE_HOME"] = str(home)
    local = start_wiki(home / "wiki", dumps=[HISTORY], dbname="benchwiki")
    try:
        # No store: every fetch goes to the wiki (a page creation has no parent to ask for).
        wiki = local.as_wiki()
        rev_ids = list(range(2, 2 + args.revisions))
        times: dict[str, list[float]] = {name: [] for name in TRANSPORTS}
        cpu: dict[str, list[float]] = {name: [] for name in TRANSPORTS}
        requests: dict[str, float] = {}
        for round_ in range(args.rounds):
            order = list(TRANSPORTS) if round_ % 2 == 0 else list(reversed(TRANSPORTS))
            for name in order:
                elapsed, cpu_each, requests[name] = asyncio.run(fetch_each(wiki, rev_ids, name))
                times[name] += elapsed
                cpu[name].append(cpu_each)
    finally:
        stop_wiki(home / "wiki")
    report: dict[str, Any] = {}
    for name in TRANSPORTS:
        wall = summary(times[name])
        report[name] = {
            "fetches": wall["n"],
            "requests_per_fetch": round(requests[name], 2),
            "p50_ms": wall["p50_ms"],
            "p99_ms": wall["p99_ms"],
            "cpu_ms_per_fetch": round(1000 * statistics.median(cpu[name]), 2),
        }
    first, second = (report[name] for name in TRANSPORTS)
    report["difference_p50_ms"] = round(first["p50_ms"] - second["p50_ms"], 2)
    report["difference_cpu_ms"] = round(first["cpu_ms_per_fetch"] - second["cpu_ms_per_fetch"], 2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
