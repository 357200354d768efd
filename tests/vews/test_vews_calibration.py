"""Calibration by prefix length: fitted on accounts as a live scorer meets them, cross-fitted by
account fold, and baked into the LightGBM model file as one tree on ``edits``."""

from __future__ import annotations

import numpy as np
import pytest

from wikiscore.models.artifact import ModelArtifact
from wikiscore.models.calibration import apply_calibration
from wikiscore.training.user_warning import (
    CALIBRATION_BUCKETS,
    MODEL_VERSION,
    calibration_bucket,
    calibration_rows,
    cross_fitted_scores,
    fit_prefix_calibration,
    with_prefix_offsets,
)


def _accounts(seed: int = 0, n: int = 3000, first_bias: float = 1.5):
    """Accounts whose scores x ~ N(+-1, 1) have true log-odds 2x, except at the first edit,
    where x is ``first_bias`` too high (the 1.0.0 model's k = 1 problem, exaggerated)."""
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.5
    sequences = []
    for label in labels:
        length = int(rng.integers(1, 40))
        signal = rng.normal(1.0 if label else -1.0, 1.0, size=length)
        signal[0] += first_bias
        sequences.append(signal)
    return sequences, labels


def test_buckets_cover_every_prefix_length_once():
    edits = np.arange(1, 5000)
    buckets = calibration_bucket(edits)
    assert buckets[0] == 0 and buckets[-1] == len(CALIBRATION_BUCKETS) - 1
    assert np.all(np.diff(buckets) >= 0)
    for (lo, hi), index in zip(CALIBRATION_BUCKETS, range(len(CALIBRATION_BUCKETS)), strict=True):
        assert calibration_bucket([lo])[0] == index
        if hi is not None:
            assert calibration_bucket([hi])[0] == index


def test_every_account_counts_once_per_bucket_it_reached():
    sequences = [np.zeros(1), np.zeros(12), np.zeros(40)]
    _, _, weights, buckets = calibration_rows(sequences, np.array([1, 0, 1]))
    per_bucket = np.bincount(buckets, weights=weights)
    assert per_bucket[0] == pytest.approx(3.0)  # everybody made a first edit
    assert per_bucket[1] == pytest.approx(2.0)
    assert per_bucket[10] == pytest.approx(2.0)  # edits 11-15: the 12- and 40-edit accounts
    assert per_bucket[12] == pytest.approx(1.0)  # edits 31-100: only the 40-edit account


def test_an_intercept_per_length_removes_the_first_edit_bias():
    sequences, labels = _accounts()
    calibration = fit_prefix_calibration(sequences, labels)
    first = np.array([calibration.logits(s)[0] for s in sequences])
    later = np.concatenate([calibration.logits(s)[1:] for s in sequences])
    assert calibration.intercepts[0] == pytest.approx(calibration.intercepts[1] - 3.0, abs=0.4)
    p_first = 1 / (1 + np.exp(-first))
    assert p_first.mean() == pytest.approx(labels.mean(), abs=0.02)
    assert calibration.slope == pytest.approx(2.0, abs=0.2) and later.size
    # One Platt map on the raw scores cannot: first edits stay too high.
    raw_first = 1 / (1 + np.exp(-np.array([s[0] for s in sequences])))
    assert raw_first.mean() > labels.mean() + 0.1


def test_cross_fitted_scores_never_see_their_own_fold():
    sequences, labels = _accounts(seed=1, n=1200)
    folds = np.arange(len(labels)) % 4
    scores, final = cross_fitted_scores(sequences, labels, folds)
    flipped = labels.copy()
    flipped[folds == 0] = ~flipped[folds == 0]
    scores2, final2 = cross_fitted_scores(sequences, flipped, folds)
    for i in np.flatnonzero(folds == 0)[:50].tolist():
        p1 = apply_calibration(final.spec(), scores[i])
        p2 = apply_calibration(final2.spec(), scores2[i])
        assert np.allclose(p1, p2)  # fold 0's own labels do not move its probabilities
    i = int(np.flatnonzero(folds == 1)[0])
    assert not np.allclose(
        apply_calibration(final.spec(), scores[i]), apply_calibration(final2.spec(), scores2[i])
    )


