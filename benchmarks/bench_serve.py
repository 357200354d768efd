"""Benchmark of the scoring service against a real local MediaWiki.

    .venv/bin/python benchmarks/bench_serve.py [--duration 60] [--json results.json]

What it does (everything on this machine, nothing leaves 127.0.0.1):

1. starts a throwaway local wiki from ``tests/fixtures/wiki/history.xml`` and saves fresh edits
   into it (realistic article text, some vandalised), so "uncached" really is uncached: neither
   the service nor the MediaWiki client has seen those revisions;
2. starts ``wikiscore serve`` in its own process (rate limit off: this measures capacity);
3. uncached single-revision latency (ORES v3 ``/v3/scores/{wiki}/{rev}/editrisk``) next to the
   unavoidable upstream requests made straight to the wiki with a plain HTTP client: the
   revision with its content, then its parent's content and its editor's user info in one
   combined query (the two round trips any scorer needs). Each revision is measured both ways,
   alternating which goes first, so neither side gets the other's warm caches. Twice: for
   revisions whose parent the service scored before (its text is cached: the second round trip
   is skipped, as when patrolling recent changes with precaching) and for revisions whose
   parent nobody asked for (both round trips are made);
4. cached latency (the same requests again);
5. 50-revision batches (one request each, all uncached; the median of ``--batches``), again
   with parents seen and with parents never seen, against one single-revision score of the same
   kind, and 50 single requests one after another;
6. throughput, latency and errors with 1, 8 and 32 concurrent clients for ``--duration``
   seconds each (random revisions of the wiki: after the first seconds, mostly cached).

``--wiki-delay MS`` holds every API request for MS milliseconds before MediaWiki answers it
(the local wiki's ``delay`` fault, for the service and the plain client alike): a wiki at
network distance, as Wikimedia's API is from any client, instead of one on loopback that
answers a one-revision query in ~12 ms. The goals are read at the default, 0.

Goals (from issue 7): uncached p50 <= 1.3x the upstream round trips; cached p99 <= 10 ms;
50-revision batch <= 3x one single-revision score; zero errors at 32 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
HISTORY = REPO / "tests" / "fixtures" / "wiki" / "history.xml"
WIKI = "benchwiki"
ARTICLES = ("Albedo", "Aristotle", "Allah", "Aikido", "Algeria", "Andrei Tarkovsky")
VANDALISM = ("lol this is so dumb", "JOHN IS GAY!!!!", "asdfghjkl asdfghjkl", "poop poop poop")
# Result keys: revisions whose parent the service scored before (its text is cached, as when
# patrolling recent changes with precaching), and revisions whose parent nobody asked for.
CASES = (("", "parent seen before"), ("_unseen_parent", "parent never seen"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": ms(pct(values, 50)),
        "p99_ms": ms(pct(values, 99)),
        "mean_ms": ms(statistics.fmean(values)) if values else float("nan"),
    }


# -- the wiki -------------------------------------------------------------------------------------
def make_fresh_edits(
    api_url: str, count: int, rng: random.Random, *, unseen_parents: bool = False
) -> list[int]:
    """``count`` new revisions of real article text: additions, removals, some vandalism.

    ``unseen_parents``: each returned revision follows an edit of the same article that is
    not returned (nobody asks for it), so a scorer has never seen its parent's text.
    """
    from wikiscore.localwiki.editor import WikiEditor

    rev_ids: list[int] = []
    editors = [WikiEditor(api_url, ip=f"192.0.2.{i}") for i in range(1, 9)]
    try:
        texts = {title: editors[0].page_text(title) for title in ARTICLES}
        title = ARTICLES[0]
        for n in range(2 * count if unseen_parents else count):
            if not (unseen_parents and n % 2):  # else: the same article again, returned
                title = rng.choice(ARTICLES)
            text = texts[title]
            paragraphs = text.split("\n\n")
            kind = rng.random()
            if kind < 0.25:
                i = rng.randrange(len(paragraphs))
                paragraphs[i] = paragraphs[i] + " " + rng.choice(VANDALISM)
            elif kind < 0.5 and len(paragraphs) > 2:
                del paragraphs[rng.randrange(1, len(paragraphs))]
            else:
                i = rng.randrange(len(paragraphs))
                paragraphs.insert(i, f"A sentence added in benchmark edit {n} about {title}.")
            texts[title] = "\n\n".join(paragraphs)
            editor = editors[n % len(editors)]
            rev_id = editor.edit(title, texts[title], summary=f"benchmark edit {n}")
            if not unseen_parents or n % 2:
                rev_ids.append(rev_id)
    finally:
        for editor in editors:
            editor.close()
    return rev_ids


def direct_round_trips(http: httpx.Client, api_url: str, rev_id: int) -> float:
    """The two requests any scorer must make for one revision, straight to the wiki (a page
    creation by an IP editor needs only the first); seconds taken."""
    return direct_batch_round_trips(http, api_url, [rev_id])


def direct_batch_round_trips(http: httpx.Client, api_url: str, rev_ids: list[int]) -> float:
    """The same two requests for a batch: revisions with content, then parents' content and
    the editors (one combined query); seconds taken. Their parameters are the service's own
    (the properties scoring reads, ``maxlag`` as politeness asks): only the client differs."""
    from wikiscore.mediawiki.parse import LEAN_REVISION_PROPS, USER_PROPS

    common = {"action": "query", "format": "json", "formatversion": "2", "maxlag": "5"}
    revisions_of = {"prop": "revisions", "rvprop": LEAN_REVISION_PROPS + "|content"}
    started = time.perf_counter()
    first = http.get(
        api_url,
        params={**common, **revisions_of, "revids": "|".join(map(str, rev_ids)), "rvslots": "main"},
    ).json()
    revisions = [r for page in first["query"]["pages"] for r in page["revisions"]]
    own = {r["revid"] for r in revisions}
    parents = sorted({r["parentid"] for r in revisions if r.get("parentid")} - own)
    users = sorted({r["user"] for r in revisions if not r.get("anon")})
    params: dict[str, Any] = dict(common)
    if parents:
        params.update(revisions_of, revids="|".join(map(str, parents)), rvslots="main")
    if users:
        params.update(list="users", ususers="|".join(users), usprop=USER_PROPS)
    if parents or users:
        assert "query" in http.get(api_url, params=params).json()
    return time.perf_counter() - started


def metric_sums(http: httpx.Client, base: str) -> dict[str, float]:
    """Sums of the service's own histograms: time fetching upstream and time in the CPU step."""
    sums = {"fetch": 0.0, "cpu": 0.0}
    for line in http.get(f"{base}/metrics").text.splitlines():
        if line.startswith("wikiscore_upstream_fetch_seconds_sum"):
            sums["fetch"] += float(line.rsplit(" ", 1)[1])
        elif line.startswith("wikiscore_scoring_cpu_seconds_sum"):
            sums["cpu"] += float(line.rsplit(" ", 1)[1])
    return sums


