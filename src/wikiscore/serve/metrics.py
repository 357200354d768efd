"""HTTP-level Prometheus metrics (the scoring path has its own in ``scoring.metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "wikiscore_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "wikiscore_http_request_duration_seconds",
    "Time from request to the end of the response, by route template.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_FLIGHT = Gauge("wikiscore_http_requests_in_flight", "Requests being handled right now.")
RATE_LIMITED = Counter(
    "wikiscore_http_rate_limited_total", "Requests refused with 429 (per-client rate limit)."
)
REJECTED = Counter(
    "wikiscore_http_rejected_total",
    "Requests refused before routing (body or query too large).",
    ["reason"],
)
