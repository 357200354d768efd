"""Paired A/B of two scoring-service builds or settings on one local wiki, batches interleaved.

On this VM the same 50-revision batch reads ±20% between runs, so two separate runs of
``bench_serve.py`` cannot show a 5% change. Here both services run at once against the same wiki;
singles and 50-revision batches alternate between them (which goes first alternates too), and
after each batch the script waits ``--gap`` seconds so that one service's background work
(cache writes after its answer) does not land inside the other's measurement — without the gap, a
change that merely postpones such work looks like a gain for its side.

    .venv/bin/python benchmarks/ab_serve.py --a-src /path/to/other/checkout/src
    .venv/bin/python benchmarks/ab_serve.py --a-processes 0 --b-processes 2
    .venv/bin/python benchmarks/ab_serve.py --b-env WIKISCORE_SOME_SETTING=1

Reports, per side, the single-score p50, the batch median and their ratio, and the paired batch
difference B − A (median, with a bootstrap 95% interval). A negative difference: B is faster.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_serve as bench  # the wiki, edits and service helpers

SIDES = ("A", "B")


def parse_env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--*-env takes KEY=VALUE, got {pair!r}")
        env[key] = value
    return env


def start_side(
    home: Path, api_url: str, *, src: Path | None, env: dict[str, str], processes: int
) -> tuple[Any, str]:
    """One service with its own home (cache, log); ``src`` replaces the code it imports."""
    home.mkdir()
    saved = dict(os.environ)
    try:
        os.environ.update(env)
        if src is not None:
            os.environ["PYTHONPATH"] = os.pathsep.join(
                [str(src.resolve()), *filter(None, [saved.get("PYTHONPATH")])]
            )
        port = bench.free_port()
        proc = bench.start_service(home, api_url, port, processes=processes, concurrency=1)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return proc, f"http://127.0.0.1:{port}"


def batch_url(base: str, rev_ids: list[int]) -> str:
    return f"{base}/v3/scores/{bench.WIKI}/?models=editrisk&revids={'|'.join(map(str, rev_ids))}"


def bootstrap_median_ci(values: list[float], seed: int, rounds: int = 2000) -> tuple[float, float]:
    rng = random.Random(seed)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(rounds))
    return medians[int(0.025 * rounds)], medians[int(0.975 * rounds) - 1]


def run(args: argparse.Namespace) -> dict[str, Any]:
    from wikiscore.localwiki.server import start_wiki, stop_wiki

    home = Path(tempfile.mkdtemp(prefix="wikiscore-ab-"))
    os.environ["WIKISCORE_HOME"] = str(home)
    rng = random.Random(args.seed)
    wiki = start_wiki(home / "wiki", dumps=[bench.HISTORY], dbname=bench.WIKI)
    procs: list[Any] = []
    try:
        singles = 2 * args.singles
        fresh = bench.make_fresh_edits(wiki.api_url, singles + 100 * args.batches, rng)
        bases = {}
        for side in SIDES:
            key = side.lower()
            proc, bases[side] = start_side(
                home / side,
                wiki.api_url,
                src=getattr(args, f"{key}_src"),
                env=parse_env(getattr(args, f"{key}_env")),
                processes=getattr(args, f"{key}_processes"),
            )
            procs.append(proc)
        http = httpx.Client(timeout=60)
        for rev_id in (1, 2, 3):  # warm-up: old revisions, not measured
            for side in SIDES:
                bench.timed_get(http, f"{bases[side]}/v3/scores/{bench.WIKI}/{rev_id}/editrisk")
        single_ms: dict[str, list[float]] = {side: [] for side in SIDES}
        for i, rev_id in enumerate(fresh[:singles]):
            for side in SIDES if i % 2 else SIDES[::-1]:
                url = f"{bases[side]}/v3/scores/{bench.WIKI}/{rev_id}/editrisk"
                single_ms[side].append(bench.ms(bench.timed_get(http, url)[0]))
        batch_ms: dict[str, list[float]] = {side: [] for side in SIDES}
        for k in range(args.batches):
            order = SIDES if k % 2 else SIDES[::-1]
            for j, side in enumerate(order):
                start = singles + 100 * k + 50 * j
                rev_ids = fresh[start : start + 50]
                elapsed, doc = bench.timed_get(http, batch_url(bases[side], rev_ids))
                failed = [r for r in rev_ids if "score" not in bench.score_entry(doc, r)]
                if failed:
                    raise SystemExit(f"{side}: {len(failed)} revisions unscored, e.g. {failed[0]}")
                batch_ms[side].append(bench.ms(elapsed))
                time.sleep(args.gap)
        http.close()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        stop_wiki(home / "wiki")
    differences = [b - a for a, b in zip(batch_ms["A"], batch_ms["B"], strict=True)]
    low, high = bootstrap_median_ci(differences, args.seed)
    return {
        "sides": {
            side: {
                "single_p50_ms": round(statistics.median(single_ms[side]), 1),
                "batch_median_ms": round(statistics.median(batch_ms[side]), 1),
                "ratio": round(
                    statistics.median(batch_ms[side]) / statistics.median(single_ms[side]), 2
                ),
            }
            for side in SIDES
        },
        "batch_difference_b_minus_a_ms": {
            "median": round(statistics.median(differences), 1),
            "ci95": [round(low, 1), round(high, 1)],
            "pairs": len(differences),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for side in ("a", "b"):
        parser.add_argument(f"--{side}-src", type=Path, help="a checkout's src/ to run instead")
        parser.add_argument(
            f"--{side}-env", action="append", default=[], metavar="KEY=VALUE", help="extra env"
        )
        parser.add_argument(f"--{side}-processes", type=int, default=2, help="0: threads")
    parser.add_argument("--batches", type=int, default=10, help="50-revision batches per side")
    parser.add_argument("--singles", type=int, default=40, help="uncached singles per side")
    parser.add_argument("--gap", type=float, default=0.4, help="seconds to wait after a batch")
    parser.add_argument("--seed", type=int, default=7)
    result = run(parser.parse_args())
    print("\n| side | single p50 ms | batch median ms | batch / single |")
    print("|---|---:|---:|---:|")
    for side, row in result["sides"].items():
        print(f"| {side} | {row['single_p50_ms']} | {row['batch_median_ms']} | {row['ratio']} |")
    diff = result["batch_difference_b_minus_a_ms"]
    print(
        f"\nbatch B − A, median of {diff['pairs']} pairs: {diff['median']} ms "
        f"(95% bootstrap interval {diff['ci95'][0]} to {diff['ci95'][1]} ms)"
    )


if __name__ == "__main__":
    main()
