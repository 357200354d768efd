#!/usr/bin/env python3
"""Benchmark: edit features (and edit-risk scoring) per second on one core, next to revscoring.

Pins itself to one CPU and, in rounds that alternate the two (so that load from other
processes falls on both), times on the same N records:

1. wikiscore feature extraction, record by record: records per CPU-second and per second
   (wall clock), per-record p50/p99/max;
2. wikiscore scoring when the edit-risk model is committed (``models/artifacts/
   enwiki-editrisk``): features + model in batches, and one record at a time (p50/p99);
3. the peer: revscoring 2.11.13 computing the same nine features through the ``extract``
   function of ``peer_revscoring_bench.py``, pinned to the same CPU, in its own virtual
   environment (created if missing: ``python3 -m venv DIR && DIR/bin/pip install
   revscoring==2.11.13``; revscoring also needs Debian's ``libenchant-2-2 aspell-en
   hunspell-en-us``).

The ratio printed is the median over rounds of wikiscore's records per CPU-second over the
peer's (wall-clock ratios are printed too). Only extraction is timed on both sides (not
reading or parsing the file, not imports). wikiscore's caches between records (token types,
word keys) are cleared before each timed pass. Peak memory comes from a separate tracemalloc
pass.

``--fuzz N`` instead makes N random edits of the records (insertions of wikitext snippets,
deletions, moves, duplications, case changes) and has revscoring check wikiscore's nine values
on them (exit status 1 on any mismatch).

    .venv/bin/python benchmarks/bench_features.py                  # the 400 parity records
    .venv/bin/python benchmarks/bench_features.py --rounds 3 --repeat 2
    .venv/bin/python benchmarks/bench_features.py --limit 100 --no-peer
    .venv/bin/python benchmarks/bench_features.py --records FILE.jsonl[.xz|.bz2]
    .venv/bin/python benchmarks/bench_features.py --fuzz 1000 --seed 1

Prints a table and, last, one JSON line with all figures.
"""

from __future__ import annotations

import os

# One thread each for numpy/LightGBM: the point is work per core.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import bz2
import json
import lzma
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_RECORDS = REPO / "tests" / "fixtures" / "features" / "editfeatures_parity.jsonl.xz"
DEFAULT_PEER_SCRIPT = REPO.parent / "shared" / "fixtures" / "peer_revscoring_bench.py"
DEFAULT_PEER_VENV = Path("/tmp/peer")
PEER_REQUIREMENT = "revscoring==2.11.13"
STOPWORDS = REPO / "src" / "wikiscore" / "features" / "data" / "en" / "stopwords.txt"


def open_text(path: Path) -> Any:
    if path.suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8")
    if path.suffix == ".bz2":
        return bz2.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_lines(path: Path, limit: int | None) -> list[str]:
    lines = []
    with open_text(path) as handle:
        for line in handle:
            if line.strip():
                lines.append(line)
                if limit is not None and len(lines) >= limit:
                    break
    return lines


def pin_to_one_cpu() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def clear_caches() -> None:
    from wikiscore.features import matching, wordlists
    from wikiscore.features.wikitext import tokenizer

    tokenizer._TYPE_CACHE.clear()
    wordlists._CONTENT_KEYS.clear()
    matching._last_window = ("", 0, 0, "", "")  # the last window lower-cased (one text)


def bench_features(records: list[Any], repeat: int) -> dict[str, Any]:
    from wikiscore.errors import WikiscoreError
    from wikiscore.features.edit import edit_feature_values

    times: list[float] = []
    errors = 0
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(repeat):
        clear_caches()
        for record in records:
            t0 = time.perf_counter()
            try:
                edit_feature_values(record)
            except WikiscoreError:
                errors += 1
            times.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return rates(len(times), seconds, cpu) | {
        "p50_ms": round(percentile(times, 50) * 1000, 3),
        "p99_ms": round(percentile(times, 99) * 1000, 3),
        "max_ms": round(max(times) * 1000, 3),
        "errors": errors,
    }


def load_edit_model() -> Any:
    artifact = REPO / "src" / "wikiscore" / "models" / "artifacts" / "enwiki-editrisk"
    if not (artifact / "metadata.json").is_file():
        return None, f"no committed model at {artifact}"
    try:
        from wikiscore.models.registry import load_model
        from wikiscore.scoring.edit import score_edit_records  # noqa: F401
    except ImportError as exc:
        return None, f"scoring not importable ({exc})"
    try:
        return load_model("enwiki-editrisk"), ""
    except Exception as exc:  # any failure to load means: skip scoring, say why
        return None, f"model did not load ({exc})"


