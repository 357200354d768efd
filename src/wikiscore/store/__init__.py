"""The embedded store: one SQLite file (WAL) under the data directory.

Owns persistence: the schema and its migrations (``schema.py``, the only place tables are made),
a key-value cache with optional expiry (immutable revision content, short-lived user info,
scores), and the durable tables other packages write to (e.g. reviewers' feedback). Also owns
the optional Redis adapter for a score cache shared by several replicas. Must not know what the
cached values mean: callers encode and decode them.

The store is synchronous (sqlite3); async callers run it in a worker thread.
"""

from wikiscore.store.sqlite import Store

__all__ = ["Store"]
