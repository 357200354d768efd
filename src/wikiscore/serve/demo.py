"""``wikiscore serve --demo``: the local demo wiki, edits replayed into it, precached live.

Starts the demo wiki (``wikiscore.localwiki.demo.start_demo``, which also registers it in
``WIKISCORE_WIKIS``), replays realistic edits into it from a background thread
(``replay_edits``) until the server stops, then stops the wiki's PHP server. Precaching is the
service's job (the CLI adds the demo wiki to ``--precache``).
"""

from __future__ import annotations

import inspect
import logging
import threading
from typing import Any

logger = logging.getLogger("wikiscore.serve")


class DemoRunner:
    def __init__(self) -> None:
        self.local: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def dbname(self) -> str:
        return str(self.local.dbname) if self.local is not None else "demowiki"

    def start_wiki(self) -> Any:
        from wikiscore.localwiki.demo import start_demo

        self.local = start_demo()
        logger.info(
            "demo_wiki_started",
            extra={"fields": {"event": "demo_wiki_started", "api": self.local.api_url}},
        )
        return self.local

    def start_replay(self) -> None:
        from wikiscore.localwiki.demo import replay_edits

        def run() -> None:
            try:
                kwargs: dict[str, Any] = {}
                params = inspect.signature(replay_edits).parameters
                if "stop" in params:
                    kwargs["stop"] = self._stop
                replay_edits(self.local, **kwargs)
            except Exception:
                logger.exception(
                    "demo_replay_failed", extra={"fields": {"event": "demo_replay_failed"}}
                )

        self._thread = threading.Thread(target=run, name="demo-replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        from wikiscore.localwiki.demo import stop_demo

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.local is not None:
            stop_demo()
            logger.info("demo_wiki_stopped", extra={"fields": {"event": "demo_wiki_stopped"}})
