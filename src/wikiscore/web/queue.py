"""The patrol queue: a wiki's recent changes, scored by the scoring layer, ranked by risk.

Fetches through the shared :class:`ClientPool` (recent changes, editors' user info, diffs) and
scores through :class:`Scorer`, exactly like the APIs. Computes no feature and no score itself:
the only judgement made here is presentational (is an editor a newcomer, which rows match the
reviewer's filters). A short-lived cache shares one scored snapshot between reviewers who look
at the same wiki and model, so many reviewers polling do not multiply upstream requests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from wikiscore.errors import WikiscoreError

EditorFilter = Literal["all", "anonymous", "registered", "newcomers"]
EDITOR_FILTERS: tuple[str, ...] = ("all", "anonymous", "registered", "newcomers")
LEVEL_ORDER: tuple[str, ...] = ("likely_good", "may_have_problems", "likely_bad", "very_likely_bad")
# Levels of the vandal early-warning model (shown beside an account's edits).
USER_LEVELS: tuple[str, ...] = ("likely_benign", "watch", "likely_vandal", "very_likely_vandal")
# Newcomers as on Wikipedia's RecentChanges filters: not yet autoconfirmed, i.e. fewer than
# 10 edits or an account younger than 4 days.
NEWCOMER_MAX_EDITS = 10
NEWCOMER_MAX_AGE = timedelta(days=4)
SNAPSHOT_TTL_SECONDS = 5.0
USER_SCORE_TTL_SECONDS = 120.0
MAX_USER_SCORES_PER_SNAPSHOT = 20
MAX_CACHED_USER_SCORES = 10_000


@dataclass(frozen=True)
class QueueQuery:
    """What a reviewer asked to see."""

    wiki: str
    model: str
    namespace: int | None = None  # None: every namespace
    min_level: str = "likely_good"
    editors: EditorFilter = "all"
    limit: int = 50
    user_model: str | None = None  # the vandal early-warning model, when there is one


@dataclass
class QueueRow:
    """One scored recent change, as the page shows it."""

    wiki: str
    rev_id: int
    parent_id: int | None
    title: str
    namespace: int
    user: str
    anon: bool
    newcomer: bool
    bot: bool
    old_size: int | None
    new_size: int | None
    comment: str
    timestamp: datetime
    model: str
    model_version: str | None = None
    probability: float | None = None
    level: str | None = None
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    user_score: Any | None = None  # UserScore of the editor (vandal early warning), if any
    is_creation: bool = False

    @property
    def size_change(self) -> int | None:
        if self.new_size is None:
            return None
        return self.new_size - (self.old_size or 0)

    @property
    def level_rank(self) -> int:
        return LEVEL_ORDER.index(self.level) if self.level in LEVEL_ORDER else -1


@dataclass
class QueueSnapshot:
    rows: list[QueueRow]
    fetched_at: datetime
    errors: list[str] = field(default_factory=list)


def is_newcomer(user: Any, now: datetime) -> bool:
    """Registered and not yet autoconfirmed (fewer than 10 edits or younger than 4 days)."""
    if user is None or getattr(user, "anon", False):
        return False
    edits = getattr(user, "edit_count", None)
    registration = getattr(user, "registration", None)
    if edits is not None and edits < NEWCOMER_MAX_EDITS:
        return True
    return registration is not None and now - registration < NEWCOMER_MAX_AGE


def filter_rows(rows: Sequence[QueueRow], query: QueueQuery) -> list[QueueRow]:
    """Rows matching the reviewer's filters, riskiest first (errors last, newest first among
    equal scores)."""
    min_rank = LEVEL_ORDER.index(query.min_level) if query.min_level in LEVEL_ORDER else 0
    kept = []
    for row in rows:
        if query.editors == "anonymous" and not row.anon:
            continue
        if query.editors == "registered" and row.anon:
            continue
        if query.editors == "newcomers" and not row.newcomer:
            continue
        if row.error is None and row.level_rank < min_rank:
            continue
        if row.error is not None and min_rank > 0:
            continue
        kept.append(row)
    kept.sort(key=lambda r: (r.probability is None, -(r.probability or 0.0), -r.rev_id))
    return kept[: query.limit]


class PatrolQueue:
    """Builds scored snapshots of recent changes; shared by every reviewer of one process."""

    def __init__(self, pool: Any, scorer: Any, *, fetch_limit: int = 100) -> None:
        self.pool = pool
        self.scorer = scorer
        self.fetch_limit = fetch_limit
        self._snapshots: dict[tuple[Any, ...], tuple[float, QueueSnapshot]] = {}
        self._locks: dict[tuple[Any, ...], asyncio.Lock] = {}
        self._user_scores: dict[tuple[str, str, str], tuple[float, Any]] = {}
        self._pending: set[tuple[str, str, str]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def rows(self, query: QueueQuery) -> QueueSnapshot:
        key = (query.wiki, query.model, query.namespace, query.user_model)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:  # concurrent reviewers wait for one fetch instead of each doing one
            cached = self._snapshots.get(key)
            if cached is not None and time.monotonic() - cached[0] < SNAPSHOT_TTL_SECONDS:
                snapshot = cached[1]
            else:
                snapshot = await self._fetch(query)
                self._snapshots[key] = (time.monotonic(), snapshot)
        return replace(snapshot, rows=filter_rows(snapshot.rows, query))

    async def _fetch(self, query: QueueQuery) -> QueueSnapshot:
        client = self.pool.client(query.wiki)
        namespaces = None if query.namespace is None else [query.namespace]
        page = await client.recent_changes(limit=self.fetch_limit, namespaces=namespaces)
        now = datetime.now(UTC)
        # Bots' edits are left out, as on the patrolling tools (they are reviewed elsewhere).
        changes = [c for c in page.items if not c.bot and c.rev_id]
        names = sorted({c.user for c in changes if not c.anon and c.user})
        users: dict[str, Any] = {}
        errors: list[str] = []
        if names:
            found = await client.get_users(names)
            users = {n: u for n, u in found.items() if not isinstance(u, WikiscoreError)}
        rows = [
            QueueRow(
                wiki=query.wiki,
                rev_id=c.rev_id,
                parent_id=c.parent_id or None,
                title=c.title,
                namespace=c.namespace,
                user=c.user or "",
                anon=bool(c.anon),
                newcomer=is_newcomer(users.get(c.user), now),
                bot=bool(c.bot),
                old_size=c.old_size,
                new_size=c.new_size,
                comment=c.comment or "",
                timestamp=c.timestamp or now,
                model=query.model,
                is_creation=c.type == "new" or not c.parent_id,
            )
            for c in changes
        ]
        if rows:
            scores = await self.scorer.score_revisions(
                query.wiki, [query.model], [r.rev_id for r in rows], explain=True
            )
            for row in rows:
                apply_score(row, scores.get(row.rev_id, {}).get(query.model))
        if query.user_model:
            await self._attach_user_scores(query, rows, errors)
        return QueueSnapshot(rows=rows, fetched_at=now, errors=errors)

    async def _attach_user_scores(
        self, query: QueueQuery, rows: list[QueueRow], errors: list[str]
    ) -> None:
        """The early-warning score of newcomers (the accounts that model is made for).

        Scores already known are attached; missing ones are computed in the background (one
        upstream request per account) and appear with a later refresh, so a page of new
        accounts never holds the queue up.
        """
        assert query.user_model is not None
        names = list(dict.fromkeys(r.user for r in rows if r.newcomer and r.user))
        known: dict[str, Any] = {}
        for name in names[:MAX_USER_SCORES_PER_SNAPSHOT]:
            key = (query.wiki, query.user_model, name)
            cached = self._user_scores.get(key)
            if cached is not None and time.monotonic() - cached[0] < USER_SCORE_TTL_SECONDS:
                known[name] = cached[1]
            elif key not in self._pending:
                self._pending.add(key)
                task = asyncio.create_task(self._background_user_score(key))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        for row in rows:
            if known.get(row.user) is not None:
                row.user_score = known[row.user]

    async def _background_user_score(self, key: tuple[str, str, str]) -> None:
        try:
            await self.user_score(*key)
        finally:
            self._pending.discard(key)

    async def user_score(self, wiki: str, model: str, username: str) -> Any | None:
        """An editor's vandal early-warning score (cached briefly), or None when unavailable."""
        key = (wiki, model, username)
        cached = self._user_scores.get(key)
        if cached is not None and time.monotonic() - cached[0] < USER_SCORE_TTL_SECONDS:
            return cached[1]
        try:
            result = await self.scorer.score_user(wiki, model, username)
        except WikiscoreError:
            result = None
        if isinstance(result, WikiscoreError):
            result = None
        if len(self._user_scores) >= MAX_CACHED_USER_SCORES:
            self._user_scores.clear()  # a crude bound; scores are cheap to recompute
        self._user_scores[key] = (time.monotonic(), result)
        return result


def apply_score(row: QueueRow, score: Any) -> None:
    """Copy an EditScore (or the error in its place) onto a row."""
    if score is None:
        row.error = "not scored"
    elif isinstance(score, WikiscoreError):
        row.error = score.message
    else:
        row.model_version = score.version
        row.probability = float(score.probability)
        row.level = score.level
        row.reasons = list(score.reasons or [])
