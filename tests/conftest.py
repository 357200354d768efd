"""Shared test set-up: every test session gets its own WIKISCORE_HOME (no state leaks in or out).

Fixtures for the real local MediaWiki live in ``tests/wiki_fixtures.py`` (started once per
session); area-specific fixtures live next to their tests.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="wikiscore-test-home-"))
os.environ["WIKISCORE_HOME"] = str(_SESSION_HOME)
os.environ.pop("WIKISCORE_WIKIS", None)
os.environ.pop("WIKISCORE_CONFIG", None)
os.environ.pop("WIKISCORE_STORE", None)

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
