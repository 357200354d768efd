"""Model selection for LightGBM binary classifiers: stratified CV, early stopping, calibration.

Owns the reusable parts of training a calibrated gradient-boosting model:

* a deterministic list of hyper-parameter candidates (a default, then a seeded random sample);
* stratified K-fold cross-validation of one candidate, choosing the number of boosting rounds
  by early stopping on the mean validation log loss of the folds (``lightgbm.cv``) and
  returning the out-of-fold raw scores at that round;
* selection of the candidate with the lowest CV log loss within a deadline;
* fitting a calibration map on out-of-fold raw scores, choosing identity / Platt / isotonic by
  cross-fitted log loss.

Everything here sees only the rows it is given: callers doing nested CV pass the outer training
part only, so no test-fold information reaches selection. LightGBM runs single-threaded with
``deterministic=True`` and fixed seeds, so results repeat exactly on one machine.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wikiscore.evaluation.metrics import (
    average_precision,
    expected_calibration_error,
    log_loss,
    roc_auc,
)
from wikiscore.models.calibration import apply_calibration

FIXED_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "metric": "binary_logloss",
    "verbosity": -1,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "feature_pre_filter": False,
}

DEFAULT_CANDIDATE: dict[str, Any] = {
    "learning_rate": 0.02,
    "num_leaves": 7,
    "min_child_samples": 50,
    "lambda_l2": 1.0,
    "feature_fraction": 0.85,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "extra_trees": False,
}

SEARCH_SPACE: dict[str, list[Any]] = {
    "learning_rate": [0.02, 0.03, 0.05],
    "num_leaves": [4, 7, 11, 15, 23, 31],
    "min_child_samples": [20, 50, 100, 200],
    "lambda_l2": [0.0, 1.0, 5.0, 20.0],
    "feature_fraction": [0.7, 0.85, 1.0],
    "bagging": [(1.0, 0), (0.8, 1)],
    "extra_trees": [False, True],
}


def candidate_params(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct candidates: :data:`DEFAULT_CANDIDATE` then a seeded random sample."""
    rng = random.Random(seed)
    out = [dict(DEFAULT_CANDIDATE)]
    seen = {tuple(sorted(DEFAULT_CANDIDATE.items()))}
    attempts = 0
    while len(out) < n and attempts < 1000:
        attempts += 1
        draw = {k: rng.choice(v) for k, v in SEARCH_SPACE.items()}
        bagging_fraction, bagging_freq = draw.pop("bagging")
        draw.update(bagging_fraction=bagging_fraction, bagging_freq=bagging_freq)
        key = tuple(sorted(draw.items()))
        if key not in seen:
            seen.add(key)
            out.append(draw)
    return out[: max(n, 1)]


def stratified_folds(y: np.ndarray, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled stratified K-fold (train, test) index pairs."""
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(y).astype(int)
    positives = int(y.sum())
    k = min(n_folds, positives, y.size - positives)
    if k < 2:
        raise ValueError(
            f"need at least 2 examples of each class for CV, got {positives} "
            f"positive and {y.size - positives} negative"
        )
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in splitter.split(np.zeros(y.size), y)]


@dataclass
class Trial:
    """One candidate's cross-validation result."""

    params: dict[str, Any]
    n_rounds: int
    log_loss: float
    log_loss_std: float
    roc_auc: float
    pr_auc: float
    seconds: float
    oof_raw: np.ndarray = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "n_rounds": self.n_rounds,
            "cv_log_loss": round(self.log_loss, 6),
            "cv_log_loss_std": round(self.log_loss_std, 6),
            "cv_roc_auc": round(self.roc_auc, 5),
            "cv_pr_auc": round(self.pr_auc, 5),
            "seconds": round(self.seconds, 2),
        }


def _params(candidate: dict[str, Any], seed: int) -> dict[str, Any]:
    return {**FIXED_PARAMS, **candidate, "seed": seed}


