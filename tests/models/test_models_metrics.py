"""Metrics against hand-computed cases and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from wikiscore.evaluation.metrics import (
    average_precision,
    binary_metrics,
    bootstrap_ci,
    brier_score,
    calibration_curve,
    expected_calibration_error,
    log_loss,
    pr_curve,
    roc_auc,
    roc_curve,
)
from wikiscore.evaluation.slices import editor_slices, slice_metrics

Y = np.array([0, 0, 1, 1])
S = np.array([0.1, 0.4, 0.35, 0.8])


def test_hand_computed_values() -> None:
    # Pairs (pos, neg): (0.35>0.1), (0.35<0.4), (0.8>0.1), (0.8>0.4) -> 3 of 4.
    assert roc_auc(Y, S) == pytest.approx(0.75)
    # Ranked: 0.8 (pos, P=1, R=.5), 0.4 (neg), 0.35 (pos, P=2/3, R=1) -> .5*1 + .5*2/3.
    assert average_precision(Y, S) == pytest.approx(0.5 + 1 / 3)
    assert brier_score(Y, S) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    expected = -(math.log(0.9) + math.log(0.6) + math.log(0.35) + math.log(0.8)) / 4
    assert log_loss(Y, S) == pytest.approx(expected)


def test_ties_count_half() -> None:
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.9]) == pytest.approx(0.875)


def test_undefined_metrics_are_nan() -> None:
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))
    assert math.isnan(average_precision([0, 0], [0.2, 0.3]))


def test_expected_calibration_error_by_hand() -> None:
    # Two bins used: [0.1, 0.2) holds 0.1, 0.1 with outcomes 0, 1 -> |0.5 - 0.1| * 2/4;
    # [0.9, 1.0] holds 0.9, 0.9 with outcomes 1, 1 -> |1 - 0.9| * 2/4.
    y = [0, 1, 1, 1]
    p = [0.1, 0.1, 0.9, 0.9]
    assert expected_calibration_error(y, p) == pytest.approx(0.5 * 0.4 + 0.5 * 0.1)
    assert expected_calibration_error([0, 1], [0.0, 1.0]) == pytest.approx(0.0)
    bins = calibration_curve(y, p)
    assert [b["count"] for b in bins] == [2, 2]
    assert bins[0]["observed_rate"] == pytest.approx(0.5)


def test_matches_sklearn_on_random_data_with_ties() -> None:
    rng = np.random.default_rng(3)
    y = rng.random(3000) < 0.07
    p = np.round(np.clip(rng.random(3000) * 0.4 + 0.3 * y, 0, 1), 2)  # many ties
    assert roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert average_precision(y, p) == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert log_loss(y, p) == pytest.approx(skm.log_loss(y, p), abs=1e-9)
    assert brier_score(y, p) == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)
    fpr, tpr, _ = skm.roc_curve(y, p, drop_intermediate=False)
    ours = roc_curve(y, p)
    assert np.allclose(ours["fpr"], fpr) and np.allclose(ours["tpr"], tpr)
    precision, recall, _ = skm.precision_recall_curve(y, p, drop_intermediate=False)
    pr = pr_curve(y, p)
    # sklearn lists thresholds ascending and appends (recall 0, precision 1).
    assert np.allclose(pr["precision"], precision[:-1][::-1])
    assert np.allclose(pr["recall"], recall[:-1][::-1])


def test_bootstrap_is_deterministic_and_brackets_the_value() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(800) < 0.2
    p = np.clip(rng.random(800) * 0.5 + 0.3 * y, 0, 1)
    a = bootstrap_ci(y, p, roc_auc, n_boot=200, seed=5)
    b = bootstrap_ci(y, p, roc_auc, n_boot=200, seed=5)
    c = bootstrap_ci(y, p, roc_auc, n_boot=200, seed=6)
    assert a == b and a != c
    assert isinstance(a, tuple)
    assert a[0] < roc_auc(y, p) < a[1]


def test_binary_metrics_shape_and_degenerate_input() -> None:
    out = binary_metrics(Y, S, n_boot=50, seed=0)
    assert out["count"] == 4 and out["positives"] == 2 and out["base_rate"] == 0.5
    assert out["roc_auc"]["value"] == pytest.approx(0.75)
    assert set(out) >= {"pr_auc", "log_loss", "brier", "ece", "ece_quantile"}
    one_class = binary_metrics([0, 0, 0], [0.1, 0.2, 0.3], n_boot=20)
    assert one_class["roc_auc"] == {"value": None, "ci95": None}
    with pytest.raises(ValueError, match="0/1"):
        binary_metrics([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="NaN"):
        binary_metrics([0, 1], [0.1, float("nan")])


def test_editor_slices_and_slice_metrics() -> None:
    anon = np.array([1, 1, 0, 0, 0, 0], bool)
    privileged = np.array([0, 0, 0, 0, 1, 0], bool)
    age = np.array([3e8, 3e8, 100, 86_400 * 2, 86_400 * 400, 86_400 * 31])
    slices = {s.key: s.mask for s in editor_slices(anon, privileged, age)}
    assert slices["anonymous"].tolist() == [True, True, False, False, False, False]
    assert slices["account_lt_1d"].tolist() == [False, False, True, False, False, False]
    assert slices["account_1d_30d"].tolist() == [False, False, False, True, False, False]
    assert slices["account_gt_30d"].tolist() == [False, False, False, False, True, True]
    y = np.array([1, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.2, 0.6, 0.1, 0.05, 0.1])
    result = slice_metrics(y, p, editor_slices(anon, privileged, age), n_boot=20)
    assert result["anonymous"]["count"] == 2
    assert result["anonymous"]["roc_auc"]["value"] == 1.0
    assert result["bot_or_sysop"]["base_rate"] == 0.0
    assert result["bot_or_sysop"]["roc_auc"]["value"] is None


def test_vectorised_bootstrap_matches_plain_resampling() -> None:
    """binary_metrics' fast intervals equal resampling row by row with the same seed."""
    rng = np.random.default_rng(1)
    y = rng.random(1500) < 0.1
    p = np.round(np.clip(rng.random(1500) * 0.5 + 0.3 * y, 0, 1), 2)
    fast = binary_metrics(y, p, n_boot=100, seed=9)
    plain = bootstrap_ci(
        y,
        p,
        {
            "roc_auc": roc_auc,
            "pr_auc": average_precision,
            "log_loss": log_loss,
            "brier": brier_score,
            "ece": expected_calibration_error,
        },
        n_boot=100,
        seed=9,
    )
    assert isinstance(plain, dict)
    for name, interval in plain.items():
        assert interval is not None
        assert fast[name]["ci95"] == pytest.approx(list(interval), abs=1e-12), name
