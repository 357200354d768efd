"""Live scoring step: RevisionRecords → UserScore, reasons in words, errors, the committed model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wikiscore.errors import InvalidInput
from wikiscore.features.user_behaviour import edit_from_revision
from wikiscore.models.artifact import ModelArtifact
from wikiscore.records import PageRecord, RevisionRecord
from wikiscore.scoring.user import UserScore, describe_feature, score_user_edits
from wikiscore.training.user_warning import USER_LEVELS

START = datetime(2014, 3, 1, 15, 0, tzinfo=UTC)


def revision(title: str, namespace: int, minutes: float, rev_id: int = 0) -> RevisionRecord:
    return RevisionRecord(
        rev_id=rev_id or None,
        page=PageRecord(title=title, namespace=namespace),
        timestamp=START + timedelta(minutes=minutes),
    )


OWN_PAGE_BURST = [
    revision("User:Lolpoop99", 2, 0),
    revision("User:Lolpoop99", 2, 0.5),
    revision("User:Lolpoop99", 2, 2),
    revision("Justin Bieber", 0, 3),
]


@pytest.fixture(scope="module")
def artifact(small_model):
    return ModelArtifact.load(small_model["dir"])


def test_scores_an_account_with_reasons(artifact):
    score = score_user_edits("Lolpoop99", OWN_PAGE_BURST, artifact)
    assert isinstance(score, UserScore)
    assert 0.0 <= score.probability <= 1.0
    assert score.level in USER_LEVELS
    assert score.prediction == (score.probability >= artifact.default_threshold)
    assert score.edits_considered == 4
    assert 1 <= len(score.reasons) <= 3 and all(isinstance(r, str) and r for r in score.reasons)
    assert set(score.to_json()) == {
        "username",
        "model",
        "version",
        "probability",
        "prediction",
        "level",
        "edits_considered",
        "reasons",
    }


def test_order_of_the_records_does_not_matter(artifact):
    forward = score_user_edits("Lolpoop99", OWN_PAGE_BURST, artifact)
    backward = score_user_edits("Lolpoop99", OWN_PAGE_BURST[::-1], artifact)
    assert forward.probability == backward.probability


def test_reasons_in_words():
    edits = sorted((edit_from_revision(r) for r in OWN_PAGE_BURST), key=lambda e: e.timestamp)
    say = lambda name, value=0.0: describe_feature(name, "Lolpoop99", edits, {name: value})  # noqa: E731
    assert say("own_user_page_edits", 3) == "edits its own user page 3 times in 2 minutes"
    assert say("frac_article", 0.25) == "1 of 4 edits to articles"
    assert say("first_is_own_user_page", 1.0) == "first edit to its own user page"
    assert (
        say("pairs_same_page_under_1min", 1 / 3) == "edits the same page again within a minute once"
    )
    assert say("span_log_seconds", 2.0) == "all 4 edits within 3 minutes"
    assert say("name_trailing_digits", 2) == "the username ends in 2 digits"
    target = describe_feature(
        "title_text_max", "Lolpoop99", edits, {"title_text_max": 1.2}, [-1.0, -1.0, -1.0, 1.2]
    )
    assert target == "it edits a page vandals often target (Justin Bieber)"


def test_bad_input_is_invalid_input(artifact):
    with pytest.raises(InvalidInput, match="no edits"):
        score_user_edits("Nobody", [], artifact)
    with pytest.raises(InvalidInput, match="no timestamp"):
        score_user_edits("Nobody", [RevisionRecord(page=PageRecord(title="X"))], artifact)


def test_the_committed_model_is_registered_and_scores():
    from wikiscore.models.registry import get_spec, load_model

    spec = get_spec("user-warning")
    assert spec.kind == "user" and spec.lang == "en"
    model = load_model("user-warning")
    score = score_user_edits("Lolpoop99", OWN_PAGE_BURST, model)
    assert score.model == spec.name and score.level in USER_LEVELS
    # Trained thresholds are out-of-fold: the flag level keeps 5% of benign accounts.
    flag = next(lv for lv in model.levels if lv["name"] == "likely_vandal")
    assert flag["user_fpr"] <= 0.05
