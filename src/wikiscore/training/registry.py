"""Which training and evaluation job serves each model name of ``wikiscore train/evaluate``.

Entries are ``"module:attribute"`` strings resolved lazily, so ``wikiscore --help`` does not
import LightGBM. Each attribute is a :class:`ModelJob`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wikiscore.errors import UnknownModel


@dataclass(frozen=True)
class ModelJob:
    """How to train and evaluate one model.

    ``train(data, out, options)`` writes an artifact directory and returns a JSON-able summary.
    ``evaluate(data, model_dir, predictions, report, options)`` returns JSON-able metrics,
    writing the predictions file and the report directory when they are given.
    """

    name: str
    description: str
    default_data: str
    train: Callable[..., dict[str, Any]]
    evaluate: Callable[..., dict[str, Any]]


_JOBS: dict[str, str] = {
    "enwiki-editrisk": "wikiscore.training.editrisk:JOB",
    "enwiki-editrisk-content": "wikiscore.training.editrisk:CONTENT_JOB",
    "user-warning": "wikiscore.training.user_warning:JOB",
    "user-warning-signals": "wikiscore.training.user_warning:SIGNALS_JOB",
}


def job_names() -> list[str]:
    return sorted(_JOBS)


def get_job(name: str) -> ModelJob:
    target = _JOBS.get(name)
    if target is None:
        known = ", ".join(job_names()) or "none yet"
        raise UnknownModel(f"unknown model {name!r}; trainable models: {known}")
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def default_model_dir(name: str) -> Path:
    """Where the committed artifact of ``name`` lives inside the package."""
    return Path(__file__).resolve().parent.parent / "models" / "artifacts" / name
