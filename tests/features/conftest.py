"""Fixtures for the edit-feature tests: the revscoring parity records (committed, xz)."""

from __future__ import annotations

import json
import lzma
from pathlib import Path
from typing import Any

import pytest

PARITY_FILE = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "features"
    / ("editfeatures_parity.jsonl.xz")
)


@pytest.fixture(scope="session")
def parity_file() -> Path:
    return PARITY_FILE


@pytest.fixture(scope="session")
def parity_records() -> list[dict[str, Any]]:
    with lzma.open(PARITY_FILE, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="session")
def parity_revisions(parity_records: list[dict[str, Any]]) -> list[Any]:
    from wikiscore.records import revision_from_json

    return [revision_from_json(record) for record in parity_records]
