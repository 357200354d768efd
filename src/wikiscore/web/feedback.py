"""Reviewers' feedback on scored edits: validation, durable storage, export and statistics.

Owns the ``feedback`` table (migration 2 in ``wikiscore.store.schema``). Verdicts are never
changed or deleted: a reviewer who changes their mind adds a row, and the earlier row of the same
(reviewer, wiki, revision, model, version) is only marked ``superseded`` (statistics count the
current verdicts; exports keep the whole history). Each row keeps what the reviewer saw (model,
version, score, level) so that an audit can tell which model version a verdict is about.

Feedback is **never fed into training automatically**: reviewers see the model's flags, so
their verdicts are biased towards what the model shows them (a feedback loop). Exports are for
audits and for deliberate, documented relabelling by people.

Must not fetch from wikis or compute scores.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from wikiscore.errors import InvalidInput
from wikiscore.store import Store

VERDICTS: tuple[str, ...] = ("correct", "false_positive", "false_negative", "unsure")
LEVELS: tuple[str, ...] = ("likely_good", "may_have_problems", "likely_bad", "very_likely_bad")
# A level at or above which an edit counts as flagged by the model (as on the ORES filters,
# "may have problems" is already a flag: it is the high-recall level).
FLAGGED_LEVELS: frozenset[str] = frozenset(LEVELS[1:])
MAX_NOTE_CHARS = 2000
MAX_REVIEWER_CHARS = 80

_NAME_RE = re.compile(r"^[a-z0-9_]{1,64}$")
_MODEL_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9_.+\-]{1,64}$")
_SUBMISSION_RE = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


class FeedbackSubmission(BaseModel):
    """One verdict as posted by the patrol page (or an API client)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    wiki: str
    rev_id: int = Field(gt=0)
    model: str
    model_version: str
    score: float = Field(ge=0.0, le=1.0)
    level: Literal["likely_good", "may_have_problems", "likely_bad", "very_likely_bad"]
    verdict: Literal["correct", "false_positive", "false_negative", "unsure"]
    note: str = Field(default="", max_length=MAX_NOTE_CHARS)
    editor_anon: bool
    editor_newcomer: bool | None = None
    submission_id: str | None = None

    @field_validator("wiki")
    @classmethod
    def _wiki(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError("must be a wiki database name like enwiki")
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if not _MODEL_RE.match(value):
            raise ValueError("must be a model name like enwiki-editrisk")
        return value

    @field_validator("model_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION_RE.match(value):
            raise ValueError("must be a model version like 1.0.0")
        return value

    @field_validator("submission_id")
    @classmethod
    def _submission(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _SUBMISSION_RE.match(value):
            raise ValueError("must be 8 to 64 letters, digits or dashes (e.g. a UUID)")
        return value


def parse_submission(data: Any) -> FeedbackSubmission:
    """Validate posted feedback; :class:`InvalidInput` says which field was wrong and why."""
    if not isinstance(data, dict):
        raise InvalidInput("feedback must be a form or a JSON object")
    # HTML forms send empty strings for optional fields left blank.
    cleaned = {k: v for k, v in data.items() if not (k == "editor_newcomer" and v in ("", None))}
    try:
        return FeedbackSubmission.model_validate(cleaned)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err["loc"]) or "feedback"
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "literal_error" and where == "verdict":
                message = "must be one of " + ", ".join(VERDICTS)
            elif err["type"] == "literal_error" and where == "level":
                message = "must be one of " + ", ".join(LEVELS)
            parts.append(f"{where}: {message}")
        raise InvalidInput("invalid feedback: " + "; ".join(parts)) from exc


def clean_reviewer(name: str) -> str:
    """A reviewer name: printable, at most 80 characters; InvalidInput otherwise."""
    name = " ".join(str(name).split())
    if not name:
        raise InvalidInput("reviewer name must not be empty")
    if len(name) > MAX_REVIEWER_CHARS:
        raise InvalidInput(f"reviewer name must be at most {MAX_REVIEWER_CHARS} characters")
    if not name.isprintable():
        raise InvalidInput("reviewer name must contain printable characters only")
    return name


@dataclass(frozen=True)
class Feedback:
    """One stored verdict (a row of the ``feedback`` table)."""

    id: int
    submission_id: str
    wiki: str
    rev_id: int
    model: str
    model_version: str
    score: float
    level: str
    verdict: str
    note: str
    reviewer: str
    reviewer_kind: str
    editor_anon: bool
    editor_newcomer: bool | None
    created_at: str
    superseded: bool = False  # a later verdict of the same reviewer replaced this one

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class VerdictCounts:
    """Counts of latest verdicts in one slice (a level, or an editor group)."""

    total: int = 0
    correct: int = 0
    false_positive: int = 0
    false_negative: int = 0
    unsure: int = 0

    def add(self, verdict: str, count: int = 1) -> None:
        self.total += count
        setattr(self, verdict, getattr(self, verdict) + count)

    @property
    def false_positive_rate(self) -> float | None:
        """Share of decided verdicts on flagged edits that reviewers called false positives."""
        decided = self.correct + self.false_positive
        return self.false_positive / decided if decided else None


@dataclass
class ModelVersionStats:
    """Reported feedback for one model version: by level and by anonymous/registered editors."""

    model: str
    model_version: str
    reviews: int = 0
    reviewers: int = 0
    first_at: str | None = None
    last_at: str | None = None
    by_level: dict[str, VerdictCounts] = field(default_factory=dict)
    flagged_by_editor: dict[str, VerdictCounts] = field(default_factory=dict)


_COLUMNS = (
    "id, submission_id, wiki, rev_id, model, model_version, score, level, verdict, note, "
    "reviewer, reviewer_kind, editor_anon, editor_newcomer, created_at, superseded"
)
# Writers of this process queue here (a lock hands over at once) rather than in SQLite's busy
# handler, which sleeps; other processes still wait in the busy handler.
_WRITE_LOCK = threading.Lock()


def _row(values: Sequence[Any]) -> Feedback:
    (id_, sub, wiki, rev, model, version, score, level, verdict, note, reviewer, kind, anon,
     newcomer, created, superseded) = values  # fmt: skip
    return Feedback(
        id=id_,
        submission_id=sub,
        wiki=wiki,
        rev_id=rev,
        model=model,
        model_version=version,
        score=score,
        level=level,
        verdict=verdict,
        note=note,
        reviewer=reviewer,
        reviewer_kind=kind,
        editor_anon=bool(anon),
        editor_newcomer=None if newcomer is None else bool(newcomer),
        created_at=created,
        superseded=bool(superseded),
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FeedbackStore:
    """Feedback in the embedded store. Safe for many threads and processes at once (WAL,
    ``BEGIN IMMEDIATE``, synchronous=FULL: a row acknowledged is a row kept)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self, submission: FeedbackSubmission, *, reviewer: str, reviewer_kind: str = "session"
    ) -> tuple[Feedback, bool]:
        """Store a verdict. Returns (row, created); a repeated submission_id returns the
        original row with created=False (a retried POST is not counted twice)."""
        reviewer = clean_reviewer(reviewer)
        if reviewer_kind not in ("session", "token"):
            raise InvalidInput("reviewer_kind must be 'session' or 'token'")
        submission_id = submission.submission_id or str(uuid.uuid4())
        with _WRITE_LOCK, self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO feedback (submission_id, wiki, rev_id, model,"
                " model_version, score, level, verdict, note, reviewer, reviewer_kind,"
                " editor_anon, editor_newcomer, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    submission_id,
                    submission.wiki,
                    submission.rev_id,
                    submission.model,
                    submission.model_version,
                    submission.score,
                    submission.level,
                    submission.verdict,
                    submission.note,
                    reviewer,
                    reviewer_kind,
                    int(submission.editor_anon),
                    None if submission.editor_newcomer is None else int(submission.editor_newcomer),
                    _now(),
                ),
            )
            created = cur.rowcount == 1
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM feedback WHERE submission_id = ?", (submission_id,)
            ).fetchone()
            if created:
                # The new row is the newest (writers are serialized): earlier verdicts of this
                # reviewer on this edit and model version stop counting.
                conn.execute(
                    "UPDATE feedback SET superseded = 1 WHERE wiki = ? AND rev_id = ?"
                    " AND reviewer = ? AND model = ? AND model_version = ? AND id < ?"
                    " AND superseded = 0",
                    (row[2], row[3], row[10], row[4], row[5], row[0]),
                )
        return _row(row), created

    def count(self) -> int:
        return int(self.store.connection().execute("SELECT count(*) FROM feedback").fetchone()[0])

    def latest_for_revisions(
        self, wiki: str, rev_ids: Sequence[int], *, reviewer: str | None = None
    ) -> dict[int, list[Feedback]]:
        """Current verdict of each reviewer (or only ``reviewer``) on each revision."""
        found: dict[int, list[Feedback]] = {}
        ids = list(dict.fromkeys(int(r) for r in rev_ids))
        conn = self.store.connection()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = (
                f"SELECT {_COLUMNS} FROM feedback WHERE wiki = ? AND superseded = 0"
                f" AND rev_id IN ({','.join('?' * len(chunk))})"
            )
            params: list[Any] = [wiki, *chunk]
            if reviewer is not None:
                sql += " AND reviewer = ?"
                params.append(reviewer)
            for values in conn.execute(sql + " ORDER BY id", params):
                item = _row(values)
                found.setdefault(item.rev_id, []).append(item)
        return found

    def iter_all(
        self, *, model: str | None = None, wiki: str | None = None, since: datetime | None = None
    ) -> Iterator[Feedback]:
        """Every row, oldest first (the full history, not only latest verdicts)."""
        clauses, params = [], []
        if model:
            clauses.append("model = ?")
            params.append(model)
        if wiki:
            clauses.append("wiki = ?")
            params.append(wiki)
        if since is not None:
            clauses.append("created_at >= ?")
            params.append(since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        cur = self.store.connection().execute(
            f"SELECT {_COLUMNS} FROM feedback {where} ORDER BY id", params
        )
        for values in cur:
            yield _row(values)

    def stats(self, *, model: str | None = None) -> list[ModelVersionStats]:
        """Current verdicts per model version, by level and by editor group (flagged edits).

        Counted in SQL over covering indexes: fast with hundreds of thousands of rows.
        """
        where, params = ("AND model = ?", [model]) if model else ("", [])
        conn = self.store.connection()
        groups = conn.execute(
            "SELECT model, model_version, level, verdict, editor_anon, count(*) FROM feedback"
            f" WHERE superseded = 0 {where} GROUP BY model, model_version, level, verdict,"
            " editor_anon",
            params,
        ).fetchall()
        totals = conn.execute(
            "SELECT model, model_version, count(*), count(DISTINCT reviewer), min(created_at),"
            f" max(created_at) FROM feedback WHERE superseded = 0 {where}"
            " GROUP BY model, model_version",
            params,
        ).fetchall()
        by_version: dict[tuple[str, str], ModelVersionStats] = {}
        for name, version, reviews, reviewers, first_at, last_at in totals:
            by_version[(name, version)] = ModelVersionStats(
                model=name,
                model_version=version,
                reviews=reviews,
                reviewers=reviewers,
                first_at=first_at,
                last_at=last_at,
                by_level={level: VerdictCounts() for level in LEVELS},
                flagged_by_editor={g: VerdictCounts() for g in ("anonymous", "registered")},
            )
        for name, version, level, verdict, anon, count in groups:
            stats = by_version[(name, version)]
            stats.by_level.setdefault(level, VerdictCounts()).add(verdict, count)
            if level in FLAGGED_LEVELS:
                group = "anonymous" if anon else "registered"
                stats.flagged_by_editor[group].add(verdict, count)
        return sorted(by_version.values(), key=lambda s: (s.model, s.model_version), reverse=True)


def verdict_for_judgement(judgement: str, level: str) -> str:
    """Map a reviewer's quick judgement of the edit (good / bad / unsure) to a verdict on the
    model: a good edit the model flagged is a false positive, a bad one it did not flag a false
    negative; otherwise the model was correct."""
    flagged = level in FLAGGED_LEVELS
    if judgement == "good":
        return "false_positive" if flagged else "correct"
    if judgement == "bad":
        return "correct" if flagged else "false_negative"
    if judgement == "unsure":
        return "unsure"
    raise InvalidInput("judgement must be one of good, bad, unsure")