def bench_scoring(records: list[Any], model: Any, repeat: int, batch: int) -> dict[str, Any]:
    from wikiscore.scoring.edit import score_edit_records

    score_edit_records(records[:2], model)  # warm the model (first predict allocates)
    cpu = time.process_time()
    start = time.perf_counter()
    scored = 0
    for _ in range(repeat):
        clear_caches()
        for offset in range(0, len(records), batch):
            scored += len(score_edit_records(records[offset : offset + batch], model))
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    single: list[float] = []
    clear_caches()
    for record in records:
        t0 = time.perf_counter()
        score_edit_records([record], model)
        single.append(time.perf_counter() - t0)
    return rates(scored, seconds, cpu) | {
        "batch": batch,
        "single_p50_ms": round(percentile(single, 50) * 1000, 3),
        "single_p99_ms": round(percentile(single, 99) * 1000, 3),
    }


def peak_memory(records: list[Any]) -> dict[str, Any]:
    import resource

    from wikiscore.features.edit import edit_feature_values

    clear_caches()
    tracemalloc.start()
    peak = 0
    peak_record = 0
    for record in records:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        edit_feature_values(record)
        record_peak = tracemalloc.get_traced_memory()[1]
        peak = max(peak, record_peak)
        peak_record = max(peak_record, record_peak - before)
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "tracemalloc_peak_mib": round(peak / 2**20, 2),
        "largest_record_peak_mib": round(peak_record / 2**20, 2),
        "process_max_rss_mib": round(rss_kib / 1024, 1),
    }


def ensure_peer_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    check = [
        str(python),
        "-c",
        "import revscoring, sys; sys.exit(revscoring.__version__ != '2.11.13')",
    ]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating the peer environment in {venv} ({PEER_REQUIREMENT}) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_REQUIREMENT], check=True)
    return python


# Runs inside the peer's environment: imports the peer script as a module (revscoring is
# imported there, outside the timing) and times its ``extract`` per record, wall and CPU.
PEER_DRIVER = """
import importlib.util, json, sys, time
spec = importlib.util.spec_from_file_location("peer_bench", sys.argv[1])
peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer)
records = peer.load(sys.argv[2])
repeat = int(sys.argv[3])
times = []
cpu = time.process_time()
wall = time.perf_counter()
for _ in range(repeat):
    for record in records:
        start = time.perf_counter()
        peer.extract(record)
        times.append(time.perf_counter() - start)
cpu = time.process_time() - cpu
wall = time.perf_counter() - wall
times.sort()
print(json.dumps({"records": len(times), "seconds": wall, "cpu_seconds": cpu,
                  "p50": times[len(times) // 2], "p99": times[min(len(times) - 1,
                  round(0.99 * (len(times) - 1)))]}))
"""


def time_peer(
    python: Path, script: Path, lines: list[str], repeat: int, cpu: int, workdir: Path
) -> dict[str, Any]:
    """revscoring's nine features on the records, in the peer environment, on ``cpu``."""
    records_file = workdir / "records.jsonl"
    if not records_file.exists():
        records_file.write_text("".join(lines), encoding="utf-8")
    result = subprocess.run(
        [str(python), "-c", PEER_DRIVER, str(script), str(records_file), str(repeat)],
        capture_output=True,
        text=True,
        env=peer_environment(workdir),
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )
    if result.returncode != 0:
        raise RuntimeError(f"peer failed ({result.returncode}): {peer_hint(result.stderr)}")
    raw = json.loads(result.stdout.strip().splitlines()[-1])
    return rates(raw["records"], raw["seconds"], raw["cpu_seconds"]) | {
        "p50_ms": round(raw["p50"] * 1000, 3),
        "p99_ms": round(raw["p99"] * 1000, 3),
    }


def peer_environment(workdir: Path) -> dict[str, str]:
    """Environment for the peer: NLTK's English stopwords (the same 127 words wikiscore ships)
    laid out as NLTK expects, one thread."""
    nltk_dir = workdir / "nltk_data" / "corpora" / "stopwords"
    if not nltk_dir.exists():
        nltk_dir.mkdir(parents=True)
        lines = STOPWORDS.read_text(encoding="utf-8").splitlines()
        words = [w for w in lines if w and not w.startswith("#")]
        (nltk_dir / "english").write_text("\n".join(words) + "\n", encoding="utf-8")
    return dict(os.environ, NLTK_DATA=str(workdir / "nltk_data"), OMP_NUM_THREADS="1")


def peer_hint(stderr: str) -> str:
    if "enchant" in stderr.lower():
        return "revscoring needs Debian's libenchant-2-2 aspell-en hunspell-en-us"
    return (stderr.strip().splitlines() or ["no output"])[-1]


