"""Training and evaluating the vandal early warning model (``user-warning``) on the VEWS data.

Owns the model behind ``wikiscore train/evaluate user-warning`` (and the ``-signals`` variant):
which prefixes of each account's history become training rows, the learned username and
page-title text scorers (cross-fitted so the trees never see scores fitted on their own rows),
the LightGBM model, grouped and stratified cross-validation (an account is in exactly one fold;
all its prefixes go with it), calibration by prefix length on out-of-fold scores (cross-fitted,
and baked into the model file as one tree on ``edits`` so that every consumer of the artifact
gets the same probability), the flag threshold and levels,
and the evaluation report (per-k metrics, edits before a vandal is flagged next to ClueBot NG and
STiki). Features come from ``wikiscore.features.user_behaviour`` — the same code live scoring
uses. The main model uses nothing from other people or tools; only the signals variant adds
reverts and STiki scores known before each scored edit.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wikiscore.config import repo_root
from wikiscore.errors import InvalidInput
from wikiscore.evaluation.early_warning import (
    compare_on_common,
    edits_to_flag,
    first_flag,
    threshold_at_user_fpr,
)
from wikiscore.features.user_behaviour import (
    USER_FEATURE_NAMES,
    TextScorer,
    UserEdit,
    UserTextScorers,
    name_terms,
    page_kind,
    text_feature_block,
    title_terms,
    user_feature_matrix,
)
from wikiscore.training.provenance import code_provenance
from wikiscore.training.vews_data import VewsDataset, VewsUser, load_vews

MODEL_NAME = "user-warning"
SIGNALS_MODEL_NAME = "user-warning-signals"
DEFAULT_DATA = "../shared/data/umd-vews"  # relative to the repository root
MAX_K = 10
EVAL_KS: tuple[int | str, ...] = (*range(1, MAX_K + 1), "all")
TARGET_FPR = 0.05
MODEL_VERSION = "1.1.0"
VERSION_HISTORY: tuple[dict[str, str], ...] = (
    {
        "version": "1.0.0",
        "date": "2026-11-25",
        "changes": "behaviour, title and username features; LightGBM; one Platt map",
    },
    {
        "version": "1.1.0",
        "date": "2026-11-25",
        "changes": "calibration by prefix length (one slope, an intercept per number of edits "
        "so far, cross-fitted), baked into the model file as one tree on `edits`: first-edit "
        "probabilities no longer 6 points too high",
    },
)

# Left out of the main model after cross-validation: the hour/weekday of edits (UTC) added
# little (first-edit AUC +0.004) and stand in for the editor's time zone, i.e. where they live.
EXCLUDED_FEATURES: tuple[str, ...] = ("first_hour_utc", "latest_hour_utc", "frac_edits_weekend_utc")
MAIN_FEATURES: tuple[str, ...] = tuple(n for n in USER_FEATURE_NAMES if n not in EXCLUDED_FEATURES)

# Signals from other people and tools, known before the scored (k-th) edit was made.
SIGNAL_FEATURES: tuple[str, ...] = (
    "signal_reverted_before",
    "signal_frac_reverted_before",
    "signal_cluebot_reverted_before",
    "signal_stiki_max_previous",
    "signal_stiki_mean_previous",
    "signal_stiki_latest_previous",
    "signal_stiki_reputation_previous",
)

LGB_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
}
ROUNDS = 250
TEXT_C = {"name": 1.0, "title": 1.0}
TEXT_MIN_DF = {"name": 5, "title": 3}


# --- preparing users -----------------------------------------------------------------------------


@dataclass
class PreparedUser:
    """One account: behaviour features of every prefix (without text scores), title keys."""

    username: str
    is_vandal: bool
    edits: list[UserEdit]
    base: np.ndarray  # (n, len(USER_FEATURE_NAMES)), text columns NaN
    title_keys: list[tuple[int, str]]
    signals: np.ndarray | None = None  # (n, len(SIGNAL_FEATURES))
    raw: VewsUser | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.edits)


def signal_matrix(user: VewsUser) -> np.ndarray:
    """Signals known just before each edit k: reverts whose time is before edit k's time, and
    STiki scores/reputation of the earlier edits (STiki scores an edit as it is saved)."""
    edits = user.edits
    n = len(edits)
    times = np.array([e.timestamp for e in edits])
    out = np.full((n, len(SIGNAL_FEATURES)), np.nan)
    reverts = np.sort([e.revert_time for e in edits if e.is_reverted and e.revert_time])
    cluebot = np.sort([e.revert_time for e in edits if e.cluebot_revert and e.revert_time])
    # A revert of edit j happens after edit j, so "revert time < t_k" only counts j < k.
    known = np.searchsorted(reverts, times, side="left").astype(float)
    out[:, 0] = known
    out[:, 1] = known / np.arange(1, n + 1)
    out[:, 2] = np.searchsorted(cluebot, times, side="left").astype(float)
    stiki = np.array([e.stiki_score if e.stiki_score is not None else np.nan for e in edits])
    rep = np.array([e.stiki_rep_user if e.stiki_rep_user is not None else np.nan for e in edits])
    if n > 1:
        previous = stiki[:-1]
        filled = np.where(np.isnan(previous), -np.inf, previous)
        running_max = np.maximum.accumulate(filled)
        out[1:, 3] = np.where(np.isinf(running_max), np.nan, running_max)
        counts = np.cumsum(~np.isnan(previous))
        sums = np.cumsum(np.nan_to_num(previous))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[1:, 4] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        out[1:, 5] = previous
        out[1:, 6] = rep[:-1]
    return out


def prepare_users(dataset: VewsDataset, *, signals: bool = False) -> list[PreparedUser]:
    prepared = []
    for user in dataset.users:
        edits = user.user_edits()  # already in time order (the loader sorts)
        prepared.append(
            PreparedUser(
                username=user.username,
                is_vandal=user.is_vandal,
                edits=edits,
                base=user_feature_matrix(user.username, edits),
                title_keys=[(e.namespace, e.title) for e in edits],
                signals=signal_matrix(user) if signals else None,
                raw=user,
            )
        )
    return prepared


# --- text scorers --------------------------------------------------------------------------------


def _fit_text_scorer(
    docs: list[list[str]], labels: np.ndarray, weights: np.ndarray, *, c: float, min_df: int
) -> TextScorer:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer=lambda terms: terms, min_df=min_df, sublinear_tf=True, norm="l2"
    )
    base_rate = float(np.average(labels, weights=weights)) if len(labels) else 0.5
    prior = math.log(max(base_rate, 1e-6) / max(1.0 - base_rate, 1e-6))
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError:  # no term frequent enough (tiny data): the prior only
        return TextScorer(terms={}, intercept=prior)
    if len(set(labels.tolist())) < 2:
        return TextScorer(terms={}, intercept=prior)
    model = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=0)
    model.fit(matrix, labels, sample_weight=weights)
    coef = model.coef_.ravel()
    terms = {
        term: (float(vectorizer.idf_[i]), float(coef[i]))
        for term, i in vectorizer.vocabulary_.items()
    }
    return TextScorer(terms=terms, intercept=float(model.intercept_[0]))


def fit_text_scorers(users: Sequence[PreparedUser]) -> UserTextScorers:
    """Username char n-grams and page-title words → log-odds of "vandal", from these users."""
    labels = np.array([u.is_vandal for u in users], dtype=int)
    name = _fit_text_scorer(
        [name_terms(u.username) for u in users],
        labels,
        np.ones(len(users)),
        c=TEXT_C["name"],
        min_df=TEXT_MIN_DF["name"],
    )
    docs, title_labels, weights = [], [], []
    for user, label in zip(users, labels, strict=True):
        keys = list(dict.fromkeys(user.title_keys[:MAX_K]))
        edits = {(e.namespace, e.title): e for e in user.edits[:MAX_K]}
        for key in keys:
            docs.append(title_terms(edits[key]))
            title_labels.append(label)
            weights.append(1.0 / len(keys))
    title = _fit_text_scorer(
        docs,
        np.array(title_labels),
        np.array(weights) * len(users) / max(sum(weights), 1e-9),
        c=TEXT_C["title"],
        min_df=TEXT_MIN_DF["title"],
    )
    return UserTextScorers(name=name, title=title)


def with_text(user: PreparedUser, scorers: UserTextScorers, cache: dict) -> np.ndarray:
    """The full feature matrix of a user (behaviour + text scores), via the shared block code."""
    scores = []
    for key, edit in zip(user.title_keys, user.edits, strict=True):
        value = cache.get(key)
        if value is None:
            value = cache[key] = scorers.title.score(title_terms(edit))
        scores.append(value)
    matrix = user.base.copy()
    start = USER_FEATURE_NAMES.index("name_text_score")
    matrix[:, start : start + 5] = text_feature_block(user.username, user.edits, scorers, scores)
    return matrix


# --- rows, folds, model --------------------------------------------------------------------------


#: Longer prefixes also trained on (lightly), because an account is re-scored after every edit
#: and the edits-to-flag false-positive rate counts every one of a benign account's prefixes.
#: Chosen by CV: weight 0.03 took the mean edits-to-flag at 5% FPR from 2.95 to 2.25 (recall
#: 54% → 57%) with per-k accuracy unchanged; 0.1 was no better.
LONG_PREFIXES: tuple[int, ...] = (12, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500)
LONG_PREFIX_WEIGHT = 0.03  # weight of each long-prefix row, relative to an account's total of 1


def prefix_weights(n: int) -> dict[int, float]:
    """Training weight of each distinct prefix length of an account with ``n`` edits.

    Evaluation looks at k = 1..10 and "all" (a user with fewer than k edits uses all they
    have); each of these 11 views gets weight 1/11, so every account weighs 1 in total and the
    training mix matches the evaluation mix. Prefixes in :data:`LONG_PREFIXES` shorter than
    ``n`` add :data:`LONG_PREFIX_WEIGHT` each.
    """
    weights: dict[int, float] = {}
    for k in range(1, MAX_K + 1):
        weights[min(k, n)] = weights.get(min(k, n), 0.0) + 1.0 / (MAX_K + 1)
    weights[n] = weights.get(n, 0.0) + 1.0 / (MAX_K + 1)
    for k in LONG_PREFIXES:
        if MAX_K < k < n:
            weights[k] = weights.get(k, 0.0) + LONG_PREFIX_WEIGHT
    return weights


def model_columns(signals: bool) -> tuple[str, ...]:
    return (*MAIN_FEATURES, *SIGNAL_FEATURES) if signals else MAIN_FEATURES


def _select(matrix: np.ndarray, user: PreparedUser, signals: bool) -> np.ndarray:
    cols = [USER_FEATURE_NAMES.index(n) for n in MAIN_FEATURES]
    selected = matrix[:, cols]
    if signals:
        assert user.signals is not None
        selected = np.hstack([selected, user.signals])
    return selected


def fold_ids(labels: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold number of each account (stratified by label; an account is in exactly one fold, and
    all of its prefixes go with it)."""
    from wikiscore.training.selection import stratified_folds

    if n_folds < 2:
        raise InvalidInput("cross-validation needs at least 2 folds")
    try:
        splits = stratified_folds(np.asarray(labels), n_folds, seed)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    folds = np.empty(len(labels), dtype=int)
    for fold, (_, test) in enumerate(splits):
        folds[test] = fold
    return folds