# -- the service ----------------------------------------------------------------------------------
def start_service(
    home: Path, api_url: str, port: int, *, processes: int, concurrency: int
) -> subprocess.Popen[bytes]:
    env = os.environ.copy()
    env["WIKISCORE_HOME"] = str(home)
    # The config file (not WIKISCORE_WIKIS) can say how many requests the wiki takes at once.
    config = home / "config.toml"
    config.write_text(
        f'[wikis.{WIKI}]\napi = "{api_url}"\nlang = "en"\nmax_concurrency = {concurrency}\n'
    )
    env["WIKISCORE_CONFIG"] = str(config)
    env.pop("WIKISCORE_WIKIS", None)
    log = open(home / "service.log", "wb")  # noqa: SIM115 (closed with the process)
    command = ["-m", "wikiscore.cli.main", "serve", "--port", str(port), "--rate-limit", "0"]
    command += ["--processes", str(processes)]
    proc = subprocess.Popen(
        [sys.executable, *command],
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"the service did not start; see {home / 'service.log'}")


def score_entry(doc: dict[str, Any], rev_id: int) -> dict[str, Any]:
    return dict(doc[WIKI]["scores"][str(rev_id)]["editrisk"])


def timed_get(http: httpx.Client, url: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = http.get(url)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


class _Connection:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the load generator must cost
    far less CPU than the server it measures (httpx costs about as much as our cached path)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        )
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load_run(base: str, rev_ids: list[int], clients: int, duration: float) -> dict[str, Any]:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: dict[str, int] = {}
    rng = random.Random(clients)
    stop_at = time.monotonic() + duration

    def count(key: str) -> None:
        errors[key] = errors.get(key, 0) + 1

    async def worker() -> None:
        connection = _Connection(host, int(port))
        try:
            while time.monotonic() < stop_at:
                rev_id = rng.choice(rev_ids)
                started = time.perf_counter()
                try:
                    status, body = await connection.get(f"/v3/scores/{WIKI}/{rev_id}/editrisk")
                except (OSError, asyncio.IncompleteReadError) as exc:
                    count(type(exc).__name__)
                    connection.close()
                    connection = _Connection(host, int(port))
                    continue
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    count(f"http_{status}")
                elif b'"error"' in body:
                    count(score_entry(json.loads(body), rev_id)["error"]["type"])
        finally:
            connection.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "errors": errors,
        **summary(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per load level")
    parser.add_argument("--singles", type=int, default=60, help="uncached single revisions")
    parser.add_argument("--batches", type=int, default=5, help="uncached 50-revision batches")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--processes", type=int, default=0, help="scoring processes (0: threads, the default)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="requests the wiki may have in flight (1, the polite default for any wiki)",
    )
    parser.add_argument(
        "--wiki-delay",
        type=float,
        default=0.0,
        metavar="MS",
        help="hold each API request this long before the wiki answers (a wiki at network distance)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    from wikiscore.localwiki.server import set_faults, start_wiki, stop_wiki

    home = Path(tempfile.mkdtemp(prefix="wikiscore-bench-"))
    os.environ["WIKISCORE_HOME"] = str(home)
    wiki_dir = home / "wiki"
    proc = None
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()}
    }
    try:
        wiki = start_wiki(wiki_dir, dumps=[HISTORY], dbname=WIKI)
        print(f"wiki at {wiki.api_url}; saving fresh edits ...", file=sys.stderr)
        fresh = make_fresh_edits(wiki.api_url, args.singles + 50 * args.batches + 50, rng)
        singles, batch_singles = fresh[: args.singles], fresh[-50:]
        batches = [fresh[args.singles + 50 * k :][:50] for k in range(args.batches)]
        # Revisions whose parents nobody asked for: the fetch cannot skip the parents' texts.
        cold_singles = make_fresh_edits(wiki.api_url, args.singles, rng, unseen_parents=True)
        cold_batches = [
            make_fresh_edits(wiki.api_url, 50, rng, unseen_parents=True)
            for _ in range(args.batches)
        ]
        if args.wiki_delay > 0:  # after the edits were saved: only measured requests wait
            set_faults(wiki_dir, [{"kind": "delay", "seconds": args.wiki_delay / 1000}])
        port = free_port()
        proc = start_service(
            home, wiki.api_url, port, processes=args.processes, concurrency=args.concurrency
        )
        results["settings"] = {
            "processes": args.processes,
            "wiki_concurrency": args.concurrency,
            "wiki_delay_ms": args.wiki_delay,
        }
        base = f"http://127.0.0.1:{port}"
        http = httpx.Client(timeout=60)
        direct_http = httpx.Client(timeout=60)
        # Warm-up: model loaded, connections open, PHP warm (old revisions, not measured).
        for rev_id in (1, 2, 3):
            timed_get(http, f"{base}/v3/scores/{WIKI}/{rev_id}/editrisk")
            direct_round_trips(direct_http, wiki.api_url, rev_id)

        print("uncached singles ...", file=sys.stderr)
        for key, rev_ids in (("", singles), ("_unseen_parent", cold_singles)):
            service_times, direct_times = measure_singles(
                http, direct_http, base, wiki.api_url, rev_ids
            )
            results[f"uncached_single{key}"] = summary(service_times)
            results[f"upstream_round_trips{key}"] = summary(direct_times)

        print("cached ...", file=sys.stderr)
        cached = []
        for i in range(1000):
            rev_id = singles[i % len(singles)]
            cached.append(timed_get(http, f"{base}/v3/scores/{WIKI}/{rev_id}/editrisk")[0])
        results["cached_single"] = summary(cached)

        print(f"{args.batches} batches of 50 ...", file=sys.stderr)
        results["batch_50"] = measure_batches(http, direct_http, base, wiki.api_url, batches)
        results["batch_50_unseen_parent"] = measure_batches(
            http, direct_http, base, wiki.api_url, cold_batches
        )
        started = time.perf_counter()
        for rev_id in batch_singles:
            timed_get(http, f"{base}/v3/scores/{WIKI}/{rev_id}/editrisk")
        results["batch_50"]["fifty_single_requests_ms"] = ms(time.perf_counter() - started)

        made = [*fresh, *cold_singles, *(r for batch in cold_batches for r in batch)]
        all_ids = list(range(1, max(made) + 1))
        results["load"] = []
        for clients in (1, 8, 32):
            print(f"{clients} concurrent clients for {args.duration:g} s ...", file=sys.stderr)
            results["load"].append(asyncio.run(load_run(base, all_ids, clients, args.duration)))
        results["machine"]["load_average_at_end"] = os.getloadavg()
        http.close()
        direct_http.close()
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        stop_wiki(wiki_dir)

    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


