"""Levels: named probability ranges chosen from a threshold table, as on ORES's filters.

Owns the level policy of edit models (``likely_good`` < ``may_have_problems`` < ``likely_bad``
< ``very_likely_bad``), building level dicts from ORES threshold queries on an out-of-fold
threshold table, and mapping a probability to its level. A level dict::

    {"name": "likely_bad", "threshold": 0.52, "upper": 0.87,
     "query": "maximum recall @ precision >= 0.6", "class": "reverted",
     "precision": 0.61, "recall": 0.33, "match_rate": 0.03, "support": 458}

``threshold`` is the level's lower bound (inclusive), ``upper`` the next level's threshold
(None for the top level). For the bad levels, ``precision``/``recall``/``match_rate`` describe
flagging every edit at or above ``threshold``; for ``likely_good`` they describe the edits below
``upper`` as predictions of the good class (``!precision``, ``!recall``). Must not read files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wikiscore.evaluation.thresholds import ThresholdTable, table_at, threshold_query

LEVEL_NAMES: tuple[str, ...] = ("likely_good", "may_have_problems", "likely_bad", "very_likely_bad")

#: Default queries (thresholds chosen on out-of-fold predictions). ``likely_good`` bounds the
#: good range from above; the others give lower bounds. ``may_have_problems`` ends where
#: ``likely_good`` ends.
DEFAULT_LEVEL_QUERIES: dict[str, str] = {
    "likely_good": "maximum !recall @ !precision >= 0.99",
    "likely_bad": "maximum recall @ precision >= 0.6",
    "very_likely_bad": "maximum recall @ precision >= 0.9",
}


def build_levels(
    table: ThresholdTable, queries: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Level dicts (lowest first) from a threshold table; unreachable levels are left out.

    Thresholds are forced to be non-decreasing in level order, so a probability always has
    exactly one level.
    """
    queries = dict(DEFAULT_LEVEL_QUERIES if queries is None else queries)
    good = threshold_query(table, queries["likely_good"]) if "likely_good" in queries else None
    good_upper = float(good["threshold"]) if good else 0.0
    lower_bounds: list[tuple[str, float, str | None, dict[str, Any] | None]] = [
        ("may_have_problems", good_upper, None, None)
    ]
    floor = good_upper
    for name in ("likely_bad", "very_likely_bad"):
        if name not in queries:
            continue
        found = threshold_query(table, queries[name])
        if found is None:
            continue
        floor = max(floor, float(found["threshold"]))
        lower_bounds.append((name, floor, queries[name], found))

    levels: list[dict[str, Any]] = []
    if good is not None and good_upper > 0.0:
        levels.append(
            {
                "name": "likely_good",
                "threshold": 0.0,
                "upper": good_upper,
                "query": queries["likely_good"],
                "class": "not reverted",
                "precision": good.get("!precision"),
                "recall": good.get("!recall"),
                "match_rate": good.get("filter_rate"),
                "support": _support(good, negative=True),
            }
        )
    for position, (name, threshold, query, found) in enumerate(lower_bounds):
        row = found if found is not None else table_at(table, threshold)
        upper = lower_bounds[position + 1][1] if position + 1 < len(lower_bounds) else None
        levels.append(
            {
                "name": name,
                "threshold": threshold,
                "upper": upper,
                "query": query,
                "class": "reverted",
                "precision": row.get("precision"),
                "recall": row.get("recall"),
                "match_rate": row.get("match_rate"),
                "support": _support(row, negative=False),
            }
        )
    return levels


def _support(row: Mapping[str, Any], *, negative: bool) -> int | None:
    keys = ("tn", "fn") if negative else ("tp", "fp")
    if any(row.get(k) is None for k in keys):
        return None
    return int(row[keys[0]] + row[keys[1]])


def level_for(probability: float, levels: Sequence[Mapping[str, Any]]) -> str:
    """The name of the highest level whose threshold ``probability`` reaches."""
    name = LEVEL_NAMES[1]
    for level in levels:
        if probability >= float(level["threshold"]):
            name = str(level["name"])
    return name
