"""SQLite store: WAL journal, one connection per thread, migrations applied on open."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from wikiscore.store.schema import MIGRATIONS


class Store:
    """A SQLite database file shared by threads and processes (WAL allows concurrent readers)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._migrate()

    # -- connections -------------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across application crashes in WAL mode; FULL also survives
            # power loss. Feedback must not be lost, so we pay for FULL.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``: writers queue instead of failing with 'locked'."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _migrate(self) -> None:
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for version, script in enumerate(MIGRATIONS, start=1):
                if version > current:
                    for statement in filter(str.strip, script.split(";")):
                        conn.execute(statement)
                    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    @property
    def schema_version(self) -> int:
        row = self.connection().execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    # -- key-value cache ---------------------------------------------------------------------
    def kv_get(self, namespace: str, key: str) -> bytes | None:
        return self.kv_get_many(namespace, [key]).get(key)

    def kv_get_many(self, namespace: str, keys: Iterable[str]) -> dict[str, bytes]:
        keys = list(dict.fromkeys(keys))
        found: dict[str, bytes] = {}
        now = time.time()
        conn = self.connection()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"SELECT key, value FROM kv_cache WHERE namespace = ? AND key IN ({marks})"
                " AND (expires_at IS NULL OR expires_at > ?)",
                (namespace, *chunk, now),
            )
            found.update((k, bytes(v)) for k, v in rows)
        return found

    def kv_put(self, namespace: str, key: str, value: bytes, ttl: float | None = None) -> None:
        self.kv_put_many(namespace, {key: value}, ttl=ttl)

    def kv_put_many(
        self, namespace: str, items: dict[str, bytes], ttl: float | None = None
    ) -> None:
        if not items:
            return
        now = time.time()
        expires = now + ttl if ttl is not None else None
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO kv_cache (namespace, key, value, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(namespace, k, v, now, expires) for k, v in items.items()],
            )

    def kv_purge_expired(self) -> int:
        with self.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM kv_cache WHERE expires_at IS NOT NULL AND expires_at <= ?",
                (time.time(),),
            )
            return cur.rowcount
