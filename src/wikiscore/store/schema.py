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
    # 2: reviewers' feedback from the patrol page (wikiscore.web.feedback). A reviewer who
    # changes their mind adds a row and the earlier one is marked superseded (kept for audits);
    # submission_id makes a retried POST idempotent. Never used for training automatically.
    """
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        submission_id TEXT NOT NULL UNIQUE,
        wiki TEXT NOT NULL,
        rev_id INTEGER NOT NULL,
        model TEXT NOT NULL,
        model_version TEXT NOT NULL,
        score REAL NOT NULL,
        level TEXT NOT NULL,
        verdict TEXT NOT NULL
            CHECK (verdict IN ('correct', 'false_positive', 'false_negative', 'unsure')),
        note TEXT NOT NULL DEFAULT '',
        reviewer TEXT NOT NULL,
        reviewer_kind TEXT NOT NULL CHECK (reviewer_kind IN ('session', 'token')),
        editor_anon INTEGER NOT NULL,
        editor_newcomer INTEGER,
        created_at TEXT NOT NULL,
        superseded INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX feedback_revision ON feedback (wiki, rev_id);
    CREATE INDEX feedback_model ON feedback (model, model_version);
    CREATE INDEX feedback_current_levels
        ON feedback (superseded, model, model_version, level, verdict, editor_anon);
    CREATE INDEX feedback_current_reviewers
        ON feedback (superseded, model, model_version, reviewer, created_at)
    """,
]