def test_offsets_are_one_tree_in_the_model_file():
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    X[:, 0] = rng.integers(1, 300, size=400)
    y = (X[:, 1] + rng.normal(size=400) > 0).astype(float)
    params = {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    booster = lgb.train(params, lgb.Dataset(X, y), num_boost_round=5)
    offsets = rng.normal(size=len(CALIBRATION_BUCKETS))
    offsets[0] = 0.0
    merged = with_prefix_offsets(booster, offsets)
    assert merged.num_trees() == booster.num_trees() + 1
    added = merged.predict(X, raw_score=True) - booster.predict(X, raw_score=True)
    assert np.allclose(added, offsets[calibration_bucket(X[:, 0])])
    # The text model round-trips (the artifact stores model_to_string()).
    again = lgb.Booster(model_str=merged.model_to_string())
    assert np.allclose(again.predict(X, raw_score=True), merged.predict(X, raw_score=True))


def test_trained_artifact_records_its_prefix_calibration(small_model):
    artifact = ModelArtifact.load(small_model["dir"])
    meta = artifact.metadata
    assert meta["version"] == MODEL_VERSION
    prefix = meta["prefix_calibration"]
    assert len(prefix["intercepts"]) == len(CALIBRATION_BUCKETS)
    assert meta["calibration"] == {
        "method": "platt",
        "a": prefix["slope"],
        "b": prefix["intercepts"][0],
    }
    assert set(meta["calibration_report"]["methods"]) == {
        "platt by prefix length",
        "one platt map on pooled views (1.0.0)",
    }
    assert [h["version"] for h in meta["version_history"]][-1] == MODEL_VERSION


def test_the_committed_model_calibrates_by_prefix_length_on_every_path():
    """The committed artifact's last tree is the prefix offset tree its metadata records, and
    live scoring (the path of ``score-user`` and the service) gives the evaluation path's
    probability."""
    from datetime import UTC, datetime, timedelta

    from wikiscore.features.user_behaviour import edit_from_revision
    from wikiscore.models.registry import load_model
    from wikiscore.records import PageRecord, RevisionRecord
    from wikiscore.scoring.user import score_user_edits, user_model_matrix

    model = load_model("user-warning")
    meta = model.metadata
    assert meta["version"] == MODEL_VERSION
    offsets = np.asarray(meta["prefix_calibration"]["raw_offsets_in_model_file"])
    booster = model._booster
    edits = np.array([1, 2, 5, 10, 11, 15, 16, 30, 31, 100, 101, 5000], dtype=float)
    probe = np.full((edits.size, booster.num_feature()), np.nan)
    probe[:, 0] = edits
    last = booster.predict(
        probe, raw_score=True, start_iteration=booster.num_trees() - 1, num_iteration=1
    )
    assert np.allclose(last, offsets[calibration_bucket(edits)])

    start = datetime(2014, 3, 1, 15, 0, tzinfo=UTC)
    records = [
        RevisionRecord(
            page=PageRecord(title=title, namespace=ns), timestamp=start + timedelta(minutes=m)
        )
        for title, ns, m in (("User:Lolpoop99", 2, 0), ("Justin Bieber", 0, 3), ("Poop", 0, 4))
    ]
    X, _ = user_model_matrix("Lolpoop99", [edit_from_revision(r) for r in records], model)
    raw = model.predict_raw(X)
    expected = apply_calibration(meta["calibration"], raw)
    score = score_user_edits("Lolpoop99", records, model, explain=False)
    assert score.probability == pytest.approx(float(expected[-1]), abs=1e-4)
