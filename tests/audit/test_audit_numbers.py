"""The audit's numbers on small data where the right answers are worked out by hand."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest

from wikiscore.evaluation.audit import (
    DAY,
    HOUR,
    YEAR,
    audit_edit,
    counterfactual_shift,
    disparate_impact,
    edit_flips,
    flag_masks,
    group_rates,
)
from wikiscore.models.inputs import EDIT_FEATURES, IN_BOT_SYSOP, IS_ANON, SECONDS_SINCE_REGISTRATION
from wikiscore.models.levels import LEVEL_NAMES, level_for
from wikiscore.training.group_levels import ratio_matched_thresholds

ORDER = list(LEVEL_NAMES)


def test_group_rates_by_hand() -> None:
    # 6 items: labels 1 1 0 0 0 1, flagged 1 0 1 0 0 1 -> tp 2, fn 1, fp 1, tn 2.
    y = [1, 1, 0, 0, 0, 1]
    flagged = [1, 0, 1, 0, 0, 1]
    rates = group_rates(y, flagged)
    assert (rates["tp"], rates["fn"], rates["fp"], rates["tn"]) == (2, 1, 1, 2)
    assert rates["flag_rate"] == pytest.approx(3 / 6)
    assert rates["base_rate"] == pytest.approx(3 / 6)
    assert rates["tpr"] == pytest.approx(2 / 3)
    assert rates["fpr"] == pytest.approx(1 / 3)
    assert rates["precision"] == pytest.approx(2 / 3)
    assert rates["flag_to_true"] == pytest.approx(1.0)
    # Within a mask (first three items): tp 1, fn 1, fp 1, tn 0.
    masked = group_rates(y, flagged, [1, 1, 1, 0, 0, 0])
    assert (masked["tp"], masked["fn"], masked["fp"], masked["tn"]) == (1, 1, 1, 0)
    assert masked["fpr"] == pytest.approx(1.0)
    # Nothing flagged: precision undefined, not zero.
    assert group_rates([1, 0], [0, 0])["precision"] is None


def test_flag_masks_count_a_level_and_everything_above() -> None:
    levels = ["likely_good", "likely_bad", "may_have_problems", "very_likely_bad"]
    masks = flag_masks(levels, ORDER)
    assert list(masks) == ["may_have_problems", "likely_bad", "very_likely_bad"]
    assert masks["may_have_problems"].tolist() == [False, True, True, True]
    assert masks["likely_bad"].tolist() == [False, True, False, True]
    assert masks["very_likely_bad"].tolist() == [False, False, False, True]
    with pytest.raises(ValueError, match="not one of"):
        flag_masks(["probably_fine"], ORDER)


def test_disparate_impact_ratios_by_hand() -> None:
    # Group A: 4 items, 2 positive, 3 flagged; group B: 8 items, 1 positive, 1 flagged.
    # Flag rates 3/4 and 1/8 -> ratio 6; true rates 1/2 and 1/8 -> ratio 4; relative 1.5.
    y = np.array([*[1, 1, 0, 0], *[1, 0, 0, 0, 0, 0, 0, 0]], dtype=bool)
    flagged = np.array([*[1, 1, 1, 0], *[1, 0, 0, 0, 0, 0, 0, 0]], dtype=bool)
    a = np.arange(12) < 4
    found = disparate_impact(y, {"likely_bad": flagged}, a, ~a, n_boot=0)["likely_bad"]
    assert found["group"]["flag_rate"] == pytest.approx(0.75)
    assert found["reference"]["flag_rate"] == pytest.approx(0.125)
    assert found["flag_ratio"] == pytest.approx(6.0)
    assert found["true_ratio"] == pytest.approx(4.0)
    assert found["relative"] == pytest.approx(1.5)
    assert found["in_band"] is False
    assert found["relative_ci95"] is None  # no bootstrap asked for
    assert found["group"]["fpr"] == pytest.approx(0.5)  # 1 of A's 2 negatives flagged
    assert found["reference"]["tpr"] == pytest.approx(1.0)
    # Flag exactly in proportion: A flags its 2 positives (2/4), B its 1 (1/8): relative 1.
    fair = np.array([*[1, 1, 0, 0], *[1, 0, 0, 0, 0, 0, 0, 0]], dtype=bool)
    matched = disparate_impact(y, {"likely_bad": fair}, a, ~a, n_boot=200)["likely_bad"]
    assert matched["relative"] == pytest.approx(1.0)
    assert matched["in_band"] is True
    lo, hi = matched["relative_ci95"]
    assert lo <= 1.0 <= hi


def test_counterfactual_shift_by_hand() -> None:
    before = [0.10, 0.50, 0.90, 0.30]
    after = [0.20, 0.40, 0.90, 0.70]
    lv_before = ["likely_good", "likely_bad", "very_likely_bad", "may_have_problems"]
    lv_after = ["may_have_problems", "may_have_problems", "very_likely_bad", "likely_bad"]
    shift = counterfactual_shift(before, after, lv_before, lv_after, ORDER)
    assert shift["count"] == 4
    assert shift["mean_abs_delta"] == pytest.approx((0.1 + 0.1 + 0.0 + 0.4) / 4)
    assert shift["abs_delta_percentiles"]["max"] == pytest.approx(0.4)
    assert shift["mean_delta"] == pytest.approx((0.1 - 0.1 + 0.0 + 0.4) / 4)
    assert shift["level_changed"] == 3
    assert (shift["moved_up"], shift["moved_down"]) == (2, 1)
    assert shift["transitions"]["likely_bad"] == {"may_have_problems": 1}
    likely_bad = shift["flags"]["likely_bad"]
    assert likely_bad == {
        "flagged_before": 2,
        "flagged_after": 2,
        "newly_flagged": 1,
        "no_longer_flagged": 1,
    }


def _row(anon: bool, group: bool, age: float) -> list[float]:
    values = dict.fromkeys(EDIT_FEATURES, 1.0)
    values[IS_ANON], values[IN_BOT_SYSOP], values[SECONDS_SINCE_REGISTRATION] = (
        float(anon),
        float(group),
        age,
    )
    return [values[n] for n in EDIT_FEATURES]


def test_edit_flips_change_only_the_editor_columns_consistently() -> None:
    X = np.array(
        [
            _row(True, False, 3.0e8),  # anonymous (age column holds the 2015 date proxy)
            _row(False, False, 2 * HOUR),  # registered, new account
            _row(False, False, 400 * DAY),  # registered, old account
            _row(False, True, 900 * DAY),  # administrator, old account
        ]
    )
    flips = {f.key: f for f in edit_flips(EDIT_FEATURES)}
    anon, group, age = (
        EDIT_FEATURES.index(n) for n in (IS_ANON, IN_BOT_SYSOP, SECONDS_SINCE_REGISTRATION)
    )
    content = list(range(6))

    flip = flips["anonymous_to_registered"]
    assert flip.applies(X).tolist() == [True, False, False, False]
    out = flip.apply(X)
    assert (out[0, anon], out[0, group], out[0, age]) == (0.0, 0.0, YEAR)

    flip = flips["registered_to_anonymous"]
    assert flip.applies(X).tolist() == [False, True, True, True]
    out = flip.apply(X)
    assert out[3, anon] == 1.0 and out[3, group] == 0.0 and out[3, age] == 0.0

    assert flips["new_to_old_account"].applies(X).tolist() == [False, True, False, False]
    assert flips["new_to_old_account"].apply(X)[1, age] == YEAR
    # Old accounts become one hour old, except bots/administrators (no such thing).
    assert flips["old_to_new_account"].applies(X).tolist() == [False, False, True, False]
    assert flips["old_to_new_account"].apply(X)[2, age] == HOUR
    for flip in flips.values():
        assert np.array_equal(flip.apply(X)[:, content], X[:, content])


class HandModel:
    """A stand-in model whose outputs can be worked out by hand (the point of this test; the
    real artifacts are audited in test_audit_cli): p = 0.7 for anonymous editors, 0.4 for
    accounts under a day old, 0.05 otherwise. Levels: likely_bad from 0.5, may_have_problems
    from 0.1 (pooled); no group-aware levels."""

    name, version, kind = "hand", "0", "edit"
    metadata: ClassVar[dict] = {"model_sha256": None}
    feature_names = EDIT_FEATURES
    group_levels = None
    levels: ClassVar[list[dict]] = [
        {"name": "likely_good", "threshold": 0.0},
        {"name": "may_have_problems", "threshold": 0.1},
        {"name": "likely_bad", "threshold": 0.5},
    ]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X)
        anon = X[:, EDIT_FEATURES.index(IS_ANON)] != 0
        young = X[:, EDIT_FEATURES.index(SECONDS_SINCE_REGISTRATION)] < DAY
        return np.where(anon, 0.7, np.where(young, 0.4, 0.05))

    def levels_for_rows(self, X: np.ndarray, p: np.ndarray) -> list[str]:
        return [level_for(float(v), self.levels) for v in p]

    def levels_by_group(self) -> dict:
        return {"all": self.levels}


def test_edit_audit_end_to_end_by_hand() -> None:
    # 4 anonymous edits (2 reverted), 2 new-account edits (1 reverted), 6 old (1 reverted).
    rows = [_row(True, False, 0.0)] * 4 + [_row(False, False, HOUR)] * 2
    rows += [_row(False, False, 100 * DAY)] * 6
    y = np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    audit = audit_edit(HandModel(), np.array(rows), y, EDIT_FEATURES, n_boot=0)

    # likely_bad flags exactly the anonymous edits: rate 1 vs 0 for registered.
    pair = audit["disparate_impact"]["anonymous_vs_registered"]["levels"]
    assert pair["likely_bad"]["group"]["flag_rate"] == 1.0
    assert pair["likely_bad"]["reference"]["flag_rate"] == 0.0
    assert pair["likely_bad"]["flag_ratio"] is None  # division by zero is not a number
    # may_have_problems flags anonymous (4/4) and new accounts (2 of 8 registered).
    mhp = pair["may_have_problems"]
    assert mhp["flag_ratio"] == pytest.approx(1.0 / (2 / 8))
    assert mhp["true_ratio"] == pytest.approx((2 / 4) / (2 / 8))
    assert mhp["relative"] == pytest.approx(4.0 / 2.0)
    # Per slice FPR/TPR: anonymous at likely_bad: TPR 2/2, FPR 2/2; registered: 0 and 0.
    anon_rates = audit["slices"]["anonymous"]["levels"]["likely_bad"]
    assert (anon_rates["tpr"], anon_rates["fpr"]) == (1.0, 1.0)
    young = audit["slices"]["account_lt_1d"]["levels"]["may_have_problems"]
    assert (young["tpr"], young["fpr"], young["precision"]) == (1.0, 1.0, 0.5)
    old = audit["slices"]["account_gt_30d"]["levels"]["may_have_problems"]
    assert (old["flagged"], old["tpr"], old["fpr"]) == (0, 0.0, 0.0)

    cf = audit["counterfactual"]
    # Anonymous -> one-year-old account: 0.7 -> 0.05, all 4 leave likely_bad for likely_good.
    assert cf["anonymous_to_registered"]["count"] == 4
    assert cf["anonymous_to_registered"]["mean_abs_delta"] == pytest.approx(0.65)
    assert cf["anonymous_to_registered"]["transitions"] == {"likely_bad": {"likely_good": 4}}
    assert cf["anonymous_to_registered"]["flags"]["likely_bad"]["no_longer_flagged"] == 4
    # Registered -> anonymous: 8 edits; 2 from 0.4 (+0.3), 6 from 0.05 (+0.65); all to likely_bad.
    reg = cf["registered_to_anonymous"]
    assert reg["count"] == 8
    assert reg["mean_abs_delta"] == pytest.approx((2 * 0.3 + 6 * 0.65) / 8)
    assert reg["level_changed"] == 8 and reg["flags"]["likely_bad"]["newly_flagged"] == 8
    # New (<= 30 days) -> one year: 2 edits 0.4 -> 0.05; old -> one hour: 6 edits 0.05 -> 0.4.
    assert cf["new_to_old_account"]["count"] == 2
    assert cf["new_to_old_account"]["mean_delta"] == pytest.approx(-0.35)
    assert cf["old_to_new_account"]["transitions"] == {"likely_good": {"may_have_problems": 6}}
    assert audit["goal"]["met"] is False


def test_ratio_matched_thresholds_by_hand() -> None:
    # Group A (8 items, 4 positive) and B (16 items, 2 positive): true ratio (4/8)/(2/16) = 4.
    pa = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.15, 0.1])
    ya = np.array([1, 1, 0, 1, 1, 0, 0, 0])
    pb = np.array([0.5, 0.45, 0.4, 0.35] + [0.05] * 12)
    yb = np.array([1, 0, 1, 0] + [0] * 12)
    p = np.r_[pa, pb]
    y = np.r_[ya, yb].astype(bool)
    a = np.r_[np.ones(8, bool), np.zeros(16, bool)]
    found = ratio_matched_thresholds(y, p, a, target_ratio=4.0, min_precision=0.6, tolerance=0.0)
    # B flags 1 of 16 -> A must flag 4 * 1/16 * 8 = 2: 3 of 3 reverted, recall 3/6.
    # B flags 2 -> A 4: A's top 4 hold 3 positives, B's top 2 hold 1: 4/6 = 0.667, recall 4/6.
    # B flags 3 -> A 6: 4 + 2 positives of 9 flagged = 0.667 >= 0.6, recall 6/6.
    # B flags 4 -> A 8: 6 of 12 = 0.5 < 0.6. Best recall: A 6, B 3.
    assert found is not None
    assert found["flag_rates"] == (pytest.approx(6 / 8), pytest.approx(3 / 16))
    assert found["precision"] == pytest.approx(6 / 9)
    assert found["recall"] == pytest.approx(1.0)
    t_a, t_b = found["thresholds"]
    assert t_a == pytest.approx((0.2 + 0.15) / 2) and t_b == pytest.approx((0.4 + 0.35) / 2)
    assert math.isclose(found["flag_ratio"], 4.0)
    # Precision 0.9 leaves only the smallest option (A 2, B 1: 3 of 3; A 4, B 2 is 4/6).
    strict = ratio_matched_thresholds(y, p, a, target_ratio=4.0, min_precision=0.9, tolerance=0)
    assert strict is not None and strict["flag_rates"] == (0.25, 1 / 16)
    assert ratio_matched_thresholds(y, p, a, target_ratio=4.0, min_precision=1.01) is None
