"""The VEWS loader on a real slice: blocks, quirks of the files, labels, signals, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wikiscore.errors import InvalidInput
from wikiscore.training.vews_data import load_vews, parse_utc


def test_loads_every_account_with_labels(vews_dataset):
    users = {u.username: u for u in vews_dataset.users}
    assert len(users) == 61
    assert vews_dataset.n_vandals == 33
    assert vews_dataset.label_conflicts == 0
    # Quoted CSV-style in users.tsv, plain in the edit files.
    assert users['Jack "badman" webb'].is_vandal
    assert users['Poppa "Pet Boy" Soreanal'].is_vandal
    # Missing from users.tsv (comma in the name / absent): label from the file name.
    assert vews_dataset.labels_from_file_name == 2
    assert users["Omara,ryan"].is_vandal and users["Omara,ryan"].source_file == "vandal_2013_4.csv"
    assert not any(u.username.startswith('"') for u in vews_dataset.users)


def test_block_without_separator_is_split_by_username(vews_dataset):
    users = {u.username: u for u in vews_dataset.users}
    vtank = users["Vtank54"]
    assert [e.rev_id for e in vtank.edits] == [571832260, 571832736, 580624101]
    assert all(e.title != "User talk:Indianssuck" for e in vtank.edits)
    assert any(e.title == "User talk:Indianssuck" for e in users["Indianssuck"].edits)


def test_edits_are_in_time_order_with_signals(vews_dataset):
    users = {u.username: u for u in vews_dataset.users}
    for user in vews_dataset.users:
        times = [e.timestamp for e in user.edits]
        assert times == sorted(times)
    first = users["Vtank54"].edits[1]
    assert first.is_reverted and first.cluebot_revert
    assert first.revert_time == parse_utc("2013-09-06T21:21:07Z")
    assert first.stiki_score == pytest.approx(0.391026361931)
    never_reverted = [e for u in vews_dataset.users for e in u.edits if not e.is_reverted]
    assert never_reverted and all(e.revert_time is None for e in never_reverted)


def test_hashes_of_the_files_are_recorded(vews_dataset):
    hashes = vews_dataset.summary()["files_sha256"]
    assert set(hashes) == {
        "users.tsv",
        "benign_2013_4.csv",
        "benign_2013_9.csv",
        "vandal_2013_4.csv",
        "vandal_2013_9.csv",
    }
    assert all(len(h) == 64 for h in hashes.values())


def _copy(vews_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(vews_dir, target)
    return target


def test_missing_users_file_is_a_clear_error(vews_dir, tmp_path):
    data = _copy(vews_dir, tmp_path)
    (data / "users.tsv").unlink()
    with pytest.raises(InvalidInput, match=r"users\.tsv is missing"):
        load_vews(data)
    with pytest.raises(InvalidInput, match="not a directory"):
        load_vews(tmp_path / "nowhere")


def test_malformed_rows_name_file_and_line(vews_dir, tmp_path):
    data = _copy(vews_dir, tmp_path)
    path = data / "benign_2013_4.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].rsplit(",", 2)[0]  # drop two columns
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"benign_2013_4\.csv:4: expected 9 columns"):
        load_vews(data)
    path.write_text("user,rev\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="header must be"):
        load_vews(data)
