"""Threshold tables, ORES threshold queries and levels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from wikiscore.evaluation.thresholds import (
    parse_threshold_query,
    table_at,
    table_counts,
    table_from_counts,
    threshold_query,
    threshold_table,
)
from wikiscore.models.levels import build_levels, level_for

# 10 edits, 4 reverted. Sorted by score: the top 3 are reverted, then a kept edit, ...
Y = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0])
P = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.2, 0.1, 0.05])


def test_table_counts_by_hand() -> None:
    table = threshold_table(Y, P)
    row = table_at(table, 0.8)  # flags 0.95, 0.9, 0.8
    assert (row["tp"], row["fp"], row["tn"], row["fn"]) == (3, 0, 6, 1)
    assert row["precision"] == 1.0 and row["recall"] == 0.75
    assert row["match_rate"] == 0.3 and row["filter_rate"] == 0.7
    assert row["!precision"] == pytest.approx(6 / 7, abs=1e-4)
    row = table_at(table, 0.6)  # flags 5: 4 reverted, 1 kept
    assert (
        row["precision"] == 0.8
        and row["recall"] == 1.0
        and row["fpr"] == pytest.approx(1 / 6, abs=1e-4)
    )


def test_queries() -> None:
    table = threshold_table(Y, P)
    best = threshold_query(table, "maximum recall @ precision >= 0.9")
    assert best is not None and best["threshold"] == 0.8 and best["recall"] == 0.75
    best = threshold_query(table, "maximum recall @ precision >= 0.8")
    assert best is not None and best["threshold"] == 0.6 and best["recall"] == 1.0
    # Largest share of edits left unflagged while catching every reverted edit.
    best = threshold_query(table, "maximum filter_rate @ recall >= 1")
    assert best is not None and best["threshold"] == 0.6 and best["filter_rate"] == 0.5
    # Ties on the target go to the highest threshold (fewest flagged).
    # fpr is 0 at 0.95, 0.9 and 0.8; recall >= 0.5 leaves 0.9 and 0.8 -> 0.9.
    best = threshold_query(table, "minimum fpr @ recall >= 0.5")
    assert best is not None and best["threshold"] == 0.9
    # Likely-good style query on the negative class.
    best = threshold_query(table, "maximum !recall @ !precision >= 1.0")
    assert best is not None and best["threshold"] == 0.6 and best["!recall"] == 0.8333
    assert threshold_query(table, "maximum recall @ precision >= 1.01") is None
    assert threshold_query(table, "max recall @ precision>=0.9") == threshold_query(
        table, "maximum recall @ precision >= 0.9"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "recall @ precision >= 0.9",
        "maximum recall precision >= 0.9",
        "maximum foo @ recall > 0.1",
        "maximum recall @ precision ~ 0.9",
        "",
    ],
)
def test_bad_queries_raise_clear_errors(bad: str) -> None:
    with pytest.raises(ValueError, match=r"threshold query|unknown statistic"):
        parse_threshold_query(bad)


def test_compact_counts_round_trip() -> None:
    table = threshold_table(Y, P, np.round(np.arange(0, 1.0005, 0.05), 2))
    compact = table_counts(table)
    again = table_from_counts(
        compact["threshold"], compact["tp"], compact["fp"], compact["tn"], compact["fn"]
    )
    assert again["precision"] == pytest.approx(table["precision"], nan_ok=True)


def test_levels_are_ordered_and_cover_every_probability() -> None:
    table = threshold_table(Y, P, np.round(np.arange(0, 1.0005, 0.01), 2))
    levels = build_levels(
        table,
        {
            "likely_good": "maximum !recall @ !precision >= 1.0",
            "likely_bad": "maximum recall @ precision >= 0.75",
            "very_likely_bad": "maximum recall @ precision >= 0.99",
        },
    )
    names = [lv["name"] for lv in levels]
    assert names == ["likely_good", "may_have_problems", "likely_bad", "very_likely_bad"]
    thresholds = [lv["threshold"] for lv in levels]
    assert thresholds == sorted(thresholds)
    assert levels[-1]["upper"] is None
    for lower, upper in itertools.pairwise(levels):
        assert lower["upper"] == upper["threshold"]
    assert level_for(0.0, levels) == "likely_good"
    assert level_for(0.99, levels) == "very_likely_bad"
    assert level_for(levels[2]["threshold"], levels) == "likely_bad"
    assert levels[-1]["precision"] >= 0.99


def test_unreachable_level_is_left_out() -> None:
    table = threshold_table(Y, P)
    levels = build_levels(table, {"likely_bad": "maximum recall @ precision >= 1.5"})
    assert [lv["name"] for lv in levels] == ["may_have_problems"]
    assert level_for(0.99, levels) == "may_have_problems"
