"""Benchmark: the scoring CPU step's overheads in ``--processes`` mode.

1. Dispatch: two chunks of 25 real revision records (texts and parents' texts) handed to two
   worker processes that spend ``--work-ms`` on them: ``concurrent.futures.ProcessPoolExecutor``
   next to wikiscore's ``ProcessPool``; the difference is the cost of moving jobs and answers.
2. Cache writes: the same 50 records scored for real in two worker processes, while the cache
   write a batch causes (compressing its 100 texts, SQLite) runs beside it in a thread, or after
   it (what ``wikiscore.store.background`` arranges).

Rounds alternate which way goes first.

    .venv/bin/python benchmarks/bench_dispatch.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import lzma
import multiprocessing
import statistics
import tempfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RECORDS = REPO / "tests" / "fixtures" / "features" / "editfeatures_parity.jsonl.xz"


def batch_records() -> list[Any]:
    """The first 50 records of the parity fixture (real edits, texts and parents' texts)."""
    from wikiscore.records import revision_from_json

    with lzma.open(RECORDS, "rt") as lines:
        return [revision_from_json(json.loads(line)) for line in lines][:50]


def busy(records: list[Any], work_seconds: float) -> list[int]:
    """Worker side: ``work_seconds`` of CPU, then a small answer per record."""
    started = time.perf_counter()
    while time.perf_counter() - started < work_seconds:
        pass
    return [len(record.text or "") for record in records]


async def measure(rounds: int, work_ms: float) -> dict[str, dict[str, float]]:
    from wikiscore.scoring.workers import ProcessPool

    records = batch_records()
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


def write_texts(store: Any, texts: list[str], tag: int) -> None:
    """What the MediaWiki client's background write does with a batch's texts."""
    packed = {f"{tag}-{i}": zlib.compress(text.encode(), 1) for i, text in enumerate(texts)}
    store.kv_put_many("revtext", packed, None)


async def measure_writes(rounds: int) -> dict[str, dict[str, float]]:
    from wikiscore.scoring.service import _score_edits_by_name
    from wikiscore.scoring.workers import ProcessPool
    from wikiscore.store import Store

    records = batch_records()
    texts = [r.text or "" for r in records] + [r.parent_text or "" for r in records]
    store = Store(Path(tempfile.mkdtemp(prefix="bench-dispatch-")) / "store.sqlite3")
    writer = ThreadPoolExecutor(1)
    pool = ProcessPool(2)
    loop = asyncio.get_running_loop()

    async def score() -> None:
        await asyncio.gather(
            *(
                pool.run(_score_edits_by_name, "enwiki-editrisk", c, False)
                for c in (records[:25], records[25:])
            )
        )

    times: dict[str, list[float]] = {"write beside the CPU step": [], "write after it": []}
    try:
        for _ in range(3):
            await score()
        for i in range(rounds):
            for name in list(times) if i % 2 else list(times)[::-1]:
                started = time.perf_counter()
                if name == "write after it":
                    await score()
                    elapsed = time.perf_counter() - started
                    await loop.run_in_executor(writer, write_texts, store, texts, i)
                else:
                    write = loop.run_in_executor(writer, write_texts, store, texts, i)
                    await score()
                    elapsed = time.perf_counter() - started
                    await write
                times[name].append(elapsed * 1000)
                await asyncio.sleep(0.05)
    finally:
        pool.close()
        writer.shutdown()
    return {
        name: {"p50_ms": round(statistics.median(v), 2), "mean_ms": round(statistics.fmean(v), 2)}
        for name, v in times.items()
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
    print("\n| scoring 50 records in two processes | p50 ms | mean ms |")
    print("|---|---:|---:|")
    for name, row in asyncio.run(measure_writes(args.rounds // 4)).items():
        print(f"| {name} | {row['p50_ms']} | {row['mean_ms']} |")


if __name__ == "__main__":
    main()
