"""User-behaviour features: one code path for dataset rows and live revisions, prefixes only
look backwards, and signals from other people never reach the main model."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime

import numpy as np
import pytest

from wikiscore.errors import InvalidInput
from wikiscore.features.user_behaviour import (
    USER_FEATURE_NAMES,
    edit_from_revision,
    edit_from_title,
    namespace_of_title,
    page_kind,
    user_feature_matrix,
)
from wikiscore.records import PageRecord, RevisionRecord, UserRecord
from wikiscore.training.user_warning import (
    MAIN_FEATURES,
    SIGNAL_FEATURES,
    fit_text_scorers,
    prepare_users,
    with_text,
)
from wikiscore.training.vews_data import load_vews

# What MediaWiki's API reports for the namespaces in the slice (siteinfo of English Wikipedia),
# written out here independently of the prefix table in the feature module.
API_NAMESPACES = {
    "Talk": 1,
    "User": 2,
    "User talk": 3,
    "Wikipedia": 4,
    "Wikipedia talk": 5,
    "File": 6,
    "Template": 10,
    "Template talk": 11,
    "Help": 12,
    "Category": 14,
    "Portal": 100,
    "Draft": 118,
    "Education Program talk": 447,
}


def api_namespace(title: str) -> int:
    prefix, sep, _ = title.partition(":")
    return API_NAMESPACES.get(prefix, 0) if sep else 0


def as_revisions(user) -> list[RevisionRecord]:
    """The account's edits as the MediaWiki client returns them (usercontribs)."""
    return [
        RevisionRecord(
            rev_id=e.rev_id,
            page=PageRecord(title=e.title, namespace=api_namespace(e.title)),
            user=UserRecord(name=user.username),
            timestamp=datetime.fromtimestamp(e.timestamp, tz=UTC),
        )
        for e in user.edits
    ]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


@pytest.fixture(scope="module")
def prepared(vews_dataset):
    return prepare_users(vews_dataset, signals=True)


@pytest.fixture(scope="module")
def scorers(prepared):
    return fit_text_scorers(prepared)


def test_namespaces_from_titles():
    assert namespace_of_title("Survivor: Borneo") == 0
    assert namespace_of_title("Wikipedia talk:Articles for creation") == 5
    assert namespace_of_title("Draft:Maria Cabase") == 118
    assert namespace_of_title("user_talk:Foo") == 3
    assert namespace_of_title("Education Program talk:Course") == 447


def test_own_pages_are_recognised():
    def kind(title: str, user: str = "Swiftscw") -> str:
        return page_kind(edit_from_title(title, 0), user)

    assert kind("User:Swiftscw") == "own_user_page"
    assert kind("User:Swiftscw/AMAPOLA CABASE") == "own_user_subpage"
    assert kind("User talk:swiftscw") == "own_user_talk"
    assert kind("User talk:Postdlf/Archive23") == "other_user_talk"
    assert kind("Talk:Maria Cabase") == "article_talk"
    assert kind("Maria Cabase") == "article"


def test_csv_rows_and_live_revisions_give_identical_features(vews_dataset, scorers):
    """No training/serving skew: the same numbers from the dataset and from API records."""
    for user in vews_dataset.users:
        from_rows = user_feature_matrix(user.username, user.user_edits(), scorers)
        live = [edit_from_revision(r) for r in as_revisions(user)]
        assert [e.namespace for e in live] == [e.namespace for e in user.user_edits()]
        from_api = user_feature_matrix(user.username, live, scorers)
        assert same(from_rows, from_api), user.username


def test_training_matrices_equal_the_live_feature_function(prepared, scorers):
    cache: dict = {}
    for user in prepared:
        assert same(
            with_text(user, scorers, cache), user_feature_matrix(user.username, user.edits, scorers)
        )


def test_prefix_rows_only_use_edits_up_to_k(prepared, scorers):
    for user in prepared:
        full = user_feature_matrix(user.username, user.edits, scorers)
        for k in range(1, min(user.n, 12) + 1):
            alone = user_feature_matrix(user.username, user.edits[:k], scorers)
            assert same(full[k - 1], alone[-1]), (user.username, k)


