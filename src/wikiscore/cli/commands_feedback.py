"""``wikiscore feedback export|stats``: reviewers' feedback from the patrol page, for audits."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from wikiscore.cli.app import app, fail, print_json_line

if TYPE_CHECKING:
    from wikiscore.web.feedback import FeedbackStore, VerdictCounts

POLICY = (
    "Feedback is never fed into training automatically: reviewers see what the model flags, "
    "so their verdicts are biased towards the model's own view (a feedback loop). Exports are "
    "for audits and for deliberate, documented relabelling by people."
)

feedback_app = typer.Typer(
    name="feedback",
    help="Reviewers' feedback from the patrol page (export for audits, statistics). " + POLICY,
    no_args_is_help=True,
)
app.add_typer(feedback_app, name="feedback")


def _open_store(store: Path | None) -> FeedbackStore:
    from wikiscore.config import store_path
    from wikiscore.store import Store

    path = store or store_path()
    if not path.exists():
        raise fail(f"no store at {path} (nothing has been recorded there yet)")
    from wikiscore.web.feedback import FeedbackStore

    return FeedbackStore(Store(path))


def _parse_since(since: str | None) -> datetime | None:
    if since is None:
        return None
    from wikiscore.records import parse_timestamp

    try:
        return parse_timestamp(since)
    except ValueError:
        raise fail(f"--since: not a date or timestamp: {since!r} (e.g. 2024-05-01)") from None


EXPORT_HELP = (
    "Write every feedback row, oldest first, one JSON object per line.\n\n"
    "Each line has: id, submission_id, wiki, rev_id, model, model_version, score and level "
    "(what the reviewer was shown), verdict (correct | false_positive | false_negative | "
    "unsure), note, reviewer, reviewer_kind (session | token), editor_anon, editor_newcomer, "
    "created_at (UTC) and superseded. All rows are exported, including verdicts a reviewer "
    "later changed (superseded: true); the others are each reviewer's current verdicts."
    "\n\n" + POLICY
)


@feedback_app.command("export", help=EXPORT_HELP)
def export(
    out: str = typer.Option(..., "--out", help="Output file (JSON lines); '-' for stdout."),
    model: str | None = typer.Option(None, help="Only feedback on this model (full name)."),
    wiki: str | None = typer.Option(None, help="Only feedback on this wiki (database name)."),
    since: str | None = typer.Option(None, help="Only feedback given at or after this time."),
    store: Path | None = typer.Option(
        None, help="The SQLite store (default: the data directory's, or WIKISCORE_STORE)."
    ),
) -> None:
    feedback = _open_store(store)
    rows = feedback.iter_all(model=model, wiki=wiki, since=_parse_since(since))
    if out == "-":
        count = 0
        for row in rows:
            sys.stdout.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
            count += 1
        typer.echo(f"exported {count} feedback rows", err=True)
        return
    target = Path(out)
    if target.parent and not target.parent.exists():
        raise fail(f"--out: directory {target.parent} does not exist")
    # Write beside the target and rename: a reader never sees half a file.
    fd, tmp_name = tempfile.mkstemp(prefix=".feedback-", suffix=".jsonl", dir=target.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    typer.echo(f"exported {count} feedback rows to {target}", err=True)


STATS_HELP = (
    "Reported feedback per model version, one JSON object per line: the latest verdict of "
    "each reviewer on each edit, by level and, for flagged edits, by anonymous and registered "
    "editors. These are reports on the edits reviewers opened, not measured error rates."
)


@feedback_app.command("stats", help=STATS_HELP)
def stats(
    model: str | None = typer.Option(None, help="Only this model (full name)."),
    store: Path | None = typer.Option(None, help="The SQLite store (default: the data dir's)."),
) -> None:
    feedback = _open_store(store)
    for item in feedback.stats(model=model):
        print_json_line(
            {
                "model": item.model,
                "model_version": item.model_version,
                "reviews": item.reviews,
                "reviewers": item.reviewers,
                "first_at": item.first_at,
                "last_at": item.last_at,
                "by_level": {k: _counts(v) for k, v in item.by_level.items()},
                "flagged_by_editor": {k: _counts(v) for k, v in item.flagged_by_editor.items()},
            }
        )


def _counts(counts: VerdictCounts) -> dict[str, object]:
    return {
        "total": counts.total,
        "correct": counts.correct,
        "false_positive": counts.false_positive,
        "false_negative": counts.false_negative,
        "unsure": counts.unsure,
        "reported_false_positive_rate": counts.false_positive_rate,
    }
