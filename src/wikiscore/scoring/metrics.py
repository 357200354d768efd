"""Prometheus metrics and structured events of the scoring path.

Owns the counters and histograms that describe scoring itself (cache hits, upstream calls and
errors, CPU time, precache lag). They live in the process-wide default registry so every front
end (HTTP service, CLI batch scoring) reports the same numbers. Must not know about HTTP.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import Counter, Histogram

logger = logging.getLogger("wikiscore.scoring")

CACHE_LOOKUPS = Counter(
    "wikiscore_score_cache_lookups_total",
    "Score cache lookups by tier and result (a miss is counted once, after all tiers).",
    ["tier", "result"],
)
CACHE_ERRORS = Counter(
    "wikiscore_score_cache_errors_total", "Cache tier failures (skipped).", ["tier"]
)
SCORES = Counter(
    "wikiscore_scores_total",
    "Scores returned, by wiki, model and source (cache, computed, error).",
    ["wiki", "model", "source"],
)
INFLIGHT_JOINS = Counter(
    "wikiscore_score_inflight_joins_total",
    "Score requests answered by joining an identical computation already in flight.",
)
UPSTREAM_CALLS = Counter(
    "wikiscore_upstream_calls_total",
    "Batched revision fetches from a wiki (each is one get_revisions call of up to 50 ids).",
    ["wiki"],
)
UPSTREAM_REVISIONS = Counter(
    "wikiscore_upstream_revisions_total", "Revisions fetched from wikis.", ["wiki"]
)
UPSTREAM_ERRORS = Counter(
    "wikiscore_upstream_errors_total",
    "Revisions that could not be fetched, by error type.",
    ["wiki", "type"],
)
UPSTREAM_LATENCY = Histogram(
    "wikiscore_upstream_fetch_seconds",
    "Time to fetch a batch of revisions (with content, parents and users) from a wiki.",
    ["wiki"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CPU_SECONDS = Histogram(
    "wikiscore_scoring_cpu_seconds",
    "Time in the worker pool computing features and predictions for one batch.",
    ["model"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
PRECACHE_SCORED = Counter(
    "wikiscore_precache_scored_total", "Edits scored ahead of any request.", ["wiki"]
)
PRECACHE_ERRORS = Counter(
    "wikiscore_precache_errors_total", "Precache polling or scoring failures.", ["wiki"]
)
PRECACHE_LAG = Histogram(
    "wikiscore_precache_lag_seconds",
    "Seconds from an edit being saved to its score being cached.",
    ["wiki"],
    buckets=(0.5, 1, 2, 3, 5, 10, 30, 60, 300),
)


def log_event(event: str, level: int = logging.WARNING, **fields: Any) -> None:
    """One structured log record (the JSON formatter turns ``fields`` into keys)."""
    logger.log(level, event, extra={"fields": {"event": event, **fields}})
