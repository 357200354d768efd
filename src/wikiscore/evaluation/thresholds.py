"""Threshold tables and ORES-style threshold optimisation queries.

Owns the table of confusion-matrix statistics at many thresholds (an example is *flagged* when
its probability is ``>= threshold``) and the grammar ORES uses to pick a threshold from it::

    (maximum|minimum) <stat> @ <stat> (>=|<=|>|<|==|=) <number>

e.g. ``maximum recall @ precision >= 0.9`` or ``maximum filter_rate @ recall >= 0.75``.
Statistics: ``precision``, ``recall``, ``fpr``, ``tnr``, ``f1``, ``accuracy``, ``match_rate``
(share flagged), ``filter_rate`` (share not flagged), and for the negative class ``!precision``,
``!recall``, ``!f1`` (e.g. ``maximum !recall @ !precision >= 0.99`` finds a "likely good"
threshold). A table is a plain ``dict[str, list[float]]`` (column name → values, one per
threshold) so that it can be stored in JSON metadata and queried later. Must not read files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

STATS: tuple[str, ...] = (
    "precision",
    "recall",
    "fpr",
    "tnr",
    "f1",
    "accuracy",
    "match_rate",
    "filter_rate",
    "!precision",
    "!recall",
    "!f1",
)
COUNTS: tuple[str, ...] = ("tp", "fp", "tn", "fn")

ThresholdTable = dict[str, list[float]]


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def threshold_table(y_true: Any, y_prob: Any, thresholds: Any = None) -> ThresholdTable:
    """Statistics at each threshold (flagged when ``y_prob >= threshold``), thresholds ascending.

    ``thresholds`` defaults to every distinct probability. Undefined values (precision with
    nothing flagged, …) are ``nan``. Columns: ``threshold``, the counts ``tp fp tn fn`` and
    every name in :data:`STATS`.
    """
    y = np.asarray(y_true).astype(bool).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true has {y.size} values but y_prob has {p.size}")
    t = np.unique(p) if thresholds is None else np.unique(np.asarray(thresholds, dtype=float))
    pos_sorted = np.sort(p[y])
    neg_sorted = np.sort(p[~y])
    # flagged = count of scores >= t
    tp = pos_sorted.size - np.searchsorted(pos_sorted, t, side="left")
    fp = neg_sorted.size - np.searchsorted(neg_sorted, t, side="left")
    return table_from_counts(t, tp, fp, neg_sorted.size - fp, pos_sorted.size - tp)


def table_from_counts(threshold: Any, tp: Any, fp: Any, tn: Any, fn: Any) -> ThresholdTable:
    """A full table from confusion counts per threshold (how tables are stored compactly)."""
    t = np.asarray(threshold, dtype=float)
    tp, fp, tn, fn = (np.asarray(c, dtype=float) for c in (tp, fp, tn, fn))
    n = tp + fp + tn + fn
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, tp + fn)
    neg_precision = _safe_div(tn, tn + fn)
    neg_recall = _safe_div(tn, tn + fp)
    table = {
        "threshold": t,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "fpr": _safe_div(fp, fp + tn),
        "tnr": neg_recall,
        "f1": _safe_div(2 * precision * recall, precision + recall),
        "accuracy": _safe_div(tp + tn, n),
        "match_rate": _safe_div(tp + fp, n),
        "filter_rate": _safe_div(tn + fn, n),
        "!precision": neg_precision,
        "!recall": neg_recall,
        "!f1": _safe_div(2 * neg_precision * neg_recall, neg_precision + neg_recall),
    }
    return {k: np.asarray(v, dtype=float).tolist() for k, v in table.items()}


def table_counts(table: ThresholdTable) -> dict[str, list]:
    """The compact form of a table (threshold and the four counts), for JSON metadata."""
    out: dict[str, list] = {"threshold": [float(t) for t in table["threshold"]]}
    for key in COUNTS:
        out[key] = [int(v) for v in table[key]]
    return out


def table_row(table: ThresholdTable, index: int, *, digits: int | None = 4) -> dict[str, Any]:
    """One row of a table as a dict (``nan`` → None; rounded to ``digits`` unless None)."""
    row: dict[str, Any] = {}
    for key, values in table.items():
        value = values[index]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            row[key] = None
        elif key in COUNTS:
            row[key] = int(value)
        elif digits is None or key == "threshold":
            row[key] = float(value)
        else:
            row[key] = round(float(value), digits)
    return row


def table_at(table: ThresholdTable, threshold: float, *, digits: int | None = 4) -> dict[str, Any]:
    """The row for the smallest tabulated threshold that is ``>= threshold`` (None if past end)."""
    t = np.asarray(table["threshold"], dtype=float)
    i = int(np.searchsorted(t, threshold, side="left"))
    if i >= t.size:
        return {"threshold": float(threshold), **{k: None for k in table if k != "threshold"}}
    return table_row(table, i, digits=digits)


def compact_table(table: ThresholdTable, thresholds: Any, *, digits: int = 4) -> list[dict]:
    """Rows at the given thresholds (e.g. a 0.05 grid) for reports and JSON output."""
    return [table_at(table, float(t), digits=digits) for t in thresholds]


@dataclass(frozen=True)
class ThresholdQuery:
    """A parsed optimisation query: ``<goal> <target> @ <constraint> <op> <value>``."""

    goal: str  # "maximum" | "minimum"
    target: str
    constraint: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.goal} {self.target} @ {self.constraint} {self.op} {self.value:g}"


_STAT = r"(!?[a-z_0-9]+)"
_QUERY = re.compile(
    rf"^\s*(maximum|minimum|max|min)\s+{_STAT}\s*@\s*{_STAT}\s*(>=|<=|==|=|>|<)\s*"
    r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$",
    re.IGNORECASE,
)


def parse_threshold_query(query: str) -> ThresholdQuery:
    """Parse an ORES query; raise ValueError saying what is wrong and what is accepted."""
    match = _QUERY.match(query or "")
    if match is None:
        raise ValueError(
            f"cannot parse threshold query {query!r}; expected '<maximum|minimum> <stat> @ "
            f"<stat> <op> <number>', e.g. 'maximum recall @ precision >= 0.9'"
        )
    goal, target, constraint, op, value = match.groups()
    goal = {"max": "maximum", "min": "minimum"}.get(goal.lower(), goal.lower())
    target, constraint = target.lower(), constraint.lower()
    for stat in (target, constraint):
        if stat not in STATS:
            raise ValueError(
                f"unknown statistic {stat!r} in threshold query; known: {', '.join(STATS)}"
            )
    return ThresholdQuery(goal, target, constraint, "==" if op == "=" else op, float(value))


_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": np.greater_equal,
    "<=": np.less_equal,
    ">": np.greater,
    "<": np.less,
    "==": np.isclose,
}


def threshold_query(
    table: ThresholdTable, query: str | ThresholdQuery, *, digits: int | None = 4
) -> dict[str, Any] | None:
    """Answer an ORES query on a table: the row of the best threshold, or None if none qualifies.

    Among thresholds meeting the constraint, the one with the best target statistic wins; ties
    go to the highest threshold (fewest flagged, so the most conservative choice).
    """
    q = query if isinstance(query, ThresholdQuery) else parse_threshold_query(query)
    constraint = np.asarray(table[q.constraint], dtype=float)
    target = np.asarray(table[q.target], dtype=float)
    with np.errstate(invalid="ignore"):
        ok = _OPS[q.op](constraint, q.value) & np.isfinite(constraint) & np.isfinite(target)
    candidates = np.flatnonzero(ok)
    if candidates.size == 0:
        return None
    values = target[candidates]
    best = values.max() if q.goal == "maximum" else values.min()
    index = int(candidates[np.flatnonzero(values == best)[-1]])
    return table_row(table, index, digits=digits)