@dataclass
class FittedModel:
    booster: Any  # lightgbm.Booster
    text: UserTextScorers
    signals: bool

    @property
    def feature_names(self) -> tuple[str, ...]:
        return model_columns(self.signals)


def _lgb_params(seed: int, threads: int) -> dict[str, Any]:
    return {**LGB_PARAMS, "seed": seed, "num_threads": threads}


def fit_model(
    users: Sequence[PreparedUser],
    *,
    signals: bool,
    seed: int = 0,
    inner_folds: int = 5,
    threads: int = 1,
    rounds: int = ROUNDS,
) -> FittedModel:
    """Cross-fit text scores for the trees' rows, fit the trees, refit the text on all users."""
    import lightgbm as lgb

    labels = np.array([u.is_vandal for u in users])
    folds = fold_ids(labels, inner_folds, seed + 1)
    inner_folds = int(folds.max()) + 1
    rows, targets, weights = [], [], []
    for fold in range(inner_folds):
        inside = [u for u, f in zip(users, folds, strict=True) if f != fold]
        scorers = fit_text_scorers(inside)
        cache: dict = {}
        for user, f in zip(users, folds, strict=True):
            if f != fold:
                continue
            matrix = _select(with_text(user, scorers, cache), user, signals)
            for k, w in prefix_weights(user.n).items():
                rows.append(matrix[k - 1])
                targets.append(user.is_vandal)
                weights.append(w)
    data = lgb.Dataset(
        np.asarray(rows),
        np.asarray(targets, dtype=float),
        weight=np.asarray(weights),
        feature_name=[n.replace(" ", "_") for n in model_columns(signals)],
        free_raw_data=True,
    )
    # Threads only pay off on big data; on a few hundred rows they mostly wait for each other.
    n_threads = threads if len(rows) >= 20_000 else 1
    booster = lgb.train(_lgb_params(seed, n_threads), data, num_boost_round=rounds)
    return FittedModel(booster=booster, text=fit_text_scorers(users), signals=signals)