def rates(records: int, seconds: float, cpu_seconds: float) -> dict[str, Any]:
    return {
        "records": records,
        "seconds": round(seconds, 4),
        "cpu_seconds": round(cpu_seconds, 4),
        "per_second": round(records / seconds, 1),
        "per_cpu_second": round(records / cpu_seconds, 1),
    }


def check_with_peer(
    python: Path, script: Path, lines: list[str], cpu: int, workdir: Path
) -> dict[str, Any]:
    """Run the peer script with ``--check``: revscoring compares its values with ours."""
    records_file = workdir / "records.jsonl"
    records_file.write_text("".join(lines), encoding="utf-8")
    result = subprocess.run(
        [str(python), str(script), str(records_file), "--check"],
        capture_output=True,
        text=True,
        env=peer_environment(workdir),
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"peer failed ({result.returncode}): {peer_hint(result.stderr)}")
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    for line in result.stderr.splitlines():
        if line.startswith("{"):
            summary.update(json.loads(line))
        elif line.startswith("MISMATCH"):
            print(line, file=sys.stderr)
    return summary


# --- random edits checked against revscoring (--fuzz) -------------------------------------------
def fuzz_lines(lines: list[str], count: int, seed: int) -> list[str]:
    """Randomly edited copies of the records, with wikiscore's values as ``expected``."""
    from wikiscore.features.edit import edit_feature_values
    from wikiscore.features.mutations import mutate
    from wikiscore.records import revision_from_json

    fixture_names = {
        "revision.user.is_anon": "revision_oriented.revision.user.is_anon",
        "revision.user.in_group({'bot','sysop'})": (
            "revision_oriented.revision.user.in_group({'bot','sysop'})"
        ),
    }
    rng = random.Random(seed)
    bases = [json.loads(line) for line in lines]
    out = []
    for number in range(count):
        record = dict(rng.choice(bases))
        parent = record["parent_text"] if rng.random() < 0.7 else record["text"]
        new = parent
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            new = mutate(new, rng)
        if rng.random() < 0.1:
            parent, new = new, parent
        record.update(id=number, rev_id=900000 + number, parent_text=parent, text=new)
        values = edit_feature_values(revision_from_json(record))
        record["expected"] = {fixture_names.get(k, k): v for k, v in values.items()}
        out.append(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def check_fuzz(args: argparse.Namespace, lines: list[str], cpu: int) -> int:
    """--fuzz: revscoring checks wikiscore's values on random edits (exit 1 on a mismatch)."""
    edited = fuzz_lines(lines, args.fuzz, args.seed)
    python = ensure_peer_venv(args.peer_venv)
    with tempfile.TemporaryDirectory(prefix="wikiscore-fuzz-") as tmp:
        result = check_with_peer(python, args.peer_script, edited, cpu, Path(tmp))
    print(json.dumps({"fuzz_records": args.fuzz, "seed": args.seed, **result}))
    return 1 if result.get("check_mismatches") else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--records",
        type=Path,
        default=DEFAULT_RECORDS,
        help="JSONL records (optionally .xz/.bz2); default: the parity fixture",
    )
    parser.add_argument("--limit", type=int, default=None, help="use only the first N records")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes over the records")
    parser.add_argument("--batch", type=int, default=50, help="scoring batch size")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="alternate wikiscore and the peer this many times (ratio: median over rounds)",
    )
    parser.add_argument("--no-peer", action="store_true", help="do not run revscoring")
    parser.add_argument("--no-scoring", action="store_true", help="features only")
    parser.add_argument(
        "--peer-venv",
        type=Path,
        default=DEFAULT_PEER_VENV,
        help="virtual environment with revscoring 2.11.13 (created if missing)",
    )
    parser.add_argument(
        "--peer-script",
        type=Path,
        default=DEFAULT_PEER_SCRIPT,
        help="the peer benchmark script (peer_revscoring_bench.py)",
    )
    parser.add_argument(
        "--fuzz",
        type=int,
        default=0,
        metavar="N",
        help="instead of timing: make N random edits of the records and check that "
        "revscoring computes the same nine values as wikiscore (exit status 1 if not)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed for --fuzz")
    args = parser.parse_args(argv)

    cpu = pin_to_one_cpu()
    lines = read_lines(args.records, args.limit)
    if not lines:
        print(f"no records in {args.records}", file=sys.stderr)
        return 2

    if args.fuzz:
        return check_fuzz(args, lines, cpu)

    from wikiscore.records import revision_from_json

    records = [revision_from_json(json.loads(line)) for line in lines]
    report: dict[str, Any] = {
        "records_file": str(args.records),
        "records": len(records),
        "repeat": args.repeat,
        "cpu": cpu,
        "python": sys.version.split()[0],
    }
    model, why = (None, "--no-scoring") if args.no_scoring else load_edit_model()
    peer_python: Path | None = None
    if not args.no_peer:
        if not args.peer_script.is_file():
            report["peer"] = {"skipped": f"peer script not found at {args.peer_script}"}
        else:
            try:
                peer_python = ensure_peer_venv(args.peer_venv)
            except (subprocess.CalledProcessError, OSError) as exc:
                report["peer"] = {"skipped": f"could not set up the peer: {exc}"}
    # Rounds alternate wikiscore and the peer on the same CPU, so that load from other
    # processes falls on both; the ratio is the median over rounds, on CPU time.
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="wikiscore-bench-") as tmp:
        for _ in range(args.rounds):
            result: dict[str, Any] = {"features": bench_features(records, args.repeat)}
            if model is not None:
                result["scoring"] = bench_scoring(records, model, args.repeat, args.batch)
            if peer_python is not None:
                try:
                    result["peer"] = time_peer(
                        peer_python, args.peer_script, lines, args.repeat, cpu, Path(tmp)
                    )
                except (RuntimeError, OSError) as exc:
                    report["peer"] = {"skipped": str(exc)}
                    peer_python = None
            rounds.append(result)
    report["rounds"] = rounds
    report["features"] = rounds[-1]["features"]
    if model is None:
        report["scoring"] = {"skipped": why}
    else:
        report["scoring"] = rounds[-1]["scoring"]
    if "peer" in rounds[-1]:
        report["peer"] = rounds[-1]["peer"]
        for name, key in (("features", "features"), ("features_and_scoring", "scoring")):
            if key not in rounds[-1]:
                continue
            cpu_ratios = [r[key]["per_cpu_second"] / r["peer"]["per_cpu_second"] for r in rounds]
            wall_ratios = [r[key]["per_second"] / r["peer"]["per_second"] for r in rounds]
            report[f"ratio_{name}"] = round(statistics.median(cpu_ratios), 1)
            report[f"ratio_{name}_wall"] = round(statistics.median(wall_ratios), 1)
    report["memory"] = peak_memory(records)

    print_table(report)
    print(json.dumps(report))
    return 0


