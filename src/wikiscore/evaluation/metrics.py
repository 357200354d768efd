"""Metrics of a probabilistic binary classifier, as pure functions over numpy arrays.

Owns ROC-AUC, PR-AUC (average precision, as scikit-learn defines it), log loss, Brier score,
expected calibration error, ROC/PR/calibration curves and percentile-bootstrap confidence
intervals. Every function takes ``y_true`` (0/1 or bool, shape (n,)) and ``y_prob`` (scores or
probabilities, shape (n,)) and returns plain Python numbers, lists or dicts, so results can go
straight into JSON. A metric that is undefined (e.g. ROC-AUC on one class) is ``nan`` here and
``None`` in :func:`binary_metrics`. Must not read files or know about models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Metric = Callable[[np.ndarray, np.ndarray], float]

_EPS = 1e-15


def _arrays(y_true: Any, y_prob: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.float64).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true has {y.size} values but y_prob has {p.size}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y_true must hold only 0/1 (or False/True)")
    if not np.all(np.isfinite(p)):
        raise ValueError("y_prob holds NaN or infinite values")
    return y, p


def roc_auc(y_true: Any, y_score: Any) -> float:
    """Area under the ROC curve (ties count one half); ``nan`` if only one class is present."""
    y, s = _arrays(y_true, y_score)
    n_pos = y.sum()
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = _average_ranks(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank (as scipy.stats.rankdata 'average')."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    boundaries = np.flatnonzero(np.diff(sorted_values)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [values.size]))
    mean_rank = (starts + ends + 1) / 2.0  # average of ranks start+1 .. end
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def _descending_counts(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cumulative true/false positives at each distinct score, highest score first."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted = s[order]
    y_sorted = y[order]
    last_of_group = np.r_[np.flatnonzero(np.diff(s_sorted)), y.size - 1]
    tps = np.cumsum(y_sorted)[last_of_group]
    fps = (last_of_group + 1) - tps
    return tps, fps, s_sorted[last_of_group]


def average_precision(y_true: Any, y_score: Any) -> float:
    """PR-AUC as average precision: sum over thresholds of (R_k - R_k-1) * P_k.

    Same definition as ``sklearn.metrics.average_precision_score`` (no interpolation);
    ``nan`` when there is no positive example.
    """
    y, s = _arrays(y_true, y_score)
    n_pos = y.sum()
    if n_pos == 0:
        return math.nan
    tps, fps, _ = _descending_counts(y, s)
    precision = tps / (tps + fps)
    recall = tps / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def log_loss(y_true: Any, y_prob: Any) -> float:
    """Mean negative log-likelihood (natural log), probabilities clipped to [1e-15, 1-1e-15]."""
    y, p = _arrays(y_true, y_prob)
    p = np.clip(p, _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier_score(y_true: Any, y_prob: Any) -> float:
    """Mean squared difference between the probability and the 0/1 outcome."""
    y, p = _arrays(y_true, y_prob)
    return float(np.mean((p - y) ** 2))


def _bin_edges(p: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    if strategy == "quantile":
        edges = np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1))
        edges[0], edges[-1] = 0.0, 1.0
        return np.unique(edges)
    raise ValueError(f"unknown binning strategy {strategy!r} (use 'uniform' or 'quantile')")


def _bin_index(p: np.ndarray, edges: np.ndarray) -> np.ndarray:
    # Bins are [lo, hi) except the last, which includes 1.0.
    return np.clip(np.searchsorted(edges, p, side="right") - 1, 0, edges.size - 2)


def calibration_curve(
    y_true: Any, y_prob: Any, *, n_bins: int = 10, strategy: str = "uniform"
) -> list[dict[str, float | int]]:
    """Reliability diagram data: one dict per non-empty bin.

    Each bin: ``lower``, ``upper``, ``count``, ``mean_probability`` (mean prediction),
    ``observed_rate`` (fraction of positives). ``strategy`` is ``"uniform"`` (equal-width bins
    on [0, 1]) or ``"quantile"`` (bins holding about the same number of examples).
    """
    y, p = _arrays(y_true, y_prob)
    edges = _bin_edges(p, n_bins, strategy)
    index = _bin_index(p, edges)
    bins = []
    for b in range(edges.size - 1):
        mask = index == b
        count = int(mask.sum())
        if count == 0:
            continue
        bins.append(
            {
                "lower": float(edges[b]),
                "upper": float(edges[b + 1]),
                "count": count,
                "mean_probability": float(p[mask].mean()),
                "observed_rate": float(y[mask].mean()),
            }
        )
    return bins


def expected_calibration_error(
    y_true: Any, y_prob: Any, *, n_bins: int = 10, strategy: str = "uniform"
) -> float:
    """Expected calibration error: sum over bins of (bin share) * |observed rate - mean p|.

    With the default 10 equal-width bins this is the usual ECE; ``strategy="quantile"`` gives
    the adaptive variant, which looks harder at the crowded low-probability range.
    """
    y, p = _arrays(y_true, y_prob)
    if y.size == 0:
        return math.nan
    edges = _bin_edges(p, n_bins, strategy)
    index = _bin_index(p, edges)
    sum_p = np.bincount(index, weights=p, minlength=edges.size - 1)
    sum_y = np.bincount(index, weights=y, minlength=edges.size - 1)
    return float(np.sum(np.abs(sum_y - sum_p)) / y.size)


def roc_curve(y_true: Any, y_score: Any) -> dict[str, list[float]]:
    """ROC curve points from (0, 0) to (1, 1): ``fpr``, ``tpr`` and the ``threshold`` of each."""
    y, s = _arrays(y_true, y_score)
    tps, fps, thresholds = _descending_counts(y, s)
    n_pos = max(y.sum(), 1.0)
    n_neg = max(y.size - y.sum(), 1.0)
    return {
        "fpr": [0.0, *(fps / n_neg).tolist()],
        "tpr": [0.0, *(tps / n_pos).tolist()],
        "threshold": [math.inf, *thresholds.tolist()],
    }


def pr_curve(y_true: Any, y_score: Any) -> dict[str, list[float]]:
    """PR curve points, highest threshold first (``recall``, ``precision``, ``threshold``)."""
    y, s = _arrays(y_true, y_score)
    tps, fps, thresholds = _descending_counts(y, s)
    n_pos = max(y.sum(), 1.0)
    return {
        "recall": (tps / n_pos).tolist(),
        "precision": (tps / (tps + fps)).tolist(),
        "threshold": thresholds.tolist(),
    }


DEFAULT_METRICS: dict[str, Metric] = {
    "roc_auc": roc_auc,
    "pr_auc": average_precision,
    "log_loss": log_loss,
    "brier": brier_score,
    "ece": expected_calibration_error,
}


def bootstrap_ci(
    y_true: Any,
    y_prob: Any,
    metrics: dict[str, Metric] | Metric,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, tuple[float, float] | None] | tuple[float, float] | None:
    """Percentile bootstrap confidence intervals (resampling examples with replacement).

    ``metrics`` is one metric function or a dict of them (all computed on the same resamples).
    Resamples on which a metric is undefined (e.g. one class only) are skipped; if fewer than
    half of them remain the interval is ``None``. Deterministic for a given ``seed``.
    """
    y, p = _arrays(y_true, y_prob)
    single = callable(metrics)
    named: dict[str, Metric] = {"metric": metrics} if callable(metrics) else dict(metrics)
    if y.size == 0 or n_boot <= 0:
        empty: dict[str, tuple[float, float] | None] = {k: None for k in named}
        return empty["metric"] if single else empty
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {k: [] for k in named}
    for _ in range(n_boot):
        idx = rng.integers(0, y.size, y.size)
        yb, pb = y[idx], p[idx]
        for name, fn in named.items():
            value = fn(yb, pb)
            if not math.isnan(value):
                values[name].append(value)
    alpha = (1.0 - level) / 2.0
    out: dict[str, tuple[float, float] | None] = {}
    for name, vals in values.items():
        if len(vals) < n_boot / 2:
            out[name] = None
        else:
            lo, hi = np.quantile(vals, [alpha, 1.0 - alpha])
            out[name] = (float(lo), float(hi))
    return out["metric"] if single else out


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _resample_weights(rng: np.random.Generator, n: int, batch: int) -> np.ndarray:
    """How often each example appears in each of ``batch`` resamples (same draws as
    ``rng.integers(0, n, n)`` called ``batch`` times)."""
    idx = rng.integers(0, n, (batch, n))
    offsets = (np.arange(batch) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=batch * n).reshape(batch, n)


def _bootstrap_default_metrics(
    y: np.ndarray, p: np.ndarray, *, n_boot: int, seed: int, n_bins: int
) -> dict[str, np.ndarray]:
    """The :data:`DEFAULT_METRICS` on ``n_boot`` resamples, vectorised over resamples.

    A resample is represented by how often each example was drawn; ranking metrics then need
    no re-sorting (one sort, then cumulative sums over groups of tied scores). Draws the same
    resamples as :func:`bootstrap_ci` with the same seed, so the values are identical.
    """
    n = y.size
    order = np.argsort(p, kind="mergesort")
    ys, ps = y[order], p[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ps)) + 1]
    clipped = np.clip(ps, _EPS, 1 - _EPS)
    sample_log_loss = -(ys * np.log(clipped) + (1 - ys) * np.log(1 - clipped))
    sample_brier = (ps - ys) ** 2
    edges = _bin_edges(ps, n_bins, "uniform")
    bins = _bin_index(ps, edges)
    onehot = np.zeros((n, edges.size - 1))
    onehot[np.arange(n), bins] = 1.0
    rng = np.random.default_rng(seed)
    out: dict[str, list[np.ndarray]] = {k: [] for k in DEFAULT_METRICS}
    batch = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    done = 0
    while done < n_boot:
        size = min(batch, n_boot - done)
        done += size
        w = _resample_weights(rng, n, size)[:, order].astype(np.float64)
        wp = np.add.reduceat(w * ys, starts, axis=1)
        wn = np.add.reduceat(w * (1 - ys), starts, axis=1)
        pos, neg = wp.sum(axis=1), wn.sum(axis=1)
        below = np.cumsum(wn, axis=1) - wn
        with np.errstate(divide="ignore", invalid="ignore"):
            auc = (wp * (below + 0.5 * wn)).sum(axis=1) / (pos * neg)
            tp = np.cumsum(wp[:, ::-1], axis=1)
            fp = np.cumsum(wn[:, ::-1], axis=1)
            precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1e-300), 0.0)
            ap = (wp[:, ::-1] * precision).sum(axis=1) / pos
        out["roc_auc"].append(np.where((pos > 0) & (neg > 0), auc, np.nan))
        out["pr_auc"].append(np.where(pos > 0, ap, np.nan))
        out["log_loss"].append(w @ sample_log_loss / n)
        out["brier"].append(w @ sample_brier / n)
        out["ece"].append(np.abs((w * ys) @ onehot - (w * ps) @ onehot).sum(axis=1) / n)
    return {k: np.concatenate(v) for k, v in out.items()}


def _percentile_ci(values: np.ndarray, n_boot: int, level: float = 0.95) -> list[float] | None:
    values = values[~np.isnan(values)]
    if values.size < n_boot / 2:
        return None
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(values, [alpha, 1.0 - alpha])
    return [float(lo), float(hi)]


def binary_metrics(
    y_true: Any,
    y_prob: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    n_bins: int = 10,
) -> dict[str, Any]:
    """Every headline metric with a bootstrap 95% CI, as a JSON-able dict.

    Keys: ``count``, ``positives``, ``base_rate``, ``mean_probability``, and for each of
    ``roc_auc``, ``pr_auc``, ``log_loss``, ``brier``, ``ece`` (``n_bins`` equal-width bins) a
    dict ``{"value": float | None, "ci95": [lo, hi] | None}``; ``ece_quantile`` is the adaptive
    ECE (no CI). The intervals are percentile bootstrap intervals over ``n_boot`` resamples
    (the same resamples as ``bootstrap_ci(..., seed=seed)``); ``n_boot=0`` skips them.
    """
    y, p = _arrays(y_true, y_prob)
    out: dict[str, Any] = {
        "count": int(y.size),
        "positives": int(y.sum()),
        "base_rate": _plain(float(y.mean())) if y.size else None,
        "mean_probability": _plain(float(p.mean())) if y.size else None,
    }
    boots = (
        _bootstrap_default_metrics(y, p, n_boot=n_boot, seed=seed, n_bins=n_bins)
        if y.size and n_boot > 0
        else {}
    )
    for name, fn in DEFAULT_METRICS.items():
        if name == "ece":
            value = expected_calibration_error(y, p, n_bins=n_bins) if y.size else math.nan
        else:
            value = fn(y, p) if y.size else math.nan
        ci = _percentile_ci(boots[name], n_boot) if name in boots else None
        out[name] = {"value": _plain(value), "ci95": ci}
    out["ece_quantile"] = (
        _plain(expected_calibration_error(y, p, n_bins=n_bins, strategy="quantile"))
        if y.size
        else None
    )
    return out