def raw_prefix_scores(model: FittedModel, users: Sequence[PreparedUser]) -> list[np.ndarray]:
    """Raw scores (log-odds) of every prefix of every user."""
    cache: dict = {}
    matrices = [_select(with_text(u, model.text, cache), u, model.signals) for u in users]
    if not matrices:
        return []
    raw = model.booster.predict(np.vstack(matrices), raw_score=True)
    out, start = [], 0
    for m in matrices:
        out.append(np.asarray(raw[start : start + len(m)], dtype=np.float64))
        start += len(m)
    return out


def used_for_fitting(user: PreparedUser) -> bool:
    """False for accounts whose names have non-ASCII characters: all 86 of them in the VEWS
    sample are vandals (no benign one was collected), so fitting on them could only teach the
    model a sampling artefact. They are still scored and evaluated."""
    return user.username.isascii()


def cross_validate(
    users: Sequence[PreparedUser],
    *,
    signals: bool,
    n_folds: int = 5,
    seed: int = 0,
    threads: int = 1,
    rounds: int = ROUNDS,
    log: Any = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Out-of-fold scores of every prefix of every user on the artifact's raw scale, and each
    user's fold.

    Each fold's scores come from the fold model that did not see the account and the prefix
    calibration fitted on the *other* folds' out-of-fold scores (cross-fitted), expressed so
    that the artifact's one Platt map (:meth:`PrefixCalibration.spec` of the calibration
    fitted on all folds) turns them into the cross-fitted probabilities (see
    :func:`cross_fitted_scores`).
    """
    labels = np.array([u.is_vandal for u in users])
    raw, folds = out_of_fold_raw(
        users,
        signals=signals,
        n_folds=n_folds,
        seed=seed,
        threads=threads,
        rounds=rounds,
        log=log,
    )
    scores, _ = cross_fitted_scores(raw, labels, folds)
    return scores, folds


def out_of_fold_raw(
    users: Sequence[PreparedUser],
    *,
    signals: bool,
    n_folds: int = 5,
    seed: int = 0,
    threads: int = 1,
    rounds: int = ROUNDS,
    log: Any = None,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Out-of-fold raw scores (the fold boosters' log-odds) of every prefix of every user, and
    each user's fold."""
    labels = np.array([u.is_vandal for u in users])
    folds = fold_ids(labels, n_folds, seed)
    n_folds = int(folds.max()) + 1
    oof: list[np.ndarray | None] = [None] * len(users)
    fit_on = np.array([used_for_fitting(u) for u in users])
    for fold in range(n_folds):
        started = time.monotonic()
        train_idx = np.flatnonzero((folds != fold) & fit_on).tolist()
        test_idx = np.flatnonzero(folds == fold).tolist()
        model = fit_model(
            [users[i] for i in train_idx],
            signals=signals,
            seed=seed,
            threads=threads,
            rounds=rounds,
        )
        for i, scores in zip(
            test_idx, raw_prefix_scores(model, [users[i] for i in test_idx]), strict=True
        ):
            oof[i] = scores
        if log:
            log(f"fold {fold + 1}/{n_folds}: {time.monotonic() - started:.0f} s")
    return [s for s in oof if s is not None], folds


# --- calibration by prefix length ---------------------------------------------------------------

#: Prefix lengths (edits so far) sharing a calibration intercept; the last bucket is open.
#: 1.0.0's one Platt map, fitted on the 11 pooled evaluation views, left first edits 6 points
#: too high (mean probability 0.571 at k = 1 vs a base rate of 0.511): a one-edit account's
#: only row is in all 11 views, and one-edit accounts are 77% vandals. Most of the fix is the
#: population the map is fitted on (each account once per length it reached, see
#: :func:`calibration_rows`); the per-length intercepts differ by up to ~0.2 in log-odds.
CALIBRATION_BUCKETS: tuple[tuple[int, int | None], ...] = (
    *((k, k) for k in range(1, MAX_K + 1)),
    (11, 15),
    (16, 30),
    (31, 100),
    (101, None),
)
#: Inverse L2 strength of the calibration fit: bucket intercepts shrink toward the common one
#: only where a bucket has few accounts (negligible on the full data).
CALIBRATION_C = 10.0
MIN_CALIBRATION_SLOPE = 0.05
_BUCKET_STARTS = np.array([lo for lo, _ in CALIBRATION_BUCKETS])


def calibration_bucket(edits: Any) -> np.ndarray:
    """Index in :data:`CALIBRATION_BUCKETS` of each prefix length (edits so far, >= 1)."""
    return np.searchsorted(_BUCKET_STARTS, np.asarray(edits), side="right") - 1


