"""Early-warning metrics: how many edits an account makes before a detector flags it.

Owns the user-level view of a detector that scores an account again after each of its edits:
an account is *flagged* at the first edit whose score reaches the threshold; a benign account
that is ever flagged (over all its edits) is a false positive. :func:`threshold_at_user_fpr`
picks the threshold for a target false-positive rate, :func:`edits_to_flag` reports the mean
number of edits before a vandal is flagged (VEWS, Kumar et al. 2015), and
:func:`compare_on_common` compares two detectors on the vandals both flag. Pure functions over
per-user score sequences (one score per edit, oldest first); must not read files or know models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

NEVER = 0  # "first flagged at edit 0" means never flagged


def _max_scores(sequences: Sequence[np.ndarray]) -> np.ndarray:
    return np.array(
        [float(np.max(s)) if len(s) else -math.inf for s in sequences], dtype=np.float64
    )


def threshold_at_user_fpr(
    sequences: Sequence[np.ndarray], is_positive: Any, fpr: float = 0.05
) -> float:
    """The lowest threshold at which at most ``fpr`` of the negative users are ever flagged.

    A user is ever flagged when the maximum of their scores is ``>= threshold``. Returns
    ``inf`` when there are no negatives.
    """
    positive = np.asarray(is_positive, dtype=bool)
    negatives = np.sort(_max_scores(sequences)[~positive])
    if negatives.size == 0:
        return math.inf
    allowed = math.floor(fpr * negatives.size + 1e-9)
    if allowed >= negatives.size:
        return float(negatives[0])
    # The (allowed+1)-th highest negative must stay below the threshold: take the smallest
    # number above it, which flags as many positives as the constraint allows.
    blocker = float(negatives[negatives.size - allowed - 1])
    return float(np.nextafter(blocker, math.inf)) if math.isfinite(blocker) else math.inf


def first_flag(sequences: Sequence[np.ndarray], threshold: float) -> np.ndarray:
    """Per user, the 1-based number of the first edit scoring ``>= threshold`` (0 = never)."""
    out = np.zeros(len(sequences), dtype=np.int64)
    for i, scores in enumerate(sequences):
        hits = np.flatnonzero(np.asarray(scores) >= threshold)
        out[i] = hits[0] + 1 if hits.size else NEVER
    return out


def edits_to_flag(
    sequences: Sequence[np.ndarray],
    is_positive: Any,
    *,
    threshold: float | None = None,
    fpr: float = 0.05,
    max_edits_histogram: int = 10,
) -> dict[str, Any]:
    """Mean edits before a vandal is flagged, at ``threshold`` or at the user-level ``fpr``.

    Keys: ``threshold``, ``fpr`` (share of negative users ever flagged), ``recall`` (share of
    vandals ever flagged), ``vandals_flagged``, ``mean_edits`` and ``median_edits`` (over the
    flagged vandals), ``mean_edits_all_vandals`` (never-flagged vandals counted with all their
    edits + 1, a pessimistic figure), and ``histogram`` (flagged at edit 1..N, ``>N``,
    ``never``).
    """
    positive = np.asarray(is_positive, dtype=bool)
    if threshold is None:
        threshold = threshold_at_user_fpr(sequences, positive, fpr)
    flags = first_flag(sequences, threshold)
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    pos_flags = flags[positive]
    flagged = pos_flags[pos_flags > 0]
    negatives = int((~positive).sum())
    pessimistic = np.where(pos_flags > 0, pos_flags, lengths[positive] + 1)
    histogram = {str(k): int((flagged == k).sum()) for k in range(1, max_edits_histogram + 1)}
    histogram[f">{max_edits_histogram}"] = int((flagged > max_edits_histogram).sum())
    histogram["never"] = int((pos_flags == 0).sum())
    return {
        "threshold": None if math.isinf(threshold) else float(threshold),
        "fpr": float((flags[~positive] > 0).sum() / negatives) if negatives else None,
        "recall": float(flagged.size / pos_flags.size) if pos_flags.size else None,
        "vandals": int(pos_flags.size),
        "vandals_flagged": int(flagged.size),
        "mean_edits": float(flagged.mean()) if flagged.size else None,
        "median_edits": float(np.median(flagged)) if flagged.size else None,
        "mean_edits_all_vandals": float(pessimistic.mean()) if pessimistic.size else None,
        "histogram": histogram,
    }


def compare_on_common(flags_a: np.ndarray, flags_b: np.ndarray, is_positive: Any) -> dict:
    """Mean edits-to-flag of two detectors on the vandals that both flag (fair comparison)."""
    positive = np.asarray(is_positive, dtype=bool)
    both = positive & (flags_a > 0) & (flags_b > 0)
    if not both.any():
        return {"vandals": 0, "mean_edits_a": None, "mean_edits_b": None, "a_earlier": None}
    return {
        "vandals": int(both.sum()),
        "mean_edits_a": float(flags_a[both].mean()),
        "mean_edits_b": float(flags_b[both].mean()),
        "a_earlier": float((flags_a[both] < flags_b[both]).mean()),
        "same_edit": float((flags_a[both] == flags_b[both]).mean()),
    }
