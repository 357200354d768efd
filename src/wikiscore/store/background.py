"""When background cache writes run: after the scoring CPU step, not during it.

Owns ``Foreground``, one per service (one event loop): the scoring service marks its CPU step
with ``foreground.busy()``, and background writers given the same object (the MediaWiki
clients' revision and user caches, the score cache) ``await foreground.wait_idle()`` before
they start. On a two-core machine a batch's cache write (compressing its texts, then SQLite)
running beside two scoring processes made the CPU step about 4.5 ms longer
(``benchmarks/bench_dispatch.py``); started after it, the write overlaps the next request's
wait for the wiki instead. A writer never waits longer than
``max_wait``, so under constant load writes are late, not lost; until they land, the writers
serve their values from memory.

Must not know what is written or how: it only says when.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

MAX_WAIT = 0.5  # seconds a background write waits for the CPU step to end
SETTLE = 0.005  # seconds a background write waits before it looks


class Foreground:
    """Counts the CPU steps in progress; used from one event loop."""

    def __init__(self) -> None:
        self._busy = 0
        self._idle: asyncio.Event | None = None

    @property
    def is_busy(self) -> bool:
        return self._busy > 0

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Mark a CPU step (use around the await of work done in threads or processes)."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            if not self._busy and self._idle is not None:
                self._idle.set()
                self._idle = None

    async def wait_idle(self, max_wait: float = MAX_WAIT, settle: float = SETTLE) -> None:
        """Return when no CPU step is running, or after ``max_wait`` seconds. Looks only after
        ``settle`` seconds: the writes a fetch causes are scheduled while the fetch finishes,
        a moment before the CPU step that scores what it fetched marks itself busy (without
        this, a traced 50-revision batch had its metadata write start 2 ms into the step)."""
        if settle > 0:
            await asyncio.sleep(settle)
        if not self._busy:
            return
        if self._idle is None:
            self._idle = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), max_wait)
