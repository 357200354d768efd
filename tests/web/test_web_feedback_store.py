"""Feedback storage: validation, idempotent submissions, latest-verdict statistics, concurrent
writers (threads and processes) and durability across re-opening the store, on real SQLite."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wikiscore.errors import InvalidInput
from wikiscore.store import Store
from wikiscore.web.feedback import (
    FeedbackStore,
    parse_submission,
    verdict_for_judgement,
)

REPO = Path(__file__).resolve().parents[2]


def _submission(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "wiki": "testwiki",
        "rev_id": 101,
        "model": "enwiki-editrisk",
        "model_version": "1.0.0",
        "score": 0.91,
        "level": "very_likely_bad",
        "verdict": "false_positive",
        "note": "a fine edit",
        "editor_anon": True,
    }
    data.update(overrides)
    return data


def test_validation_names_the_wrong_field() -> None:
    with pytest.raises(InvalidInput, match=r"verdict: must be one of correct, false_positive"):
        parse_submission(_submission(verdict="maybe"))
    with pytest.raises(InvalidInput, match=r"score: .*less than or equal to 1"):
        parse_submission(_submission(score=1.5))
    with pytest.raises(InvalidInput, match=r"rev_id"):
        parse_submission(_submission(rev_id="abc"))
    with pytest.raises(InvalidInput, match=r"note: .*at most 2000"):
        parse_submission(_submission(note="x" * 2001))
    with pytest.raises(InvalidInput, match=r"wiki: must be a wiki database name"):
        parse_submission(_submission(wiki="../etc"))
    with pytest.raises(InvalidInput, match=r"surprise: Extra inputs are not permitted"):
        parse_submission(_submission(surprise=1))
    with pytest.raises(InvalidInput, match=r"level: must be one of"):
        parse_submission(_submission(level="awful"))
    # Form posts send strings; they are accepted when they mean the right thing.
    ok = parse_submission(_submission(rev_id="101", score="0.5", editor_anon="false"))
    assert ok.rev_id == 101 and ok.score == 0.5 and ok.editor_anon is False


def test_add_is_idempotent_per_submission_and_keeps_history(tmp_path: Path) -> None:
    feedback = FeedbackStore(Store(tmp_path / "s.sqlite3"))
    first, created = feedback.add(
        parse_submission(_submission(submission_id="sub-00000001")), reviewer="Ann"
    )
    assert created and first.verdict == "false_positive" and first.reviewer == "Ann"
    again, created_again = feedback.add(
        parse_submission(_submission(submission_id="sub-00000001", verdict="correct")),
        reviewer="Ann",
    )
    assert not created_again and again.id == first.id and again.verdict == "false_positive"
    # Changing one's mind adds a row; the latest counts.
    feedback.add(parse_submission(_submission(verdict="correct")), reviewer="Ann")
    feedback.add(parse_submission(_submission(verdict="unsure")), reviewer="Bob")
    assert feedback.count() == 3
    latest = feedback.latest_for_revisions("testwiki", [101, 999])
    assert sorted((f.reviewer, f.verdict) for f in latest[101]) == [
        ("Ann", "correct"),
        ("Bob", "unsure"),
    ]
    assert 999 not in latest
    history = list(feedback.iter_all())
    assert [(f.verdict, f.superseded) for f in history] == [
        ("false_positive", True),
        ("correct", False),
        ("unsure", False),
    ]
    with pytest.raises(InvalidInput, match="reviewer name must not be empty"):
        feedback.add(parse_submission(_submission()), reviewer="   ")


def test_stats_by_level_and_editor_group(tmp_path: Path) -> None:
    feedback = FeedbackStore(Store(tmp_path / "s.sqlite3"))
    rows = [
        (1, "very_likely_bad", "correct", True),
        (2, "very_likely_bad", "false_positive", True),
        (3, "very_likely_bad", "false_positive", False),
        (4, "likely_bad", "correct", False),
        (5, "likely_good", "false_negative", True),
        (6, "may_have_problems", "unsure", True),
    ]
    for rev, level, verdict, anon in rows:
        feedback.add(
            parse_submission(
                _submission(rev_id=rev, level=level, verdict=verdict, editor_anon=anon)
            ),
            reviewer="Ann",
        )
    # An older verdict that was replaced must not count.
    feedback.add(
        parse_submission(
            _submission(rev_id=4, level="likely_bad", verdict="correct", editor_anon=False)
        ),
        reviewer="Cy",
    )
    feedback.add(
        parse_submission(
            _submission(rev_id=4, level="likely_bad", verdict="false_positive", editor_anon=False)
        ),
        reviewer="Cy",
    )
    feedback.add(parse_submission(_submission(model_version="2.0.0")), reviewer="Ann")
    stats = {s.model_version: s for s in feedback.stats(model="enwiki-editrisk")}
    v1 = stats["1.0.0"]
    assert v1.reviews == 7 and v1.reviewers == 2
    top = v1.by_level["very_likely_bad"]
    assert (top.total, top.correct, top.false_positive) == (3, 1, 2)
    assert top.false_positive_rate == pytest.approx(2 / 3)
    assert v1.by_level["likely_bad"].false_positive == 1  # Cy's latest only
    assert v1.by_level["likely_good"].false_negative == 1
    assert v1.by_level["may_have_problems"].false_positive_rate is None  # only unsure
    anon, registered = v1.flagged_by_editor["anonymous"], v1.flagged_by_editor["registered"]
    assert (anon.correct, anon.false_positive, anon.unsure) == (1, 1, 1)
    assert (registered.correct, registered.false_positive) == (1, 2)
    assert stats["2.0.0"].reviews == 1
    assert feedback.stats(model="other-model") == []


@pytest.mark.parametrize(
    ("judgement", "level", "verdict"),
    [
        ("good", "very_likely_bad", "false_positive"),
        ("good", "may_have_problems", "false_positive"),
        ("good", "likely_good", "correct"),
        ("bad", "likely_bad", "correct"),
        ("bad", "likely_good", "false_negative"),
        ("unsure", "likely_bad", "unsure"),
    ],
)
def test_quick_judgements_map_to_verdicts(judgement: str, level: str, verdict: str) -> None:
    assert verdict_for_judgement(judgement, level) == verdict


def test_concurrent_threads_lose_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    feedback = FeedbackStore(store)
    errors: list[BaseException] = []

    def reviewer(n: int) -> None:
        try:
            for i in range(25):
                feedback.add(
                    parse_submission(_submission(rev_id=1000 + i, verdict="correct")),
                    reviewer=f"thread-{n}",
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert feedback.count() == 200
    reopened = FeedbackStore(Store(tmp_path / "s.sqlite3"))
    assert reopened.count() == 200
    assert len({f.submission_id for f in reopened.iter_all()}) == 200


def _process_writer(path: str, n: int, count: int) -> None:
    feedback = FeedbackStore(Store(path))
    for i in range(count):
        feedback.add(
            parse_submission(_submission(rev_id=5000 + i, submission_id=f"proc-{n}-{i:06d}")),
            reviewer=f"process-{n}",
        )


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    """Several service workers (processes) writing the same store file at once."""
    path = str(tmp_path / "shared.sqlite3")
    Store(path).close()  # migrate once up front, as the service does at start-up
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(path, n, 30)) for n in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    feedback = FeedbackStore(Store(path))
    assert feedback.count() == 120
    per_reviewer: dict[str, int] = {}
    for row in feedback.iter_all():
        per_reviewer[row.reviewer] = per_reviewer.get(row.reviewer, 0) + 1
    assert per_reviewer == {f"process-{n}": 30 for n in range(4)}


def test_schema_has_feedback_table_after_migration(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    tables = {r[0] for r in store.connection().execute("SELECT name FROM sqlite_master")}
    assert "feedback" in tables
    # The CHECK constraint guards the table even against writers that skip validation.
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        store.connection().execute(
            "INSERT INTO feedback (submission_id, wiki, rev_id, model, model_version, score,"
            " level, verdict, reviewer, reviewer_kind, editor_anon, created_at)"
            " VALUES ('x1234567', 'w', 1, 'm', '1', 0.5, 'likely_bad', 'bogus', 'r',"
            " 'session', 0, 'now')"
        )


def _cli(*args: str, env_store: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WIKISCORE_STORE": str(env_store)}
    return subprocess.run(
        [sys.executable, "-m", "wikiscore.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
    )


def test_cli_export_and_stats(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    feedback = FeedbackStore(Store(db))
    feedback.add(parse_submission(_submission(note="vandal\nbut \u00e9l\u00e8ve")), reviewer="Ann")
    feedback.add(parse_submission(_submission(rev_id=7, model="other")), reviewer="Bob")
    out = tmp_path / "export.jsonl"
    result = _cli("feedback", "export", "--out", str(out), env_store=db)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["rev_id"] for line in lines] == [101, 7]
    assert lines[0]["note"] == "vandal\nbut \u00e9l\u00e8ve"
    assert set(lines[0]) >= {
        "wiki", "rev_id", "model", "model_version", "score", "level", "verdict", "reviewer",
        "reviewer_kind", "created_at", "editor_anon",
    }  # fmt: skip
    only = _cli("feedback", "export", "--out", "-", "--model", "other", env_store=db)
    assert [json.loads(x)["model"] for x in only.stdout.splitlines()] == ["other"]
    stats = _cli("feedback", "stats", env_store=db)
    assert stats.returncode == 0, stats.stderr
    by_model = {json.loads(x)["model"]: json.loads(x) for x in stats.stdout.splitlines()}
    assert by_model["enwiki-editrisk"]["by_level"]["very_likely_bad"]["false_positive"] == 1


def test_cli_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    FeedbackStore(Store(db))
    bad_since = _cli("feedback", "export", "--out", "-", "--since", "soon", env_store=db)
    assert bad_since.returncode == 2
    assert "--since: not a date" in bad_since.stderr and "Traceback" not in bad_since.stderr
    missing_dir = _cli("feedback", "export", "--out", str(tmp_path / "no" / "x"), env_store=db)
    assert missing_dir.returncode == 2 and "does not exist" in missing_dir.stderr
    no_store = _cli("feedback", "stats", env_store=tmp_path / "absent.sqlite3")
    assert no_store.returncode == 2 and "no store at" in no_store.stderr
