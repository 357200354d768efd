"""Benchmark: handing a batch's records to two worker processes and getting the answers back,
``concurrent.futures.ProcessPoolExecutor`` next to wikiscore's ``ProcessPool``.

Each round sends two chunks of 25 real revision records (texts and parents' texts, ~250 KB)
and each worker spends ``--work-ms`` on them, so the difference between the two is the cost of
moving jobs and answers. Rounds alternate which pool goes first.

    .venv/bin/python benchmarks/bench_dispatch.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import lzma
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RECORDS = REPO / "tests" / "fixtures" / "features" / "editfeatures_parity.jsonl.xz"


def busy(records: list[Any], work_seconds: float) -> list[int]:
    """Worker side: ``work_seconds`` of CPU, then a small answer per record."""
    started = time.perf_counter()
    while time.perf_counter() - started < work_seconds:
        pass
    return [len(record.text or "") for record in records]


async def measure(rounds: int, work_ms: float) -> dict[str, dict[str, float]]:
    from wikiscore.records import revision_from_json
    from wikiscore.scoring.workers import ProcessPool

    with lzma.open(RECORDS, "rt") as lines:
        records = [revision_from_json(json.loads(line)) for line in lines][:50]
    chunks = (records[:25], records[25:])
    work = work_ms / 1000
    executor = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
    pool = ProcessPool(2)
    loop = asyncio.get_running_loop()

    async def via_executor() -> None:
        await asyncio.gather(*(loop.run_in_executor(executor, busy, c, work) for c in chunks))

    async def via_pool() -> None:
        await asyncio.gather(*(pool.run(busy, c, work) for c in chunks))

    ways = {"ProcessPoolExecutor": via_executor, "ProcessPool": via_pool}
    times: dict[str, list[float]] = {name: [] for name in ways}
    try:
        for _ in range(3):  # start the processes, warm up
            for way in ways.values():
                await way()
        for i in range(rounds):
            for name in list(ways) if i % 2 else list(ways)[::-1]:
                started = time.perf_counter()
                await ways[name]()
                times[name].append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)
    finally:
        executor.shutdown()
        pool.close()
    return {
        name: {
            "p50_ms": round(statistics.median(values), 2),
            "p90_ms": round(sorted(values)[int(0.9 * len(values))], 2),
            "overhead_p50_ms": round(statistics.median(values) - work_ms, 2),
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--work-ms", type=float, default=5.0)
    args = parser.parse_args()
    results = asyncio.run(measure(args.rounds, args.work_ms))
    print("| pool | p50 ms | p90 ms | p50 beyond the work |")
    print("|---|---:|---:|---:|")
    for name, row in results.items():
        print(f"| {name} | {row['p50_ms']} | {row['p90_ms']} | {row['overhead_p50_ms']} |")


if __name__ == "__main__":
    main()
