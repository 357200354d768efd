"""``wikiscore dump label`` and ``wikiscore dump stats``: revert-labelled tables from XML dumps."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from wikiscore.cli.app import app, fail

dump_app = typer.Typer(
    name="dump",
    help="Read MediaWiki XML dumps (bz2, gz or plain; export schema 0.10/0.11) in constant memory.",
    no_args_is_help=True,
)
app.add_typer(dump_app, name="dump")

_DUMP_HELP = "A pages-meta-history or pages-articles XML dump (.xml, .xml.bz2, .xml.gz), or -."


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    from rich.console import Console

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[revisions]:,} revisions, {task.fields[pages]:,} pages"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task("reading", total=None, revisions=0, pages=0)

        def update(source: Any, summary: Any) -> None:
            progress.update(
                task,
                completed=source.position,
                total=source.total_bytes,
                revisions=summary.revisions,
                pages=summary.pages,
            )

        yield update


def _check_options(radius: int, window_hours: float) -> timedelta:
    if radius < 1:
        raise fail("--radius must be at least 1")
    if window_hours <= 0:
        raise fail("--window-hours must be positive")
    return timedelta(hours=window_hours)


@dump_app.command("label")
def label(
    dump: str = typer.Argument(..., help=_DUMP_HELP),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="The table to write: .tsv (with a header) or .jsonl, optionally .gz/.bz2; - for "
        "stdout (with --format).",
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="tsv or jsonl (default: from the --out extension)."
    ),
    radius: int = typer.Option(15, help="A revert undoes at most this many revisions."),
    window_hours: float = typer.Option(
        48.0, help="A revision counts as reverted only if the revert comes within this many hours."
    ),
    progress: bool = typer.Option(True, help="Show progress on stderr (only on a terminal)."),
) -> None:
    """Write one row per revision with identity-revert labels.

    A revision is reverted when a later revision of the same page, within --radius revisions
    and --window-hours hours, restores an earlier text (same sha1) and was made by another
    editor (self-reverts do not count). Columns: rev_id, parent_id, page_id, page_title,
    namespace, timestamp, user, user_id, anon, sha1, bytes, minor, comment, reverted,
    reverting_rev_id, reverted_to_rev_id, is_revert, restores_rev_id, self_reverted.
    A summary (JSON) goes to stderr.
    """
    from wikiscore.dumps.pipeline import label_dump
    from wikiscore.dumps.table import format_for

    window = _check_options(radius, window_hours)
    if str(out) == "-" and not fmt:
        raise fail("writing to stdout needs --format tsv or --format jsonl")
    format_for(out, fmt)  # a bad name fails before the dump is read
    with _progress(progress and str(out) != "-") as update:
        summary = label_dump(dump, out, fmt=fmt, radius=radius, window=window, progress=update)
    sys.stderr.write(json.dumps(summary.to_json()) + "\n")


@dump_app.command("stats")
def stats(
    dump: str = typer.Argument(..., help=_DUMP_HELP),
    radius: int = typer.Option(15, help="A revert undoes at most this many revisions."),
    window_hours: float = typer.Option(48.0, help="Revert window in hours."),
    progress: bool = typer.Option(True, help="Show progress on stderr (only on a terminal)."),
) -> None:
    """Count pages, revisions, reverts and reverted revisions (anonymous and all) in a dump.

    Prints one JSON object: a quick check of a dump's label balance before training on it.
    """
    from wikiscore.cli.app import print_json_line
    from wikiscore.dumps.pipeline import dump_stats

    window = _check_options(radius, window_hours)
    with _progress(progress) as update:
        summary = dump_stats(dump, radius=radius, window=window, progress=update)
    print_json_line(summary.to_json())