def measure_singles(
    http: httpx.Client, direct_http: httpx.Client, base: str, api_url: str, rev_ids: list[int]
) -> tuple[list[float], list[float]]:
    """Each revision scored by the service and fetched with plain HTTP (its two round trips),
    alternating which goes first; the two lists of seconds."""
    service_times, direct_times = [], []
    for i, rev_id in enumerate(rev_ids):
        order = ("direct", "service") if i % 2 == 0 else ("service", "direct")
        for what in order:
            if what == "direct":
                direct_times.append(direct_round_trips(direct_http, api_url, rev_id))
            else:
                elapsed, doc = timed_get(http, f"{base}/v3/scores/{WIKI}/{rev_id}/editrisk")
                assert "score" in score_entry(doc, rev_id), doc
                service_times.append(elapsed)
    return service_times, direct_times


def measure_batches(
    http: httpx.Client, direct_http: httpx.Client, base: str, api_url: str, batches: list[list[int]]
) -> dict[str, Any]:
    """Each batch once through the service (time, and the service's own fetch and CPU time),
    then its two round trips with plain HTTP; medians over the batches."""
    runs: list[dict[str, float]] = []
    for batch in batches:
        ids = "|".join(map(str, batch))
        before = metric_sums(http, base)
        batch_time, doc = timed_get(http, f"{base}/v3/scores/{WIKI}/?models=editrisk&revids={ids}")
        after = metric_sums(http, base)
        assert all("score" in score_entry(doc, r) for r in batch)
        runs.append(
            {
                "batch_ms": ms(batch_time),
                "of_which_upstream_fetch_ms": ms(after["fetch"] - before["fetch"]),
                "of_which_cpu_ms": ms(after["cpu"] - before["cpu"]),
                "same_two_round_trips_plain_http_ms": ms(
                    direct_batch_round_trips(direct_http, api_url, batch)
                ),
            }
        )
    medians: dict[str, Any] = {
        key: round(statistics.median(run[key] for run in runs), 1) for key in runs[0]
    }
    medians["batches"] = len(runs)
    medians["batch_ms_each"] = [run["batch_ms"] for run in runs]
    return medians


