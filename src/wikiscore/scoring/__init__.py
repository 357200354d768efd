"""Scoring: (wiki, model, revision ids or records) → scores.

Owns the request path shared by every front end: cache lookup → de-duplication of work in
flight → one batched upstream fetch for all misses → features → prediction in a worker thread →
cache write. Errors are per item. Must not know about HTTP request or response shapes.
"""
