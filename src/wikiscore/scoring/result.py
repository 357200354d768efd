"""Result types of scoring an edit: :class:`EditScore` and its :class:`Contribution` list.

Owns the plain dataclasses every front end turns into JSON (CLI lines, ORES/Lift Wing
responses, the patrol page, the score cache). Must not compute anything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class Contribution:
    """How much one feature moved the score (log-odds; positive = towards revert)."""

    feature: str
    value: float | bool | int | None
    contribution: float
    label: str


@dataclass
class EditScore:
    """One edit's score from one model."""

    rev_id: int | None
    model: str
    version: str
    probability: float
    prediction: bool
    level: str
    features: dict[str, Any] | None = None
    contributions: list[Contribution] | None = None
    reasons: list[str] | None = None


def score_to_json(score: EditScore) -> dict[str, Any]:
    """A JSON-ready dict; empty optional parts (features, contributions, reasons) left out."""
    doc = dataclasses.asdict(score)
    for key in ("features", "contributions", "reasons"):
        if doc.get(key) is None:
            doc.pop(key, None)
    return doc
