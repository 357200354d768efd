"""Fixtures for the MediaWiki tests: faults injected on the session wiki, cleared after each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mw_helpers import FAULT_AGENT

from wikiscore.localwiki.server import LocalWiki, clear_faults, set_fake_lag, set_faults


@pytest.fixture
def faults(local_wiki: LocalWiki) -> Iterator[Any]:
    """``faults([...])`` injects faults for FAULT_AGENT clients; all cleared after the test."""

    def inject(items: list[dict[str, Any]]) -> None:
        set_faults(local_wiki.directory, [{"user_agent": FAULT_AGENT, **f} for f in items])

    yield inject
    clear_faults(local_wiki.directory)
    set_fake_lag(local_wiki.directory, None)


@pytest.fixture
def wiki_dir(local_wiki: LocalWiki) -> Path:
    return Path(local_wiki.directory)
