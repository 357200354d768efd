"""Patrol page speed: feedback writes under many reviewers, the stats page, and (optionally)
the queue against a real local MediaWiki.

    .venv/bin/python benchmarks/bench_web.py [--posts 300] [--reviewers 10] [--rows 20000]
                                             [--with-wiki]

1. Feedback POSTs to a live uvicorn server (one process), by 1 and by ``--reviewers`` reviewers
   at once, each with its own session and CSRF token; the peer is the store alone
   (``FeedbackStore.add`` in a loop, same SQLite settings: WAL, synchronous=FULL), so the ratio
   is the cost of HTTP, validation and CSRF on top of a durable write.
2. The stats page over ``--rows`` stored verdicts.
3. With ``--with-wiki``: a local wiki from the test fixture history, the queue page cold (first
   fetch and scoring of 100 recent changes) and warm (the shared 5 s snapshot), and the rows
   fragment the page polls.

Prints one JSON object (latencies in milliseconds, p50/p99).
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p99_ms": round(p99 * 1000, 2)}


def _body(i: int) -> dict[str, Any]:
    return {
        "wiki": "testwiki",
        "rev_id": 1 + i,
        "model": "enwiki-editrisk",
        "model_version": "1.0.0",
        "score": 0.5,
        "level": "likely_bad",
        "verdict": "correct",
        "editor_anon": bool(i % 2),
        "submission_id": str(uuid.uuid4()),
    }


class Server:
    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def _app(store_path: Path, registry: Any = None, *, warm_up: bool = False) -> Any:
    from wikiscore.serve.app import create_app
    from wikiscore.serve.settings import ServeSettings
    from wikiscore.store import Store
    from wikiscore.wikis import default_registry, parse_wikis_env

    if registry is None:
        registry = default_registry(config={}, env={})
        for wiki in parse_wikis_env("testwiki=http://127.0.0.1:9/api.php@en"):
            registry = registry.with_wiki(wiki)
    settings = ServeSettings(rate_limit=0, warm_up=warm_up, json_logs=False)
    return create_app(registry, settings=settings, store=Store(store_path))


def bench_posts(url: str, reviewers: int, posts: int) -> dict[str, Any]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_reviewer = max(1, posts // reviewers)

    def reviewer() -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            page = http.get("/patrol/stats").text
            token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
            for i in range(per_reviewer):
                started = time.perf_counter()
                response = http.post(
                    "/patrol/feedback", json=_body(i), headers={"X-CSRF-Token": token}
                )
                elapsed = time.perf_counter() - started
                if response.status_code != 201:
                    raise SystemExit(f"POST failed: {response.status_code} {response.text}")
                with lock:
                    latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=reviewer) for _ in range(reviewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "reviewers": reviewers,
        "posts": len(latencies),
        "posts_per_second": round(len(latencies) / wall, 1),
        **_percentiles(latencies),
    }


def bench_store_alone(path: Path, posts: int) -> dict[str, Any]:
    from wikiscore.store import Store
    from wikiscore.web.feedback import FeedbackStore, parse_submission

    feedback = FeedbackStore(Store(path))
    latencies = []
    started = time.perf_counter()
    for i in range(posts):
        t0 = time.perf_counter()
        feedback.add(parse_submission(_body(i)), reviewer="bench")
        latencies.append(time.perf_counter() - t0)
    wall = time.perf_counter() - started
    return {"posts": posts, "posts_per_second": round(posts / wall, 1), **_percentiles(latencies)}


def bench_stats(url: str, store_path: Path, rows: int) -> dict[str, Any]:
    from wikiscore.store import Store

    store = Store(store_path)
    levels = ("likely_good", "may_have_problems", "likely_bad", "very_likely_bad")
    verdicts = ("correct", "false_positive", "false_negative", "unsure")
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO feedback (submission_id, wiki, rev_id, model, model_version, score, level,"
            " verdict, note, reviewer, reviewer_kind, editor_anon, editor_newcomer, created_at)"
            " VALUES (?, 'testwiki', ?, 'enwiki-editrisk', ?, 0.5, ?, ?, '', ?, 'session', ?, 0,"
            " '2024-01-01T00:00:00.000000Z')",
            [
                (str(uuid.uuid4()), i, f"1.{i % 3}.0", levels[i % 4], verdicts[(i // 4) % 4],
                 f"r{i % 50}", i % 2)
                for i in range(rows)
            ],
        )  # fmt: skip
    latencies = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for _ in range(20):
            t0 = time.perf_counter()
            assert http.get("/patrol/stats").status_code == 200
            latencies.append(time.perf_counter() - t0)
    return {"rows": rows, **_percentiles(latencies)}


def bench_queue(directory: Path) -> dict[str, Any]:
    from wikiscore.localwiki.server import start_wiki, stop_wiki
    from wikiscore.wikis import default_registry

    wiki = start_wiki(
        directory / "wiki", dumps=[REPO / "tests/fixtures/wiki/history.xml"], dbname="testwiki"
    )
    try:
        env = {"WIKISCORE_WIKIS": f"testwiki={wiki.api_url}@en"}
        registry = default_registry(config={}, env=env)
        with (
            Server(_app(directory / "queue.sqlite3", registry, warm_up=True)) as server,
            httpx.Client(base_url=server.url, timeout=120) as http,
        ):
            t0 = time.perf_counter()
            assert http.get("/?wiki=testwiki&limit=100").status_code == 200
            cold = time.perf_counter() - t0
            warm, rows = [], []
            for _ in range(50):
                t0 = time.perf_counter()
                http.get("/?wiki=testwiki&limit=100")
                warm.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                http.get("/patrol/rows?wiki=testwiki&limit=100")
                rows.append(time.perf_counter() - t0)
        return {
            "cold_ms": round(cold * 1000, 1),
            "warm_page": _percentiles(warm),
            "rows_fragment": _percentiles(rows),
        }
    finally:
        stop_wiki(directory / "wiki")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--with-wiki", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        directory = Path(tmp)
        result["store_alone"] = bench_store_alone(directory / "alone.sqlite3", args.posts)
        with Server(_app(directory / "http.sqlite3")) as server:
            result["http_1_reviewer"] = bench_posts(server.url, 1, args.posts)
            result["http_many_reviewers"] = bench_posts(server.url, args.reviewers, args.posts)
            result["stats_page"] = bench_stats(server.url, directory / "http.sqlite3", args.rows)
        alone = result["store_alone"]["posts_per_second"]
        result["ratio_http_1_vs_store"] = round(
            result["http_1_reviewer"]["posts_per_second"] / alone, 2
        )
        if args.with_wiki:
            result["queue"] = bench_queue(directory)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