@dataclass(frozen=True)
class PrefixCalibration:
    """Platt scaling with one slope and an intercept per prefix-length bucket:
    ``p = sigmoid(slope * raw + intercepts[bucket(edits so far)])``."""

    slope: float
    intercepts: tuple[float, ...]

    def logits(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated log-odds of one account's prefixes (raw scores, oldest first)."""
        buckets = calibration_bucket(np.arange(1, len(raw) + 1))
        return self.slope * np.asarray(raw) + np.asarray(self.intercepts)[buckets]

    @property
    def offsets(self) -> np.ndarray:
        """Per bucket, what to add to the raw score so that the one Platt map of
        :meth:`spec` gives this calibration (the first bucket's offset is 0)."""
        intercepts = np.asarray(self.intercepts)
        return (intercepts - intercepts[0]) / self.slope

    def spec(self) -> dict[str, Any]:
        """The artifact's calibration map, applied after the offsets (in the model file)."""
        return {"method": "platt", "a": self.slope, "b": self.intercepts[0]}

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "platt by prefix length (one slope, one intercept per bucket)",
            "buckets": [[lo, hi] for lo, hi in CALIBRATION_BUCKETS],
            "slope": self.slope,
            "intercepts": list(self.intercepts),
            "raw_offsets_in_model_file": [float(x) for x in self.offsets],
        }


