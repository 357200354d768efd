"""Precaching: follow a wiki's recent changes and score new edits before anyone asks.

Owns the polling loop over ``list=recentchanges`` (through the MediaWiki client, so the wiki's
politeness rules apply), remembering the newest change seen so each edit is scored once, and
handing new revision ids to :class:`~wikiscore.scoring.service.Scorer` in batches of 50 (which
caches them). Optionally reads a Wikimedia EventStreams ``recentchange`` stream instead of
polling, when one is configured for the wiki. Must not know about HTTP front ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wikiscore.errors import WikiscoreError
from wikiscore.scoring import metrics

if TYPE_CHECKING:
    from wikiscore.scoring.service import Scorer

MAX_PAGES_PER_POLL = 10


@dataclass
class PrecacheStatus:
    wiki: str
    running: bool = False
    # Another process (a sibling server worker) holds this wiki's precache lock.
    standby: bool = False
    polls: int = 0
    scored: int = 0
    errors: int = 0
    last_poll: float | None = None
    last_error: str | None = None
    last_rc_id: int | None = None
    source: str = "recentchanges"
    recent_lags: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        lags = sorted(self.recent_lags)
        return {
            "wiki": self.wiki,
            "running": self.running,
            "standby": self.standby,
            "source": self.source,
            "polls": self.polls,
            "scored": self.scored,
            "errors": self.errors,
            "last_poll": self.last_poll,
            "last_error": self.last_error,
            "median_lag_seconds": lags[len(lags) // 2] if lags else None,
        }


class PrecacheWorker:
    """Scores each new edit of one wiki with every edit model the wiki serves."""

    def __init__(
        self,
        scorer: Scorer,
        wiki: str,
        *,
        interval: float = 2.0,
        models: Sequence[str] | None = None,
        eventstreams_url: str | None = None,
        backfill: int = 50,
        lock_dir: Path | None = None,
    ) -> None:
        scorer.registry.get_wiki(wiki)  # UnknownWiki now, not in the background later
        self.scorer = scorer
        self.wiki = wiki
        self.interval = interval
        self.models = list(models) if models else None
        self.eventstreams_url = eventstreams_url
        self.backfill = backfill
        self.status = PrecacheStatus(
            wiki, source="eventstreams" if eventstreams_url else "recentchanges"
        )
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._since: datetime | None = None
        self._lock_path = Path(lock_dir) / f"precache-{wiki}.lock" if lock_dir else None
        self._lock_fd: int | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name=f"precache-{self.wiki}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self.status.running = False

    async def run(self) -> None:
        self.status.running = True
        try:
            # With several server processes only one follows a wiki; the others stand by and
            # take over if it exits (the lock is released with its process).
            while not self._take_lock():
                self.status.standby = True
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=5.0)
                    return
                except TimeoutError:
                    continue
            self.status.standby = False
            if self.eventstreams_url:
                await self._follow_stream()
            else:
                await self._poll_forever()
        finally:
            self.status.running = False
            self._release_lock()

    def _take_lock(self) -> bool:
        if self._lock_path is None or self._lock_fd is not None:
            return True
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- polling ------------------------------------------------------------------------------
    async def _poll_forever(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep following; the next poll may succeed
                self._record_error(exc)
            delay = max(0.05, self.interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def poll_once(self) -> int:
        """One look at recent changes; scores what is new. Returns how many edits were scored."""
        client = self.scorer.pool.client(self.wiki)
        new: list[Any] = []
        token: str | None = None
        for _ in range(MAX_PAGES_PER_POLL):
            page = await client.recent_changes(
                limit=50, since=self._since, continue_token=token, types=("edit", "new")
            )
            fresh = [
                rc
                for rc in page.items
                if rc.rev_id
                and (self.status.last_rc_id is None or rc.rc_id > self.status.last_rc_id)
            ]
            new.extend(fresh)
            first_poll = self.status.last_rc_id is None
            # Keep paging only while a whole page was new (a burst bigger than one page).
            if first_poll or not page.continue_token or len(fresh) < len(page.items):
                break
            token = page.continue_token
        self.status.polls += 1
        self.status.last_poll = time.time()
        backfilling = self.status.last_rc_id is None
        if backfilling:
            new = sorted(new, key=lambda rc: rc.rc_id)[-self.backfill :] if self.backfill else []
            latest = max((rc.rc_id for rc in page.items), default=0)
            self.status.last_rc_id = latest
        if not new:
            return 0
        new.sort(key=lambda rc: rc.rc_id)
        self.status.last_rc_id = max(self.status.last_rc_id or 0, new[-1].rc_id)
        newest = (
            max(rc.timestamp for rc in new if rc.timestamp is not None)
            if any(rc.timestamp is not None for rc in new)
            else None
        )
        if newest is not None:
            # A little overlap: changes saved in the same second are filtered by rc_id.
            self._since = newest - timedelta(seconds=1)
        # Lag is measured only for edits seen live, not for the backfill of older ones.
        stamps = {rc.rev_id: None if backfilling else rc.timestamp for rc in new}
        return await self._score(list(dict.fromkeys(rc.rev_id for rc in new)), stamps)

    async def _score(self, rev_ids: list[int], stamps: dict[int, datetime | None]) -> int:
        models = self.models or list(self.scorer.models_for(self.wiki, "edit"))
        if not models:
            return 0
        scored = 0
        for start in range(0, len(rev_ids), 50):
            chunk = rev_ids[start : start + 50]
            # Explained: the patrol page asks for explanations, ORES clients for plain scores;
            # an explained score is cached for both.
            results = await self.scorer.score_revisions(self.wiki, models, chunk, explain=True)
            now = datetime.now(UTC)
            for rev_id, by_model in results.items():
                if any(not isinstance(v, WikiscoreError) for v in by_model.values()):
                    scored += 1
                    stamp = stamps.get(rev_id)
                    if stamp is not None:
                        lag = max(0.0, (now - stamp).total_seconds())
                        metrics.PRECACHE_LAG.labels(self.wiki).observe(lag)
                        self.status.recent_lags = [*self.status.recent_lags[-99:], lag]
        metrics.PRECACHE_SCORED.labels(self.wiki).inc(scored)
        self.status.scored += scored
        return scored

    def _record_error(self, exc: BaseException) -> None:
        self.status.errors += 1
        self.status.last_error = f"{type(exc).__name__}: {exc}"
        metrics.PRECACHE_ERRORS.labels(self.wiki).inc()
        metrics.log_event("precache_error", wiki=self.wiki, error=self.status.last_error)

    # -- EventStreams -------------------------------------------------------------------------
    async def _follow_stream(self) -> None:
        """Read server-sent ``recentchange`` events; reconnect with backoff on failure."""
        backoff = 1.0
        while not self._stopping.is_set():
            try:
                async for event in self._stream_events():
                    backoff = 1.0
                    rev_id, stamp = _edit_from_event(event, self.wiki)
                    if rev_id is not None:
                        self.status.polls += 1
                        self.status.last_poll = time.time()
                        await self._score([rev_id], {rev_id: stamp})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._record_error(exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
            backoff = min(backoff * 2, 60.0)

    async def _stream_events(self) -> AsyncIterator[dict[str, Any]]:
        import httpx

        from wikiscore.config import user_agent

        assert self.eventstreams_url is not None
        headers = {"Accept": "text/event-stream", "User-Agent": user_agent()}
        timeout = httpx.Timeout(10.0, read=60.0)
        async with (
            httpx.AsyncClient(timeout=timeout, headers=headers) as http,
            http.stream("GET", self.eventstreams_url) as response,
        ):
            response.raise_for_status()
            data: list[str] = []
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif not line and data:
                    try:
                        event = json.loads("\n".join(data))
                    except ValueError:
                        event = None
                    data = []
                    if isinstance(event, dict):
                        yield event


def _edit_from_event(event: dict[str, Any], wiki: str) -> tuple[int | None, datetime | None]:
    """(new revision id, time) of a ``recentchange`` event for this wiki's edits, else None."""
    if event.get("wiki") != wiki or event.get("type") not in ("edit", "new"):
        return None, None
    revision = event.get("revision") or {}
    rev_id = revision.get("new") if isinstance(revision, dict) else None
    if not isinstance(rev_id, int) or isinstance(rev_id, bool) or rev_id <= 0:
        return None, None
    stamp = event.get("timestamp")
    when = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, (int, float)) else None
    return rev_id, when
