"""Scoring revision records: the CPU step, explanations in words, ``score-file`` and ``score``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from wikiscore.cli.main import app
from wikiscore.errors import InvalidInput
from wikiscore.features.edit import EDIT_FEATURE_NAMES, extract_edit_features
from wikiscore.models.explain import human_duration
from wikiscore.models.registry import load_model
from wikiscore.records import revision_from_json
from wikiscore.scoring.edit import score_edit_records
from wikiscore.scoring.result import EditScore, score_to_json

RECORDS = Path(__file__).resolve().parents[1] / "fixtures" / "models" / "editrisk-records.jsonl"
LEVELS = {"likely_good", "may_have_problems", "likely_bad", "very_likely_bad"}


def _records() -> list[Any]:
    return [revision_from_json(json.loads(line)) for line in RECORDS.read_text().splitlines()]


def test_scores_errors_in_place_and_training_serving_parity() -> None:
    model = load_model("enwiki-editrisk")
    records = _records()
    scores = score_edit_records(records, model, features=True, explain=True)
    assert [getattr(s, "rev_id", None) for s in scores[:4]] == [9001, 9002, 9003, 9004]
    assert isinstance(scores[4], InvalidInput) and "parent text" in scores[4].message
    good = [s for s in scores if isinstance(s, EditScore)]
    # Same numbers as the batch feature extractor feeding the model directly.
    expected = model.predict_proba(extract_edit_features(records[:4]))
    assert np.allclose([s.probability for s in good], expected, rtol=0, atol=1e-12)
    for score in good:
        assert 0.0 <= score.probability <= 1.0 and score.level in LEVELS
        assert score.prediction == (score.probability >= model.default_threshold)
        assert score.level == model.level(score.probability)
        assert score.features is not None and set(score.features) == set(EDIT_FEATURE_NAMES)
        assert score.contributions is not None and len(score.contributions) == 9
        sizes = [abs(c.contribution) for c in score.contributions]
        assert sizes == sorted(sizes, reverse=True)
        assert all(c.label for c in score.contributions)
        assert score.reasons and all(isinstance(r, str) for r in score.reasons)
    vandal, copyedit, anon_informal, blanking = good
    assert vandal.probability > 5 * copyedit.probability
    assert copyedit.level == "likely_good"
    assert vandal.level in {"likely_bad", "very_likely_bad"}
    assert "account is 4 minutes old" in vandal.reasons
    assert "adds 1 profane word" in vandal.reasons
    assert "anonymous editor" in anon_informal.reasons
    assert "removes 88 words" in blanking.reasons
    assert "account is 7 years old" in copyedit.reasons


def test_without_explain_or_features_the_score_is_lean() -> None:
    model = load_model("enwiki-editrisk")
    (score,) = score_edit_records(_records()[:1], model)
    assert isinstance(score, EditScore)
    assert score.features is None and score.contributions is None and score.reasons is None
    doc = score_to_json(score)
    assert set(doc) == {"rev_id", "model", "version", "probability", "prediction", "level"}
    assert score_edit_records([], model) == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (59, "59 seconds"),
        (240, "4 minutes"),
        (3600, "1 hour"),
        (86_400 * 3, "3 days"),
        (86_400 * 45, "45 days"),
        (86_400 * 90, "3 months"),
        (86_400 * 365 * 7 + 5, "7 years"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_score_file_good_and_bad_lines(tmp_path: Path) -> None:
    lines = RECORDS.read_text().splitlines()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(
        "\n".join(
            [
                lines[0],
                "{not json",
                "[1, 2]",
                '{"rev_id": 77, "user": "nobody"}',
                "",
                lines[1],
                lines[4],
            ]
        )
        + "\n"
    )
    result = CliRunner().invoke(app, ["score-file", "--input", str(mixed), "--features"])
    assert result.exit_code == 1
    assert "4 record(s) could not be scored (lines 2, 3, 4, 7)" in result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    by_line = {doc["line"]: doc for doc in out}
    assert sorted(by_line) == [1, 2, 3, 4, 6, 7]
    assert by_line[1]["rev_id"] == 9001 and by_line[1]["model"] == "enwiki-editrisk"
    assert by_line[1]["level"] in LEVELS and len(by_line[1]["contributions"]) == 3
    assert set(by_line[1]["features"]) == set(EDIT_FEATURE_NAMES)
    assert "reasons" not in by_line[1]
    assert (
        by_line[2]["error"]["type"] == "invalid_input" and "JSON" in by_line[2]["error"]["message"]
    )
    assert by_line[3]["error"]["type"] == "invalid_input"
    assert by_line[4]["rev_id"] == 77 and "user" in by_line[4]["error"]["message"]
    assert by_line[6]["rev_id"] == 9002 and "probability" in by_line[6]
    assert by_line[7]["rev_id"] == 9005 and by_line[7]["error"]["type"] == "invalid_input"


def test_score_file_explain_and_missing_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["score-file", "--input", str(RECORDS), "--explain"])
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs[0]["contributions"]) == 9 and docs[0]["reasons"]
    result = CliRunner().invoke(app, ["score-file", "--input", str(tmp_path / "none.jsonl")])
    assert result.exit_code != 0 and "cannot read" in result.stderr


@pytest.mark.wiki
def test_score_fetches_from_a_real_wiki(wiki_history: dict[str, Any]) -> None:
    named = wiki_history["named"]
    ids = [named["albedo_vandalism"], named["albedo_bot_edit"], named["never_existed"]]
    result = CliRunner().invoke(app, ["score", "--wiki", "testwiki", "--explain", *map(str, ids)])
    assert result.exit_code == 1, result.output
    docs = {doc["rev_id"]: doc for doc in map(json.loads, result.stdout.splitlines())}
    vandal, bot, missing = (docs[i] for i in ids)
    assert vandal["probability"] > bot["probability"]
    assert "anonymous editor" in vandal["reasons"]
    assert bot["level"] == "likely_good"
    assert "error" in missing and missing["error"]["type"] != "error"