def calibration_rows(
    sequences: Sequence[np.ndarray], labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(scores, labels, weights, buckets): accounts as a live scorer meets them.

    Every account counts once in each bucket it reached: at each prefix length up to
    :data:`MAX_K`, and spread evenly over its prefixes inside a longer bucket. Accounts that
    stopped earlier are not repeated at longer lengths: live, nobody knows an account stopped.
    """
    xs, ys, ws, bs = [], [], [], []
    for scores, label in zip(sequences, labels, strict=True):
        n = len(scores)
        buckets = calibration_bucket(np.arange(1, n + 1))
        counts = np.bincount(buckets, minlength=len(CALIBRATION_BUCKETS))
        xs.append(np.asarray(scores, dtype=np.float64))
        ys.append(np.full(n, int(label)))
        ws.append(1.0 / counts[buckets])
        bs.append(buckets)
    if not xs:
        return np.zeros(0), np.zeros(0, int), np.zeros(0), np.zeros(0, int)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws), np.concatenate(bs)


def fit_prefix_calibration(
    sequences: Sequence[np.ndarray], labels: np.ndarray
) -> PrefixCalibration:
    """Fit :class:`PrefixCalibration` on (out-of-fold) raw scores of every prefix."""
    from sklearn.linear_model import LogisticRegression

    x, y, w, b = calibration_rows(sequences, labels)
    n_buckets = len(CALIBRATION_BUCKETS)
    if len(set(y.tolist())) < 2:  # one class only (tiny data): the prior, no slope
        rate = float(np.clip(y.mean() if y.size else 0.5, 1e-6, 1 - 1e-6))
        return PrefixCalibration(1.0, (math.log(rate / (1 - rate)),) * n_buckets)
    design = np.zeros((x.size, 1 + n_buckets))
    design[:, 0] = x
    design[np.arange(x.size), 1 + b] = 1.0
    model = LogisticRegression(C=CALIBRATION_C, solver="lbfgs", max_iter=5000)
    model.fit(design, y, sample_weight=w)
    coef = model.coef_.ravel()
    intercepts = tuple(float(model.intercept_[0] + c) for c in coef[1:])
    return PrefixCalibration(max(float(coef[0]), MIN_CALIBRATION_SLOPE), intercepts)


def cross_fitted_scores(
    raw: Sequence[np.ndarray], labels: np.ndarray, folds: np.ndarray
) -> tuple[list[np.ndarray], PrefixCalibration]:
    """(each account's scores on the artifact's raw scale, calibrated by the map fitted on the
    other folds; the map fitted on all folds, which the artifact keeps).

    ``spec()`` of the returned map turns the scores into the cross-fitted probabilities.
    """
    final = fit_prefix_calibration(raw, labels)
    out: list[np.ndarray] = [np.zeros(0)] * len(raw)
    for fold in np.unique(folds).tolist():
        inside = np.flatnonzero(folds != fold)
        calibration = fit_prefix_calibration([raw[i] for i in inside.tolist()], labels[inside])
        for i in np.flatnonzero(folds == fold).tolist():
            out[i] = (calibration.logits(raw[i]) - final.intercepts[0]) / final.slope
    return out, final


def with_prefix_offsets(booster: Any, offsets: np.ndarray) -> Any:
    """The booster plus one tree on the ``edits`` feature (column 0) adding ``offsets[bucket]``
    to the raw score, so that the artifact's one Platt map calibrates by prefix length and
    every consumer of the model file (live scoring, evaluation, audits) gets the same
    probability. Checked on every bucket; RuntimeError if the merged model differs."""
    import lightgbm as lgb

    edits = np.arange(1, CALIBRATION_BUCKETS[-1][0] + 1, dtype=np.float64)
    target = np.asarray(offsets, dtype=np.float64)[calibration_bucket(edits)]
    params = {
        "objective": "regression",
        "learning_rate": 1.0,
        "num_leaves": 2 * len(CALIBRATION_BUCKETS),
        "min_data_in_leaf": 1,
        "min_sum_hessian_in_leaf": 0.0,
        "min_data_in_bin": 1,
        "lambda_l2": 0.0,
        "boost_from_average": False,
        "verbose": -1,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "seed": 0,
    }
    data = lgb.Dataset(edits.reshape(-1, 1), target, params={"min_data_in_bin": 1})
    tree_text = lgb.train(params, data, num_boost_round=1).model_to_string()
    tree = tree_text[tree_text.index("Tree=0\n") : tree_text.index("end of trees")]
    tree = tree.replace("Tree=0\n", f"Tree={booster.num_trees()}\n", 1)
    head, tail = booster.model_to_string().split("end of trees", 1)
    # tree_sizes indexes the trees for parallel parsing; LightGBM parses sequentially without
    # it, and writes it anew below.
    head = "\n".join(line for line in head.split("\n") if not line.startswith("tree_sizes="))
    merged = lgb.Booster(model_str=head + tree + "end of trees" + tail)
    merged = lgb.Booster(model_str=merged.model_to_string())
    probe_edits = np.array([*edits, 150.0, 1000.0, 1e6])
    probe = np.full((probe_edits.size, booster.num_feature()), np.nan)
    probe[:, 0] = probe_edits
    added = merged.predict(probe, raw_score=True) - booster.predict(probe, raw_score=True)
    expected = np.asarray(offsets)[calibration_bucket(probe_edits)]
    if not np.allclose(added, expected, atol=1e-9):
        raise RuntimeError("prefix-length offset tree does not reproduce the offsets")
    return merged


def compare_calibrations(
    raw: Sequence[np.ndarray],
    probabilities: Sequence[np.ndarray],
    labels: np.ndarray,
    folds: np.ndarray,
) -> dict[str, Any]:
    """The prefix calibration next to one Platt map on the pooled views (the 1.0.0 method),
    both cross-fitted over the same folds: ECE and mean probability at k = 1 and "all",
    pooled log loss."""
    from sklearn.linear_model import LogisticRegression

    from wikiscore.evaluation.metrics import expected_calibration_error, log_loss

    y = labels.astype(int)
    pooled: list[np.ndarray] = [np.zeros(0)] * len(raw)
    for fold in np.unique(folds).tolist():
        inside = np.flatnonzero(folds != fold)
        x = np.concatenate([at_k([raw[i] for i in inside.tolist()], k) for k in EVAL_KS])
        t = np.tile(y[inside], len(EVAL_KS))
        if len(set(t.tolist())) < 2:
            return {}
        model = LogisticRegression(C=1e6, max_iter=1000).fit(x.reshape(-1, 1), t)
        a, b = float(model.coef_[0, 0]), float(model.intercept_[0])
        for i in np.flatnonzero(folds == fold).tolist():
            pooled[i] = 1.0 / (1.0 + np.exp(-(a * raw[i] + b)))

    def summary(p: Sequence[np.ndarray]) -> dict[str, float]:
        out: dict[str, float] = {}
        for k in (1, "all"):
            at = at_k(p, k)
            out[f"k{k}_ece"] = round(expected_calibration_error(y, at), 6)
            out[f"k{k}_mean_probability"] = round(float(at.mean()), 6)
        views = np.concatenate([at_k(p, k) for k in EVAL_KS])
        out["pooled_log_loss"] = round(log_loss(np.tile(y, len(EVAL_KS)), views), 6)
        return out

    return {
        "chosen": "platt by prefix length",
        "criterion": "calibration at each prefix length as accounts are met live; "
        "cross-fitted by account fold",
        "base_rate": round(float(y.mean()), 6),
        "methods": {
            "platt by prefix length": summary(probabilities),
            "one platt map on pooled views (1.0.0)": summary(pooled),
        },
    }


# --- metrics -------------------------------------------------------------------------------------


def at_k(sequences: Sequence[np.ndarray], k: int | str) -> np.ndarray:
    """Each user's score after their first k edits (all of them if fewer; ``"all"``: last)."""
    if k == "all":
        return np.array([s[-1] for s in sequences])
    return np.array([s[min(int(k), len(s)) - 1] for s in sequences])


def _accuracy_at(threshold: float):
    def accuracy(y: np.ndarray, p: np.ndarray) -> float:
        return float(np.mean((p >= threshold) == (y == 1)))

    return accuracy


def per_k_metrics(
    probabilities: Sequence[np.ndarray],
    labels: np.ndarray,
    *,
    threshold: float = 0.5,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Accuracy, ROC-AUC, PR-AUC (and calibration) with bootstrap CIs for each k and "all"."""
    from wikiscore.evaluation.metrics import binary_metrics, bootstrap_ci

    y = labels.astype(int)
    out: dict[str, Any] = {}
    for k in EVAL_KS:
        p = at_k(probabilities, k)
        metrics = binary_metrics(y, p, n_boot=n_boot, seed=seed)
        accuracy = _accuracy_at(threshold)
        ci = bootstrap_ci(y, p, accuracy, n_boot=n_boot, seed=seed) if n_boot else None
        metrics["accuracy"] = {"value": accuracy(y, p), "ci95": list(ci) if ci else None}
        out[str(k)] = metrics
    return out


def baseline_sequences(users: Sequence[PreparedUser]) -> dict[str, list[np.ndarray]]:
    """Per-edit ClueBot NG reverts (1/0) and STiki scores, for the edits-to-flag baselines."""
    cluebot, stiki = [], []
    for user in users:
        assert user.raw is not None
        cluebot.append(np.array([float(e.cluebot_revert) for e in user.raw.edits]))
        stiki.append(
            np.array([e.stiki_score if e.stiki_score is not None else 0.0 for e in user.raw.edits])
        )
    return {"cluebot": cluebot, "stiki": stiki}


def early_warning_metrics(
    probabilities: Sequence[np.ndarray],
    labels: np.ndarray,
    baselines: dict[str, list[np.ndarray]] | None,
    *,
    fpr: float = TARGET_FPR,
    model_threshold: float | None = None,
) -> dict[str, Any]:
    """Edits before a vandal is flagged, ours at ``fpr`` next to ClueBot NG and STiki."""
    out: dict[str, Any] = {"target_fpr": fpr}
    ours = edits_to_flag(probabilities, labels, fpr=fpr)
    out["model"] = ours
    ours_flags = first_flag(probabilities, ours["threshold"] or math.inf)
    if model_threshold is not None:
        out["model_at_trained_threshold"] = edits_to_flag(
            probabilities, labels, threshold=model_threshold
        )
    if baselines:
        cluebot = edits_to_flag(baselines["cluebot"], labels, threshold=1.0)
        out["cluebot_ng"] = {**cluebot, "note": "first edit reverted by ClueBot NG"}
        stiki = edits_to_flag(baselines["stiki"], labels, fpr=fpr)
        out["stiki"] = {**stiki, "note": "first edit whose STiki score reaches the threshold"}
        cluebot_fpr = cluebot["fpr"] or 0.0
        out["model_at_cluebot_fpr"] = edits_to_flag(probabilities, labels, fpr=cluebot_fpr)
        out["vs_cluebot_on_common_vandals"] = compare_on_common(
            ours_flags, first_flag(baselines["cluebot"], 1.0), labels
        )
        out["vs_stiki_on_common_vandals"] = compare_on_common(
            ours_flags, first_flag(baselines["stiki"], stiki["threshold"] or math.inf), labels
        )
    return out


def user_slices(users: Sequence[PreparedUser]) -> dict[str, np.ndarray]:
    """Who could be harmed by false alarms: accounts grouped by name script and first edit."""
    non_ascii = np.array([any(not c.isascii() for c in u.username) for u in users])
    first = [u.edits[0] for u in users]
    own = np.array(
        [
            page_kind(e, u.username) in ("own_user_page", "own_user_subpage", "own_user_talk")
            for e, u in zip(first, users, strict=True)
        ]
    )
    article = np.array([e.namespace == 0 for e in first])
    return {
        "username_non_ascii": non_ascii,
        "username_ascii": ~non_ascii,
        "first_edit_article": article,
        "first_edit_own_user_pages": own,
        "first_edit_elsewhere": ~article & ~own,
    }


def slice_metrics(
    probabilities: Sequence[np.ndarray],
    labels: np.ndarray,
    slices: dict[str, np.ndarray],
    *,
    threshold: float,
    flag_threshold: float | None,
) -> dict[str, Any]:
    """Per slice: accounts, false-positive rate and recall at k = 1 and "all" (threshold 0.5),
    and the share of benign accounts ever flagged at the flag threshold."""
    out: dict[str, Any] = {}
    for name, mask in slices.items():
        y = labels[mask].astype(bool)
        members = [probabilities[i] for i in np.flatnonzero(mask).tolist()]
        entry: dict[str, Any] = {"accounts": int(mask.sum()), "vandals": int(y.sum())}
        for k in (1, "all"):
            flagged = (at_k(members, k) >= threshold) if members else np.zeros(0, dtype=bool)
            entry[f"k{k}"] = {
                "fpr": float(flagged[~y].mean()) if (~y).any() else None,
                "recall": float(flagged[y].mean()) if y.any() else None,
            }
        if flag_threshold is not None and (~y).any():
            benign = [probabilities[i] for i in np.flatnonzero(mask & ~labels).tolist()]
            entry["benign_ever_flagged"] = float(
                np.mean([float(np.max(s)) >= flag_threshold for s in benign])
            )
        out[name] = entry
    return out


# --- paths and options ---------------------------------------------------------------------------


def default_data_dir() -> Path | None:
    """``../shared/data/umd-vews`` relative to the repository root (overridable by --data), or
    None when not running from a source checkout."""
    repo = repo_root()
    return (repo / DEFAULT_DATA).resolve() if repo is not None else None


def _data_dir(data: Path | str | None) -> Path:
    path = Path(data) if data else default_data_dir()
    if path is None:
        raise InvalidInput(
            f"no data directory given and no source checkout to find {DEFAULT_DATA} in "
            "(pass --data DIR)"
        )
    if not path.exists():
        raise InvalidInput(f"data directory {path} does not exist (pass --data DIR)")
    return path


def _threads(options: dict[str, Any]) -> int:
    # One thread by default: a fold's trees take ~15 s on one core, and a second thread
    # mostly waits on a shared machine.
    return int(options.get("threads") or 1)


# --- artifact ------------------------------------------------------------------------------------

TEXT_SCORERS_FILE = "text_scorers.json"
USER_LEVELS = ("likely_benign", "watch", "likely_vandal", "very_likely_vandal")
#: User-level false-positive rates (share of benign accounts ever flagged over all their edits)
#: that bound each level from below.
LEVEL_FPRS = {"likely_vandal": TARGET_FPR, "very_likely_vandal": 0.01}
WATCH_THRESHOLD = 0.5  # more likely a vandal than not (at the training sample's base rate)


def _pooled_views(
    probabilities: Sequence[np.ndarray], labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All (user, k) evaluation views stacked: probabilities and labels, k = 1..10 and all."""
    p = np.concatenate([at_k(probabilities, k) for k in EVAL_KS])
    y = np.tile(labels.astype(int), len(EVAL_KS))
    return p, y


def build_user_levels(
    probabilities: Sequence[np.ndarray], labels: np.ndarray
) -> list[dict[str, Any]]:
    """Levels from out-of-fold probabilities: ``watch`` from p >= 0.5; ``likely_vandal`` and
    ``very_likely_vandal`` keep the share of benign accounts that ever reach them (over all
    their edits) at most 5% and 1%."""
    levels: list[dict[str, Any]] = [{"name": "likely_benign", "threshold": 0.0}]
    bounds = [("watch", WATCH_THRESHOLD, "probability >= 0.5")]
    for name in ("likely_vandal", "very_likely_vandal"):
        threshold = threshold_at_user_fpr(probabilities, labels, LEVEL_FPRS[name])
        if not math.isinf(threshold):
            bounds.append(
                (name, threshold, f"benign accounts ever flagged <= {LEVEL_FPRS[name]:g}")
            )
    floor = 0.0
    for name, threshold, query in bounds:
        floor = max(floor, threshold)
        result = edits_to_flag(probabilities, labels, threshold=floor)
        levels.append(
            {
                "name": name,
                "threshold": floor,
                "user_fpr": result["fpr"],
                "vandal_recall": result["recall"],
                "mean_edits_to_flag": result["mean_edits"],
                "query": query,
            }
        )
    for lower, upper in itertools.pairwise(levels):
        lower["upper"] = upper["threshold"]
    levels[-1]["upper"] = None
    return levels


def write_user_artifact(
    out: Path,
    model: FittedModel,
    *,
    name: str,
    calibration: dict[str, Any],
    levels: list[dict[str, Any]],
    threshold_counts: dict[str, list[float]],
    extra: dict[str, Any],
) -> Path:
    import hashlib
    import json

    from wikiscore.models.artifact import write_artifact
    from wikiscore.models.inputs import InputSpec

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    text_bytes = (
        json.dumps(model.text.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
    ).encode("utf-8")
    (out / TEXT_SCORERS_FILE).write_bytes(text_bytes)
    metadata = {
        "name": name,
        "version": MODEL_VERSION,
        "kind": "user",
        "inputs": InputSpec(features=model.feature_names).to_json(),
        "calibration": calibration,
        "default_threshold": 0.5,
        "levels": levels,
        "threshold_table": threshold_counts,
        "text_scorers_file": TEXT_SCORERS_FILE,
        "text_scorers_sha256": hashlib.sha256(text_bytes).hexdigest(),
        "feature_code": "wikiscore.features.user_behaviour.user_feature_matrix",
        "signals": model.signals,
        **code_provenance(),
        **extra,
    }
    return write_artifact(out, model.booster.model_to_string(), metadata)


# --- train and evaluate --------------------------------------------------------------------------


def _calibrated(calibration: dict[str, Any], raw: Sequence[np.ndarray]) -> list[np.ndarray]:
    from wikiscore.models.calibration import apply_calibration

    return [apply_calibration(calibration, r) for r in raw]


def _threshold_counts(p: np.ndarray, y: np.ndarray) -> dict[str, list[float]]:
    from wikiscore.evaluation.thresholds import threshold_table

    grid = np.round(np.linspace(0.0, 1.0, 201), 3)
    table = threshold_table(y, p, thresholds=grid)
    return {k: [round(v, 6) for v in table[k]] for k in ("threshold", "tp", "fp", "tn", "fn")}


def train(
    data: Path | str | None,
    out: Path | str,
    options: dict[str, Any] | None = None,
    *,
    signals: bool = False,
) -> dict[str, Any]:
    """Cross-validate, calibrate on out-of-fold scores, fit on everything, write the artifact.

    Options: ``folds`` (5), ``seed`` (0), ``threads``, ``rounds`` (250), ``bootstrap``
    (resamples for the CV confidence intervals, 200), ``log`` (a callable for progress lines).
    """
    options = dict(options or {})
    started = time.monotonic()
    log = options.get("log")
    seed = int(options.get("seed", 0))
    threads = _threads(options)
    rounds = int(options.get("rounds", ROUNDS))
    n_folds = int(options.get("folds", 5))
    dataset = load_vews(_data_dir(data))
    users = prepare_users(dataset, signals=signals)
    labels = np.array([u.is_vandal for u in users])
    if log:
        log(f"{len(users)} users ({int(labels.sum())} vandals) from {dataset.directory}")
    oof_raw, folds = out_of_fold_raw(
        users, signals=signals, n_folds=n_folds, seed=seed, threads=threads, rounds=rounds, log=log
    )
    # Platt, not isotonic: isotonic's plateaus tie many accounts at one probability, so a
    # threshold for a 5% false-positive rate can only land on 4.2% or 6%. One slope, one
    # intercept per prefix length (cross-fitted: each fold calibrated by the other folds).
    oof_scores, prefix_calibration = cross_fitted_scores(oof_raw, labels, folds)
    calibration = prefix_calibration.spec()
    oof = _calibrated(calibration, oof_scores)
    calibration_report = compare_calibrations(oof_raw, oof, labels, folds)
    levels = build_user_levels(oof, labels)
    flag_threshold = next(lv["threshold"] for lv in levels if lv["name"] == "likely_vandal")
    cv_metrics = {
        "folds": int(folds.max()) + 1,
        "grouping": "by account: all prefixes of an account are in one fold",
        "per_k": per_k_metrics(oof, labels, n_boot=int(options.get("bootstrap", 200)), seed=seed),
        "early_warning": early_warning_metrics(
            oof, labels, baseline_sequences(users), model_threshold=flag_threshold
        ),
        "slices": slice_metrics(
            oof, labels, user_slices(users), threshold=0.5, flag_threshold=flag_threshold
        ),
    }
    if log:
        log("fitting the final model on all users")
    fitted_users = [u for u in users if used_for_fitting(u)]
    final = fit_model(fitted_users, signals=signals, seed=seed, threads=threads, rounds=rounds)
    final.booster = with_prefix_offsets(final.booster, prefix_calibration.offsets)
    p_pooled, y_pooled = _pooled_views(oof, labels)
    name = f"enwiki-{SIGNALS_MODEL_NAME if signals else MODEL_NAME}"
    write_user_artifact(
        Path(out),
        final,
        name=name,
        calibration=calibration,
        levels=levels,
        threshold_counts=_threshold_counts(p_pooled, y_pooled),
        extra={
            "description": (
                "Probability that a registered English Wikipedia account is a vandal (blocked "
                "for vandalism), from its first edits: pages and namespaces, timing, returns "
                "to pages, titles and username"
                + (
                    ", plus reverts and STiki scores known before each edit."
                    if signals
                    else "; nothing from other people or tools."
                )
            ),
            "version_history": list(VERSION_HISTORY),
            "flag_threshold": flag_threshold,
            "flag_threshold_user_fpr": TARGET_FPR,
            "base_rate_note": _base_rate_note(cv_metrics),
            "calibration_report": calibration_report,
            "prefix_calibration": prefix_calibration.to_json(),
            "cv": cv_metrics,
            "training": {
                "data": dataset.summary(),
                "params": {**LGB_PARAMS, "seed": seed, "rounds": rounds},
                "text_scorers": {"C": TEXT_C, "min_df": TEXT_MIN_DF},
                "prefix_weights": (
                    "k = 1..10 and all edits, 1/11 each per account; plus k in "
                    f"{list(LONG_PREFIXES)} below the account's edit count, "
                    f"{LONG_PREFIX_WEIGHT:g} each"
                ),
                "excluded_features": list(EXCLUDED_FEATURES),
                "accounts_not_fitted": {
                    "count": len(users) - len(fitted_users),
                    "why": "non-ASCII username: all such accounts in the sample are vandals "
                    "(sampling artefact); scored and evaluated, never fitted on",
                },
                "seconds": round(time.monotonic() - started, 1),
            },
        },
    )
    return {
        "model": name,
        "out": str(out),
        "users": len(users),
        "cv": _headline(cv_metrics),
        "seconds": round(time.monotonic() - started, 1),
    }


def _base_rate_note(cv_metrics: dict[str, Any]) -> str:
    ece = {k: cv_metrics["per_k"][k]["ece"]["value"] for k in ("1", "all")}
    return (
        "Calibrated on the VEWS sample, about half vandals; among all new accounts vandals are "
        "far rarer, so read probabilities as relative risk and use the levels (set by "
        "false-positive rate among benign accounts). Probabilities are calibrated for each "
        "number of edits so far, over the accounts that reached it, as a live scorer meets "
        f"them (cross-validated ECE {ece['1']:.3f} after the first edit). An account that "
        "stopped editing early, often because it was blocked, is not known to have stopped "
        "when scored, so after an account's last edit the probability is lower than the share "
        "of vandals among accounts that stopped there (ECE over accounts after all their "
        f"edits {ece['all']:.3f})."
    )


def _headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """Short summary: accuracy and ROC-AUC per k, edits-to-flag of each detector."""
    per_k = {
        k: {
            "accuracy": round(m["accuracy"]["value"], 4),
            "roc_auc": round(m["roc_auc"]["value"], 4) if m["roc_auc"]["value"] else None,
        }
        for k, m in metrics["per_k"].items()
    }
    early = metrics["early_warning"]
    flags = {
        name: {
            "mean_edits": early[name]["mean_edits"],
            "fpr": early[name]["fpr"],
            "recall": early[name]["recall"],
        }
        for name in ("model", "cluebot_ng", "stiki")
        if name in early
    }
    return {"per_k": per_k, "edits_to_flag": flags}


def evaluate(
    data: Path | str | None,
    model_dir: Path | str | None,
    predictions: Path | str | None = None,
    report: Path | str | None = None,
    options: dict[str, Any] | None = None,
    *,
    signals: bool = False,
) -> dict[str, Any]:
    """Score every user of a VEWS-layout directory with a trained artifact and report metrics.

    Per k = 1..10 (the first k edits; users with fewer use all they have) and "all": accuracy
    (at the artifact's threshold, 0.5), ROC-AUC, PR-AUC, calibration, with bootstrap CIs; and
    the mean number of edits before a vandal is flagged at a 5% false-positive rate next to
    ClueBot NG and STiki in the same data. ``predictions`` gets ``username<TAB>k<TAB>p``.
    """
    from wikiscore.models.artifact import ModelArtifact
    from wikiscore.scoring.user import load_text_scorers
    from wikiscore.training.registry import default_model_dir

    options = dict(options or {})
    name = SIGNALS_MODEL_NAME if signals else MODEL_NAME
    directory = Path(model_dir) if model_dir else default_model_dir(name)
    artifact = ModelArtifact.load(directory)
    if bool(artifact.metadata.get("signals")) != signals:
        raise InvalidInput(f"{directory} holds {artifact.name}, not a {name} model")
    scorers = load_text_scorers(artifact)
    dataset = load_vews(_data_dir(data))
    users = prepare_users(dataset, signals=signals)
    labels = np.array([u.is_vandal for u in users])
    probabilities = prefix_probabilities(artifact, scorers, users)
    n_boot = int(options.get("n_boot", 1000))
    seed = int(options.get("seed", 0))
    metrics = {
        "model": artifact.name,
        "version": artifact.version,
        "data": {k: v for k, v in dataset.summary().items()},
        "per_k": per_k_metrics(
            probabilities, labels, threshold=artifact.default_threshold, n_boot=n_boot, seed=seed
        ),
        "early_warning": early_warning_metrics(
            probabilities,
            labels,
            baseline_sequences(users),
            model_threshold=artifact.metadata.get("flag_threshold"),
        ),
        "slices": slice_metrics(
            probabilities,
            labels,
            user_slices(users),
            threshold=artifact.default_threshold,
            flag_threshold=artifact.metadata.get("flag_threshold"),
        ),
    }
    if predictions:
        write_predictions(Path(predictions), users, probabilities)
    if report:
        from wikiscore.evaluation.early_warning_report import write_report

        write_report(Path(report), metrics)
    return metrics


def prefix_probabilities(
    artifact: Any, scorers: UserTextScorers, users: Sequence[PreparedUser]
) -> list[np.ndarray]:
    """Calibrated probability after each edit of each user, through the artifact."""
    signals = bool(artifact.metadata.get("signals"))
    cache: dict = {}
    matrices = [_select(with_text(u, scorers, cache), u, signals) for u in users]
    if not matrices:
        return []
    p = artifact.predict_proba(np.vstack(matrices))
    out, start = [], 0
    for m in matrices:
        out.append(np.asarray(p[start : start + len(m)], dtype=np.float64))
        start += len(m)
    return out


def write_predictions(
    path: Path, users: Sequence[PreparedUser], probabilities: Sequence[np.ndarray]
) -> None:
    """``username<TAB>k<TAB>probability`` (no header; 9 decimals) for k = 1..10 and ``all``,
    every user, in username order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for user, p in zip(users, probabilities, strict=True):
            for k in EVAL_KS:
                value = p[-1] if k == "all" else p[min(int(k), len(p)) - 1]
                handle.write(f"{user.username}\t{k}\t{value:.9f}\n")


def _train_main(data, out, options=None):
    return train(data, out, options, signals=False)


def _evaluate_main(data, model_dir, predictions=None, report=None, options=None):
    return evaluate(data, model_dir, predictions, report, options, signals=False)


def _train_signals(data, out, options=None):
    return train(data, out, options, signals=True)


def _evaluate_signals(data, model_dir, predictions=None, report=None, options=None):
    return evaluate(data, model_dir, predictions, report, options, signals=True)


def _job(name: str, description: str, train_fn, evaluate_fn):
    from wikiscore.training.registry import ModelJob

    return ModelJob(
        name=name,
        description=description,
        default_data=DEFAULT_DATA,
        train=train_fn,
        evaluate=evaluate_fn,
    )


JOB = _job(
    MODEL_NAME,
    "vandal early warning from an account's first edits (VEWS data; behaviour only)",
    _train_main,
    _evaluate_main,
)
SIGNALS_JOB = _job(
    SIGNALS_MODEL_NAME,
    "vandal early warning plus reverts and STiki scores known before each edit",
    _train_signals,
    _evaluate_signals,
)
