"""``wikiscore dump label`` / ``dump stats`` as a user runs them (a real subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wikiscore.dumps.table import COLUMNS, iter_table

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dumps"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikiscore.cli.main", "dump", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("name", ["labels.tsv", "labels.jsonl.gz"])
def test_label_writes_a_table_that_reads_back(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = _run("label", str(FIXTURES / "reverts-0.11.xml"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stderr.strip().splitlines()[-1])
    assert (summary["revisions"], summary["reverted"], summary["self_reverted"]) == (63, 23, 3)
    rows = list(iter_table(out))
    assert len(rows) == 63 and set(rows[0]) == set(COLUMNS)
    vandal = next(row for row in rows if row["rev_id"] == 103)
    assert vandal == {
        **vandal,
        "page_title": "Aardvark",
        "user": "198.51.100.23",
        "user_id": 0,
        "anon": True,
        "reverted": True,
        "reverting_rev_id": 104,
        "reverted_to_rev_id": 102,
        "is_revert": False,
        "timestamp": "2016-05-01T02:00:00Z",
    }
    assert not list(tmp_path.glob("*.partial"))
    if name.endswith(".tsv"):
        header = out.read_text(encoding="utf-8").splitlines()[0]
        assert header.split("\t") == list(COLUMNS)


def test_tsv_escapes_tabs_and_newlines_in_comments(tmp_path: Path) -> None:
    dump = tmp_path / "d.xml"
    dump.write_text(
        '<mediawiki version="0.10"><page><title>A</title><ns>0</ns><id>1</id><revision>'
        "<id>1</id><timestamp>2020-01-01T00:00:00Z</timestamp><contributor><ip>192.0.2.1</ip>"
        "</contributor><comment>tab\there&#10;new line \\ slash</comment><text>x</text>"
        "</revision></page></mediawiki>",
        encoding="utf-8",
    )
    out = tmp_path / "t.tsv"
    assert _run("label", str(dump), "-o", str(out)).returncode == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    (row,) = iter_table(out)
    assert row["comment"] == "tab\there\nnew line \\ slash"


def test_stats_prints_one_json_object() -> None:
    result = _run("stats", str(FIXTURES / "reverts-0.10.xml"))
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["schema_version"] == "0.10" and stats["pages"] == 8
    assert (stats["anon_revisions"], stats["anon_reverted"], stats["reverts"]) == (12, 7, 12)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["label", "{missing}", "--out", "{tmp}/o.tsv"], "no such dump file"),
        (["label", "{bad}", "--out", "{tmp}/o.tsv"], "malformed XML"),
        (["label", "{fixture}", "--out", "{tmp}/o.csv"], "cannot tell the table format"),
        (["label", "{fixture}", "--out", "{tmp}/nodir/o.tsv"], "no directory"),
        (["label", "{fixture}", "--out", "-"], "needs --format"),
        (["stats", "{fixture}", "--radius", "0"], "--radius must be at least 1"),
    ],
)
def test_bad_input_is_an_error_line_not_a_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<mediawiki><page><title>A</title></mediawiki>", encoding="utf-8")
    values = {
        "missing": str(tmp_path / "nope.xml"),
        "bad": str(bad),
        "fixture": str(FIXTURES / "reverts-0.10.xml"),
        "tmp": str(tmp_path),
    }
    result = _run(*(arg.format(**values) for arg in args))
    assert result.returncode == 2
    assert message in result.stderr and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.tsv").exists() and not (tmp_path / "o.tsv.partial").exists()
