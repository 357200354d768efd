"""Edits-to-flag metrics on hand-made score sequences (exact expected values)."""

from __future__ import annotations

import math

import numpy as np

from wikiscore.evaluation.early_warning import (
    compare_on_common,
    edits_to_flag,
    first_flag,
    threshold_at_user_fpr,
)

SEQUENCES = [
    np.array([0.9, 0.1]),  # vandal flagged at edit 1
    np.array([0.2, 0.3, 0.8]),  # vandal flagged at edit 3
    np.array([0.1]),  # vandal never flagged
    np.array([0.1, 0.6]),  # benign, max 0.6
    np.array([0.2, 0.2, 0.2]),  # benign, max 0.2
    np.array([0.4]),  # benign, max 0.4
    np.array([0.05]),  # benign
]
LABELS = np.array([1, 1, 1, 0, 0, 0, 0], dtype=bool)


def test_first_flag_counts_edits_from_one():
    assert first_flag(SEQUENCES, 0.5).tolist() == [1, 3, 0, 2, 0, 0, 0]


def test_threshold_keeps_the_user_level_fpr():
    # 25% of 4 benign users = 1 may be flagged: the threshold sits just above the second
    # highest benign maximum (0.4).
    t = threshold_at_user_fpr(SEQUENCES, LABELS, 0.25)
    assert 0.4 < t <= 0.4 + 1e-12
    assert math.isclose(threshold_at_user_fpr(SEQUENCES, LABELS, 0.0), np.nextafter(0.6, 1))
    assert threshold_at_user_fpr(SEQUENCES, np.ones(7, dtype=bool), 0.05) == math.inf


def test_edits_to_flag_at_fpr():
    result = edits_to_flag(SEQUENCES, LABELS, fpr=0.25)
    assert result["fpr"] == 0.25
    assert result["vandals_flagged"] == 2 and result["recall"] == 2 / 3
    assert result["mean_edits"] == 2.0  # (1 + 3) / 2
    assert result["mean_edits_all_vandals"] == (1 + 3 + 2) / 3  # never flagged: n + 1
    assert result["histogram"]["1"] == 1 and result["histogram"]["3"] == 1
    assert result["histogram"]["never"] == 1


def test_fixed_threshold_and_common_comparison():
    cluebot = [
        np.array([0, 1.0]),
        np.array([0, 0, 1.0]),
        np.array([0.0]),
        np.array([0, 1.0]),
        np.array([0, 0, 0.0]),
        np.array([0.0]),
        np.array([0.0]),
    ]
    result = edits_to_flag(cluebot, LABELS, threshold=1.0)
    assert result["fpr"] == 0.25 and result["mean_edits"] == 2.5
    common = compare_on_common(first_flag(SEQUENCES, 0.5), first_flag(cluebot, 1.0), LABELS)
    assert common["vandals"] == 2
    assert common["mean_edits_a"] == 2.0 and common["mean_edits_b"] == 2.5
    assert common["a_earlier"] == 0.5
