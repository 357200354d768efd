"""The pure CPU step of edit scoring: revision records → :class:`EditScore` (no I/O).

Owns features → prediction → level → explanation for a batch of records with one model. The
features are computed by ``wikiscore.features.edit`` (the same code whatever the source of the
record), the model applies its own declared input steps, so serving computes exactly what
training saw. A record that cannot be scored (e.g. text not fetched) becomes a
:class:`~wikiscore.errors.WikiscoreError` in its place; the rest of the batch is unaffected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from wikiscore.errors import InvalidInput, WikiscoreError
from wikiscore.models.artifact import ModelArtifact
from wikiscore.models.explain import contribution_list, reasons
from wikiscore.models.inputs import canonical_feature_name
from wikiscore.records import RevisionRecord
from wikiscore.scoring.result import Contribution, EditScore


def _row(values: Mapping[str, Any], names: Sequence[str]) -> list[float]:
    by_name = {canonical_feature_name(k): v for k, v in values.items()}
    row = []
    for name in names:
        value = by_name.get(canonical_feature_name(name))
        if value is None:
            raise InvalidInput(f"feature {name} could not be computed for this revision")
        row.append(float(value))
    return row


def score_edit_records(
    records: Sequence[RevisionRecord],
    model: ModelArtifact,
    *,
    features: bool = False,
    explain: bool = False,
) -> list[EditScore | WikiscoreError]:
    """Score each record; errors are values in the record's place (same order as input).

    ``features`` adds the feature values by their revscoring names; ``explain`` adds every
    feature's contribution (largest first, log-odds) and up to three reasons in plain words.
    """
    results: list[EditScore | WikiscoreError | None] = [None] * len(records)
    rows: list[list[float]] = []
    scored: list[tuple[int, dict[str, Any], Any]] = []
    for i, record in enumerate(records):
        try:
            values, facts = _features(record, with_facts=explain)
            rows.append(_row(values, model.feature_names))
        except WikiscoreError as exc:
            results[i] = exc
            continue
        except (ValueError, TypeError) as exc:
            results[i] = InvalidInput(f"cannot compute features: {exc}")
            continue
        scored.append((i, values, facts))

    if scored:
        X = np.asarray(rows, dtype=np.float64)
        probabilities = model.predict_proba(X)
        contributions = model.contributions(X) if explain else None
        for j, (i, values, facts) in enumerate(scored):
            probability = float(probabilities[j])
            score = EditScore(
                rev_id=records[i].rev_id,
                model=model.name,
                version=model.version,
                probability=probability,
                prediction=probability >= model.default_threshold,
                level=model.level(probability, X[j]),  # group-aware levels need the row
                features=values if features else None,
            )
            if contributions is not None:
                _explain(score, model, values, facts, X[j], contributions[j])
            results[i] = score
    return [r for r in results if r is not None]


def _features(record: RevisionRecord, *, with_facts: bool) -> tuple[dict[str, Any], Any]:
    """Feature values (and, for explanations, the facts behind them) from one extraction."""
    from wikiscore.features import edit

    if not with_facts:
        return dict(edit.edit_feature_values(record)), None
    values, facts = edit.edit_features_with_facts(record)
    return dict(values), facts


def _explain(
    score: EditScore,
    model: ModelArtifact,
    values: Mapping[str, Any],
    facts: Any,
    row: np.ndarray,
    contributions: np.ndarray,
) -> None:
    by_name = {canonical_feature_name(k): v for k, v in values.items()}
    shown = [
        by_name.get(canonical_feature_name(n), row[k]) for k, n in enumerate(model.feature_names)
    ]
    effects = contribution_list(model.feature_names, shown, contributions)
    score.contributions = [Contribution(*effect) for effect in effects]
    score.reasons = reasons(effects, facts, values)
