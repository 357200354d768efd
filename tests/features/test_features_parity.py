"""Parity with revscoring 2.11.13 on the 400 committed fixture edits (the values in the training
data come from revscoring, so any difference here is training/serving skew).

Tolerances: booleans and integers must be equal and of the same type; floats equal up to a
relative 1e-9 (revscoring itself sums proportions in dict/set order, which can move the last
bit; nothing beyond that is tolerated).
"""

from __future__ import annotations

import hashlib
import lzma
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from wikiscore.features.edit import (
    ALIASES,
    EDIT_FEATURE_NAMES,
    RECORD,
    build_edit_graph,
    edit_feature_values,
    extract_edit_features,
)

FIXTURE_SHA256 = "c4c543cbfdb044ef62c27283602bc4ac414d39841d863ae458f006d830913f49"


def _mismatches(values: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    problems = []
    for key, want in expected.items():
        got = values[ALIASES.get(key, key)]
        if type(got) is not type(want):
            problems.append(f"{key}: type {type(got).__name__} != {type(want).__name__}")
        elif isinstance(want, float):
            if not math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
                problems.append(f"{key}: {got!r} != {want!r}")
        elif got != want:
            problems.append(f"{key}: {got!r} != {want!r}")
    return problems


def test_fixture_is_the_documented_file(parity_file: Path) -> None:
    with lzma.open(parity_file) as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert digest == FIXTURE_SHA256


def test_feature_names_are_the_training_columns() -> None:
    assert EDIT_FEATURE_NAMES == (
        "wikitext.revision.diff.longest_repeated_char_added",
        "wikitext.revision.diff.words_added",
        "wikitext.revision.diff.words_removed",
        "english.badwords.revision.diff.match_prop_delta_sum",
        "english.informals.revision.diff.match_prop_delta_sum",
        "english.stopwords.revision.diff.non_stopword_prop_delta_sum",
        "revision.user.is_anon",
        "revision.user.in_group({'bot','sysop'})",
        "temporal.revision.user.seconds_since_registration",
    )


def test_all_400_records_match_revscoring(
    parity_records: list[dict[str, Any]], parity_revisions: list[Any]
) -> None:
    assert len(parity_records) == 400
    failures = {}
    for record, revision in zip(parity_records, parity_revisions, strict=True):
        values = edit_feature_values(revision)
        problems = _mismatches(values, record["expected"])
        if problems:
            failures[record["id"]] = problems
    assert failures == {}


def test_matrix_equals_values(
    parity_records: list[dict[str, Any]], parity_revisions: list[Any]
) -> None:
    matrix = extract_edit_features(parity_revisions[:120])
    assert matrix.dtype == np.float64 and matrix.shape == (120, 9)
    for row, record in zip(matrix, parity_records[:120], strict=True):
        expected = [float(record["expected"][_fixture_key(n)]) for n in EDIT_FEATURE_NAMES]
        assert np.allclose(row, expected, rtol=1e-9, atol=1e-12)


def _fixture_key(name: str) -> str:
    return {v: k for k, v in ALIASES.items() if k.startswith("revision_oriented.")}.get(name, name)


@pytest.mark.parametrize("start", [0, 200])
def test_reference_path_matches_too(
    parity_records: list[dict[str, Any]], parity_revisions: list[Any], start: int
) -> None:
    """The slow, obvious path (full tokenization, whole-text scans) agrees on a slice."""
    graph = build_edit_graph(reference=True)
    for record, revision in zip(
        parity_records[start : start + 30], parity_revisions[start : start + 30], strict=True
    ):
        values = dict(
            zip(
                EDIT_FEATURE_NAMES, graph.solve(EDIT_FEATURE_NAMES, {RECORD: revision}), strict=True
            )
        )
        assert _mismatches(values, record["expected"]) == [], record["id"]
