"""Helpers shared by the service tests (imported by name: tests/serve is on sys.path)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The app served by a real uvicorn on 127.0.0.1 (for clients that need a URL)."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def new_app(registry: Any, directory: Path, **settings: Any) -> Any:
    """A service app with its own store (no rate limit unless given)."""
    from wikiscore.serve.app import create_app
    from wikiscore.serve.settings import ServeSettings
    from wikiscore.store import Store

    settings.setdefault("rate_limit", 0)
    store = Store(directory / "store.sqlite3")
    return create_app(registry, settings=ServeSettings(**settings), store=store)


_EDIT_COUNTER = [0]


def make_edits(local_wiki: Any, count: int, *, ip: str = "192.0.2.77") -> list[int]:
    """``count`` new revisions no test has scored yet (anonymous edits to a sandbox page)."""
    from wikiscore.localwiki.editor import WikiEditor

    rev_ids = []
    with WikiEditor(local_wiki.api_url, ip=ip) as editor:
        for _ in range(count):
            _EDIT_COUNTER[0] += 1
            n = _EDIT_COUNTER[0]
            text = (
                f"'''Sandbox {n}''' is a page used by the service tests.\n\n"
                + "Some words about albedo and light. " * (n % 7 + 1)
                + ("this is SO stupid lol!!!!!" if n % 3 == 0 else "See also [[Albedo]].")
            )
            rev_ids.append(editor.edit(f"Wikiscore sandbox {n % 5}", text, summary=f"edit {n}"))
    return rev_ids
