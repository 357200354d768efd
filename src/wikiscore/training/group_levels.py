"""Fitting group-aware level thresholds (the ``group_levels`` post-processing step).

Owns the fairness correction of edit-risk levels: given out-of-fold probabilities, labels and
a binary group (anonymous vs registered editors), choose per-group thresholds for the flagging
levels (``likely_bad``, ``very_likely_bad``) so that

* the ratio of the groups' flag rates equals the ratio of their true revert rates (a model
  that flags a group neither more nor less than reality — the protocol of Trokhymovych et al.,
  KDD 2023), within a small tolerance; and
* the level keeps the precision it promises (``maximum recall @ precision >= x``, the level's
  own query), pooled over both groups;

maximising recall among the thresholds that satisfy both. Probabilities are not changed (they
stay calibrated); only which probability counts as "likely bad" differs by group. The step is
written with :func:`wikiscore.models.artifact.group_levels_step` and applied at scoring time by
:class:`wikiscore.models.artifact.GroupLevels`. :func:`cross_fitted_levels` estimates how the
procedure does on data it did not see (thresholds fitted on K-1 folds, applied to the last).
Pure functions over arrays; must not read files or train models.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wikiscore.evaluation.thresholds import parse_threshold_query, table_at, threshold_table
from wikiscore.models.inputs import IS_ANON
from wikiscore.models.levels import LEVEL_NAMES, build_levels, level_for


@dataclass(frozen=True)
class GroupLevelPolicy:
    """Which groups get their own thresholds, for which levels, and how exactly."""

    feature: str = IS_ANON
    groups: Mapping[str, str] = field(
        default_factory=lambda: {"nonzero": "anonymous", "zero": "registered"}
    )
    levels: tuple[str, ...] = ("likely_bad", "very_likely_bad")
    #: In-sample tolerance on |flag-rate ratio / true-label ratio - 1| when choosing thresholds
    #: (tight, so that new data lands inside the +-10% band despite sampling noise).
    tolerance: float = 0.02

    def describe(self) -> str:
        return (
            f"per-group thresholds for {', '.join(self.levels)}: the {self.groups['nonzero']}/"
            f"{self.groups['zero']} flag-rate ratio matches the true-label ratio (within "
            f"{self.tolerance:.0%} on the out-of-fold predictions) and pooled precision keeps "
            "the level's query; among those, maximum recall"
        )


def precision_floor(query: str) -> float | None:
    """The precision a level promises, from ``maximum recall @ precision >= x`` (else None)."""
    parsed = parse_threshold_query(query)
    if parsed.constraint == "precision" and parsed.op in (">=", ">"):
        return parsed.value
    return None


@dataclass(frozen=True)
class _Steps:
    """Flagging steps of one group: flag every p >= values[i] (values descending)."""

    values: np.ndarray
    flagged: np.ndarray  # cumulative counts
    positives: np.ndarray  # cumulative positives
    below: np.ndarray  # next lower distinct value (-inf at the end)

    @classmethod
    def of(cls, y: np.ndarray, p: np.ndarray) -> _Steps:
        values, inverse = np.unique(-p, return_inverse=True)
        counts = np.bincount(inverse, minlength=values.size)
        pos = np.bincount(inverse, weights=y.astype(float), minlength=values.size)
        values = -values
        below = np.r_[values[1:], -math.inf]
        return cls(values, np.cumsum(counts), np.cumsum(pos), below)

    def threshold(self, i: int, floor: float) -> float:
        """A threshold flagging exactly steps 0..i: midway to the next lower value."""
        nxt = self.below[i]
        t = self.values[i] if math.isinf(nxt) else (self.values[i] + nxt) / 2.0
        return float(max(t, floor))


def ratio_matched_thresholds(
    y: Any,
    p: Any,
    in_group: Any,
    *,
    target_ratio: float,
    min_precision: float,
    floors: tuple[float, float] = (0.0, 0.0),
    tolerance: float = 0.02,
) -> dict[str, Any] | None:
    """Thresholds (group, rest) with flag-rate ratio ~ ``target_ratio`` and pooled precision
    >= ``min_precision``, maximising pooled recall (ties: fewest flagged). None if impossible.

    ``in_group`` marks the group in the numerator of the ratio; ``floors`` are the lowest
    allowed thresholds (group, rest), e.g. the next lower level's thresholds.
    """
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=float)
    a = np.asarray(in_group).astype(bool)
    n_a, n_b = int(a.sum()), int((~a).sum())
    if n_a == 0 or n_b == 0 or not y.any() or target_ratio <= 0:
        return None
    steps_a, steps_b = _Steps.of(y[a], p[a]), _Steps.of(y[~a], p[~a])
    ok_a = steps_a.values >= floors[0]
    ok_b = steps_b.values >= floors[1]
    best: tuple[float, int, int, int] | None = None  # (-recall, flagged, i_a, i_b)
    total_pos = float(y.sum())
    for i_b in np.flatnonzero(ok_b).tolist():
        count_b = int(steps_b.flagged[i_b])
        want_a = target_ratio * count_b / n_b * n_a
        j = int(np.searchsorted(steps_a.flagged, want_a))
        for i_a in (j - 1, j):  # the two counts nearest the wanted one
            if i_a < 0 or i_a >= steps_a.values.size or not ok_a[i_a]:
                continue
            count_a = int(steps_a.flagged[i_a])
            ratio = (count_a / n_a) / (count_b / n_b)
            if abs(ratio / target_ratio - 1.0) > tolerance:
                continue
            tp = steps_a.positives[i_a] + steps_b.positives[i_b]
            if tp / (count_a + count_b) < min_precision:
                continue
            key = (-float(tp) / total_pos, count_a + count_b, i_a, int(i_b))
            if best is None or key < best:
                best = key
    if best is None:
        return None
    _, flagged, i_a, i_b = best
    t_a, t_b = steps_a.threshold(i_a, floors[0]), steps_b.threshold(i_b, floors[1])
    tp = float(steps_a.positives[i_a] + steps_b.positives[i_b])
    rate_a, rate_b = steps_a.flagged[i_a] / n_a, steps_b.flagged[i_b] / n_b
    return {
        "thresholds": (t_a, t_b),
        "flagged": int(flagged),
        "precision": tp / flagged,
        "recall": tp / total_pos,
        "flag_rates": (float(rate_a), float(rate_b)),
        "flag_ratio": float(rate_a / rate_b),
    }


def _group_level_stats(y: np.ndarray, p: np.ndarray, level: dict[str, Any]) -> dict[str, Any]:
    """precision/recall/match_rate/support of a level within one group (as build_levels)."""
    table = threshold_table(
        y, p, [level["upper"] if level["name"] == "likely_good" else level["threshold"]]
    )
    row = table_at(table, float(table["threshold"][0]))
    if level["name"] == "likely_good":
        return {
            "precision": row.get("!precision"),
            "recall": row.get("!recall"),
            "match_rate": row.get("filter_rate"),
            "support": int(row["tn"] + row["fn"]),
        }
    return {
        "precision": row.get("precision"),
        "recall": row.get("recall"),
        "match_rate": row.get("match_rate"),
        "support": int(row["tp"] + row["fp"]),
    }


def derive_group_levels(
    y: Any,
    p: Any,
    group_values: Any,
    pooled_levels: Sequence[Mapping[str, Any]],
    policy: GroupLevelPolicy,
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """(levels per group name, derivation record) from out-of-fold predictions.

    Levels not in ``policy.levels`` keep their pooled thresholds. A policy level that cannot
    meet both conditions keeps its pooled threshold (raised to stay above the group's lower
    levels) and the derivation says so.
    """
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=float)
    in_a = np.asarray(group_values, dtype=float) != 0
    name_a, name_b = policy.groups["nonzero"], policy.groups["zero"]
    base_a, base_b = float(y[in_a].mean()), float(y[~in_a].mean())
    target = base_a / base_b if base_b > 0 else math.nan
    thresholds = {
        name_a: {lv["name"]: float(lv["threshold"]) for lv in pooled_levels},
        name_b: {lv["name"]: float(lv["threshold"]) for lv in pooled_levels},
    }
    chosen: dict[str, Any] = {}
    for level in pooled_levels:
        name = str(level["name"])
        if name not in policy.levels:
            continue
        below = [lv for lv in LEVEL_NAMES[: LEVEL_NAMES.index(name)] if lv in thresholds[name_a]]
        floors = (
            max([thresholds[name_a][lv] for lv in below], default=0.0),
            max([thresholds[name_b][lv] for lv in below], default=0.0),
        )
        floor_precision = (
            precision_floor(str(level.get("query") or "")) if level.get("query") else None
        )
        found = (
            ratio_matched_thresholds(
                y,
                p,
                in_a,
                target_ratio=target,
                min_precision=floor_precision,
                floors=floors,
                tolerance=policy.tolerance,
            )
            if floor_precision is not None and math.isfinite(target)
            else None
        )
        if found is None:
            for group, floor in ((name_a, floors[0]), (name_b, floors[1])):
                thresholds[group][name] = max(thresholds[group][name], floor)
            chosen[name] = {"reachable": False, "min_precision": floor_precision}
            continue
        thresholds[name_a][name], thresholds[name_b][name] = found["thresholds"]
        chosen[name] = {
            "reachable": True,
            "min_precision": floor_precision,
            "thresholds": {name_a: found["thresholds"][0], name_b: found["thresholds"][1]},
            "pooled_precision": found["precision"],
            "pooled_recall": found["recall"],
            "flag_rates": {name_a: found["flag_rates"][0], name_b: found["flag_rates"][1]},
            "flag_ratio": found["flag_ratio"],
            "relative_to_true_ratio": found["flag_ratio"] / target,
        }
        # Keep higher levels at or above this one in each group.
        for group in (name_a, name_b):
            for higher in LEVEL_NAMES[LEVEL_NAMES.index(name) + 1 :]:
                if higher in thresholds[group]:
                    thresholds[group][higher] = max(
                        thresholds[group][higher], thresholds[group][name]
                    )
    out: dict[str, list[dict[str, Any]]] = {}
    for group, mask in ((name_a, in_a), (name_b, ~in_a)):
        levels = []
        for level in pooled_levels:
            entry = dict(level)
            entry["threshold"] = thresholds[group][str(level["name"])]
            if entry["name"] in policy.levels:
                entry["query"] = f"{level.get('query')} (pooled), flag-rate ratio = true ratio"
            levels.append(entry)
        for lower, upper in itertools.pairwise(levels):
            lower["upper"] = upper["threshold"]
        levels[-1]["upper"] = None
        for entry in levels:
            entry.update(_round4(_group_level_stats(y[mask], p[mask], entry)))
        out[group] = levels
    derivation = {
        "policy": policy.describe(),
        "source": "nested cross-validation out-of-fold calibrated probabilities",
        "groups": {"nonzero": name_a, "zero": name_b, "feature": policy.feature},
        "true_rates": {name_a: base_a, name_b: base_b},
        "true_ratio": target,
        "tolerance": policy.tolerance,
        "levels": chosen,
    }
    return out, derivation


def _round4(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in stats.items()}


def cross_fitted_levels(
    y: Any,
    p: Any,
    group_values: Any,
    folds: Sequence[tuple[np.ndarray, np.ndarray]],
    level_queries: Mapping[str, str],
    policy: GroupLevelPolicy,
    grid: Any = None,
) -> list[str]:
    """Each row's level when all thresholds (pooled and per group) are chosen on the other
    folds only: an honest estimate of the procedure on unseen data."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=float)
    g = np.asarray(group_values, dtype=float)
    grid = np.round(np.arange(0.0, 1.0005, 0.001), 3) if grid is None else grid
    out = [""] * y.size
    for train, test in folds:
        pooled = build_levels(threshold_table(y[train], p[train], grid), level_queries)
        per_group, _ = derive_group_levels(y[train], p[train], g[train], pooled, policy)
        for i in test:
            group = policy.groups["nonzero" if g[i] != 0 else "zero"]
            out[int(i)] = level_for(float(p[i]), per_group[group])
    return out