def report(results: dict[str, Any]) -> None:
    cached = results["cached_single"]
    errors_32 = sum(results["load"][-1]["errors"].values())
    machine = results["machine"]
    load_start = machine["load_average_at_start"][0]
    load_end = machine.get("load_average_at_end", [float("nan")])[0]
    print(
        f"\n{machine['cpus']} CPUs; load average {load_start:.1f} at start, {load_end:.1f} at "
        f"end; settings {results.get('settings')}"
    )
    print("\n| measurement | p50 ms | p99 ms | n |")
    print("|---|---:|---:|---:|")
    for key, what in CASES:
        unc, up = results[f"uncached_single{key}"], results[f"upstream_round_trips{key}"]
        print(f"| uncached single score, {what} | {unc['p50_ms']} | {unc['p99_ms']} | {unc['n']} |")
        print(f"| its two round trips, plain HTTP | {up['p50_ms']} | {up['p99_ms']} | {up['n']} |")
    print(f"| cached single score | {cached['p50_ms']} | {cached['p99_ms']} | {cached['n']} |")
    for key, what in CASES:
        batch = results[f"batch_50{key}"]
        single = results[f"uncached_single{key}"]["p50_ms"]
        fetch, cpu = batch["of_which_upstream_fetch_ms"], batch["of_which_cpu_ms"]
        print(
            f"\n50-revision batch ({what}), median of {batch['batches']}: {batch['batch_ms']} ms "
            f"(each: {batch['batch_ms_each']}; upstream fetch {fetch} ms, CPU {cpu} ms); "
            f"its two round trips, plain HTTP: {batch['same_two_round_trips_plain_http_ms']} ms"
        )
        # Where a batch's time goes, in units of one single score (the goal's unit): the wiki's
        # answer and the features alone, with nothing else of the service's counted.
        print(
            f"  in single scores ({single} ms): fetch {fetch / single:.2f}x + CPU "
            f"{cpu / single:.2f}x = {(fetch + cpu) / single:.2f}x before any other cost"
        )
    print(f"50 single requests in a row: {results['batch_50']['fifty_single_requests_ms']} ms")
    print("\n| clients | req/s | p50 ms | p99 ms | errors |")
    print("|---:|---:|---:|---:|---|")
    for run in results["load"]:
        print(
            f"| {run['clients']} | {run['requests_per_second']} | {run['p50_ms']} | "
            f"{run['p99_ms']} | {sum(run['errors'].values())} {run['errors'] or ''} |"
        )
    goals = []
    for key, what in CASES:
        unc, up = results[f"uncached_single{key}"], results[f"upstream_round_trips{key}"]
        batch = results[f"batch_50{key}"]
        ratio_uncached = unc["p50_ms"] / up["p50_ms"]
        ratio_batch = batch["batch_ms"] / unc["p50_ms"]
        goals += [
            (
                f"uncached p50 <= 1.3x upstream round trips ({what})",
                ratio_uncached <= 1.3,
                f"{ratio_uncached:.2f}x",
            ),
            (
                f"50-revision batch <= 3x one single score ({what})",
                ratio_batch <= 3,
                f"{ratio_batch:.2f}x",
            ),
        ]
    goals += [
        ("cached p99 <= 10 ms", cached["p99_ms"] <= 10, f"{cached['p99_ms']} ms"),
        ("zero errors at 32 concurrent clients", errors_32 == 0, str(errors_32)),
    ]
    delay = (results.get("settings") or {}).get("wiki_delay_ms") or 0
    if delay:
        print(f"\nThe wiki was held {delay:g} ms a request: the goals are set for no delay.")
    print("\n| goal | measured | met |")
    print("|---|---:|---|")
    for name, met, value in goals:
        print(f"| {name} | {value} | {'yes' if met else 'NO'} |")
    results["goals"] = {name: {"measured": value, "met": met} for name, met, value in goals}


if __name__ == "__main__":
    main()
