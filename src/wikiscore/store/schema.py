"""Schema migrations, in order. Append new ones; never edit a migration that has shipped."""

MIGRATIONS: list[str] = [
    # 1: generic key-value cache with optional expiry (unix seconds).
    """
    CREATE TABLE kv_cache (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL,
        PRIMARY KEY (namespace, key)
    ) WITHOUT ROWID;
    CREATE INDEX kv_cache_expiry ON kv_cache (expires_at) WHERE expires_at IS NOT NULL;
    """,
]