def _rate_line(label: str, figures: dict[str, Any]) -> str:
    return (
        f"{label:<26}{figures['per_cpu_second']:>8.1f} rec/cpu-s{figures['per_second']:>8.1f} rec/s"
    )


def print_table(report: dict[str, Any]) -> None:
    f = report["features"]
    print(f"records: {report['records']} x {report['repeat']} from {report['records_file']}")
    rounds = len(report["rounds"])
    print(f"one core (cpu {report['cpu']}), Python {report['python']}; last of {rounds} rounds")
    print(
        _rate_line("wikiscore features", f)
        + f"   p50 {f['p50_ms']:.3f} ms  p99 {f['p99_ms']:.3f} ms  max {f['max_ms']:.1f} ms"
    )
    s = report.get("scoring")
    if s and "skipped" not in s:
        print(
            _rate_line("wikiscore features+score", s)
            + f"   (batches of {s['batch']}); one at a time p50 {s['single_p50_ms']:.3f} ms"
            + f"  p99 {s['single_p99_ms']:.3f} ms"
        )
    elif s:
        print(f"scoring skipped: {s['skipped']}")
    m = report["memory"]
    print(
        f"memory: tracemalloc peak {m['tracemalloc_peak_mib']} MiB "
        f"(largest record {m['largest_record_peak_mib']} MiB), "
        f"max RSS {m['process_max_rss_mib']} MiB"
    )
    p = report.get("peer")
    if p and "skipped" not in p:
        print(
            _rate_line("revscoring 2.11.13 (peer)", p)
            + f"   p50 {p['p50_ms']:.3f} ms  p99 {p['p99_ms']:.3f} ms"
        )
        line = f"ratio (median over rounds, CPU time): features {report.get('ratio_features')}x"
        if "ratio_features_and_scoring" in report:
            line += f", features+scoring {report['ratio_features_and_scoring']}x"
        line += (
            f"   (wall clock: {report.get('ratio_features_wall')}x"
            f", {report.get('ratio_features_and_scoring_wall')}x)"
        )
        print(line)
    elif p:
        print(f"peer skipped: {p['skipped']}")


if __name__ == "__main__":
    sys.exit(main())
