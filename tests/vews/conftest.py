"""Fixtures of the vandal early warning tests: the real VEWS slice and a model trained on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

VEWS_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "vews"


@pytest.fixture(scope="session")
def vews_dir() -> Path:
    return VEWS_FIXTURE


@pytest.fixture(scope="session")
def vews_dataset(vews_dir: Path) -> Any:
    from wikiscore.training.vews_data import load_vews

    return load_vews(vews_dir)


@pytest.fixture(scope="session")
def small_model(tmp_path_factory: pytest.TempPathFactory, vews_dir: Path) -> dict[str, Any]:
    """A user-warning artifact trained on the 61-account slice (2 folds, few trees: seconds)."""
    from wikiscore.training.user_warning import train

    out = tmp_path_factory.mktemp("user-warning-model")
    summary = train(vews_dir, out, {"folds": 2, "rounds": 40, "bootstrap": 20, "threads": 1})
    return {"dir": out, "summary": summary}