def test_text_columns_are_missing_without_scorers(prepared):
    user = prepared[0]
    matrix = user_feature_matrix(user.username, user.edits)
    text = [USER_FEATURE_NAMES.index(n) for n in ("name_text_score", "title_text_mean")]
    assert np.isnan(matrix[:, text]).all()
    assert not np.isnan(matrix[:, USER_FEATURE_NAMES.index("frac_article")]).any()


def test_signal_columns_never_reach_the_main_features(vews_dir, tmp_path, scorers):
    assert not set(SIGNAL_FEATURES) & set(MAIN_FEATURES)
    assert not any(n.startswith(("signal", "stiki", "cluebot", "revert")) for n in MAIN_FEATURES)
    # Scramble every signal column: behaviour features must not move.
    data = tmp_path / "scrambled"
    shutil.copytree(vews_dir, data)
    rng = np.random.default_rng(3)
    for path in data.glob("*_*.csv"):
        rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
        for row in rows[1:]:
            if len(row) == 9:
                row[4] = str(bool(rng.integers(2)))
                row[5] = "2014-01-01T00:00:00Z" if row[4] == "True" else "-"
                row[6] = str(int(rng.integers(2)))
                row[7] = f"{rng.random():.6f}"
                row[8] = f"{rng.random() * 5:.6f}"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    original = load_vews(vews_dir)
    scrambled = load_vews(data)
    assert [u.edits for u in original.users] != [u.edits for u in scrambled.users]
    for a, b in zip(original.users, scrambled.users, strict=True):
        assert same(
            user_feature_matrix(a.username, a.user_edits(), scorers),
            user_feature_matrix(b.username, b.user_edits(), scorers),
        )


def test_signals_are_only_those_known_before_each_edit(prepared):
    user = next(u for u in prepared if u.username == "Vtank54")
    reverted = SIGNAL_FEATURES.index("signal_reverted_before")
    cluebot = SIGNAL_FEATURES.index("signal_cluebot_reverted_before")
    stiki = SIGNAL_FEATURES.index("signal_stiki_latest_previous")
    # Edit 1 was reverted at 21:19:18, before edit 2 was made (21:21:02): known at edit 2.
    assert user.signals[:, reverted].tolist() == [0.0, 1.0, 2.0]
    # ClueBot reverted edit 2 at 21:21:07, known only at edit 3.
    assert user.signals[:, cluebot].tolist() == [0.0, 0.0, 1.0]
    assert np.isnan(user.signals[0, stiki])
    assert user.signals[1, stiki] == pytest.approx(0.102201435847)


def test_no_edits_or_no_timestamp_is_invalid_input():
    with pytest.raises(InvalidInput, match="no edits"):
        user_feature_matrix("Someone", [])
    with pytest.raises(InvalidInput, match="no timestamp"):
        edit_from_revision(RevisionRecord(rev_id=5, page=PageRecord(title="X")))


def test_name_features_do_not_see_the_script_of_a_name():
    """Every non-ASCII name in the VEWS sample is a vandal's: the features must not see it."""
    from wikiscore.features.user_behaviour import name_terms, username_features

    assert username_features("Иван Bob123") == username_features("Bob123")
    assert name_terms("Иван Bob123") == name_terms("Bob123")
    assert name_terms("Иван") == [] and name_terms("大学生") == []
    assert "name_non_ascii" not in USER_FEATURE_NAMES
    edits = [edit_from_title("Moscow", 0.0)]
    a = user_feature_matrix("Иван", edits)
    b = user_feature_matrix("李明", edits)
    assert same(a, b)


def test_non_ascii_names_are_scored_but_never_fitted_on(vews_dataset):
    from wikiscore.training.user_warning import used_for_fitting

    users = prepare_users(vews_dataset)
    assert all(used_for_fitting(u) == u.username.isascii() for u in users)