def cross_validate(
    X: np.ndarray,
    y: np.ndarray,
    candidate: dict[str, Any],
    folds: list[tuple[np.ndarray, np.ndarray]],
    *,
    seed: int = 0,
    max_rounds: int = 3000,
    patience: int = 100,
) -> Trial:
    """CV one candidate; the round count is where the mean validation log loss is lowest."""
    import lightgbm as lgb

    started = time.perf_counter()
    data = lgb.Dataset(X, label=y.astype(float), free_raw_data=False)
    result = lgb.cv(
        _params(candidate, seed),
        data,
        num_boost_round=max_rounds,
        folds=folds,
        callbacks=[lgb.early_stopping(patience, verbose=False)],
        return_cvbooster=True,
    )
    curve: list[float] = result["valid binary_logloss-mean"]  # type: ignore[assignment]
    n_rounds = len(curve)
    cvbooster: Any = result["cvbooster"]
    oof = np.zeros(y.size)
    for (_, test), booster in zip(folds, cvbooster.boosters, strict=True):
        oof[test] = booster.predict(X[test], raw_score=True, num_iteration=n_rounds)
    prob = apply_calibration({"method": "identity"}, oof)
    return Trial(
        params=dict(candidate),
        n_rounds=n_rounds,
        log_loss=float(curve[-1]),
        log_loss_std=float(result["valid binary_logloss-stdv"][-1]),  # type: ignore[index]
        roc_auc=roc_auc(y, prob),
        pr_auc=average_precision(y, prob),
        seconds=time.perf_counter() - started,
        oof_raw=oof,
    )


@dataclass
class Selection:
    best: Trial
    trials: list[Trial]
    stopped_by_deadline: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": "lowest mean validation log loss over stratified folds",
            "best": self.best.to_json(),
            "candidates_tried": len(self.trials),
            "stopped_by_deadline": self.stopped_by_deadline,
            "trials": [t.to_json() for t in self.trials],
        }


def select_params(
    X: np.ndarray,
    y: np.ndarray,
    candidates: list[dict[str, Any]],
    *,
    n_folds: int = 4,
    seed: int = 0,
    deadline: float | None = None,
    max_rounds: int = 3000,
    patience: int = 100,
) -> Selection:
    """Try candidates in order until the ``deadline`` (``time.monotonic()``), at least one."""
    folds = stratified_folds(y, n_folds, seed)
    trials: list[Trial] = []
    stopped = False
    for candidate in candidates:
        if trials and deadline is not None and time.monotonic() >= deadline:
            stopped = True
            break
        trials.append(
            cross_validate(
                X, y, candidate, folds, seed=seed, max_rounds=max_rounds, patience=patience
            )
        )
    best = min(trials, key=lambda t: t.log_loss)
    return Selection(best, trials, stopped)


def fit_booster(
    X: np.ndarray, y: np.ndarray, candidate: dict[str, Any], n_rounds: int, *, seed: int = 0
) -> Any:
    """Train on all given rows for exactly ``n_rounds`` rounds."""
    import lightgbm as lgb

    data = lgb.Dataset(X, label=y.astype(float))
    return lgb.train(_params(candidate, seed), data, num_boost_round=max(1, n_rounds))


# -- calibration ------------------------------------------------------------------------------
ISOTONIC_FLOOR = 1e-4


def _fit_calibration_method(method: str, raw: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    if method == "identity":
        return {"method": "identity"}
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e6, max_iter=1000)
        model.fit(raw.reshape(-1, 1), y.astype(int))
        return {"method": "platt", "a": float(model.coef_[0, 0]), "b": float(model.intercept_[0])}
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        # Probabilities of exactly 0 or 1 would make log loss infinite on new data.
        iso = IsotonicRegression(
            y_min=ISOTONIC_FLOOR, y_max=1 - ISOTONIC_FLOOR, out_of_bounds="clip"
        )
        iso.fit(raw, y.astype(float))
        return {
            "method": "isotonic",
            "x": [float(v) for v in iso.X_thresholds_],
            "y": [float(v) for v in iso.y_thresholds_],
        }
    raise ValueError(f"unknown calibration method {method!r}")


def fit_calibration(
    raw: np.ndarray,
    y: np.ndarray,
    *,
    methods: tuple[str, ...] = ("identity", "platt", "isotonic"),
    n_folds: int = 5,
    seed: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(calibration map fitted on all ``raw`` scores, comparison report).

    Each method is scored by cross-fitting over folds of the out-of-fold raw scores (fit on
    K-1 folds, predict the last); the lowest log loss wins, ECE is reported alongside.
    """
    raw = np.asarray(raw, dtype=float)
    y = np.asarray(y).astype(bool)
    folds = stratified_folds(y, n_folds, seed + 7)
    report: dict[str, Any] = {}
    for method in methods:
        cross = np.zeros(y.size)
        for train, test in folds:
            spec = _fit_calibration_method(method, raw[train], y[train])
            cross[test] = apply_calibration(spec, raw[test])
        report[method] = {
            "cv_log_loss": round(log_loss(y, cross), 6),
            "cv_ece": round(expected_calibration_error(y, cross), 6),
        }
    chosen = min(methods, key=lambda m: (report[m]["cv_log_loss"], methods.index(m)))
    spec = _fit_calibration_method(chosen, raw, y)
    return spec, {"chosen": chosen, "criterion": "cross-fitted log loss", "methods": report}


def finite(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)
