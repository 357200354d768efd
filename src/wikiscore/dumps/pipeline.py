"""Dump → labelled revision table, and a summary of what was read.

Owns wiring the reader, the revert labeller and the table writer together, with a progress
callback for the CLI. Must not print anything itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from wikiscore.dumps.reader import DumpInfo, DumpSource, iter_revisions, open_dump
from wikiscore.dumps.reverts import DEFAULT_RADIUS, DEFAULT_WINDOW, LabeledRevision, label_reverts
from wikiscore.dumps.table import TableWriter

ProgressCallback = Callable[[DumpSource, "DumpSummary"], None]


@dataclass
class DumpSummary:
    """Counts over a labelled dump (what ``wikiscore dump stats`` prints)."""

    dump: str = ""
    schema_version: str | None = None
    dbname: str | None = None
    pages: int = 0
    revisions: int = 0
    reverted: int = 0
    reverts: int = 0
    self_reverted: int = 0
    anon_revisions: int = 0
    anon_reverted: int = 0
    without_sha1: int = 0
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    radius: int = DEFAULT_RADIUS
    window_hours: float = DEFAULT_WINDOW.total_seconds() / 3600
    seconds: float = 0.0

    def add(self, labeled: LabeledRevision, new_page: bool) -> None:
        rev = labeled.revision
        self.pages += new_page
        self.revisions += 1
        self.reverted += labeled.reverted
        self.reverts += labeled.is_revert
        self.self_reverted += labeled.self_reverted
        self.anon_revisions += rev.anon
        self.anon_reverted += rev.anon and labeled.reverted
        self.without_sha1 += rev.sha1 is None
        stamp = _iso(rev.timestamp)
        if self.first_timestamp is None or stamp < self.first_timestamp:
            self.first_timestamp = stamp
        if self.last_timestamp is None or stamp > self.last_timestamp:
            self.last_timestamp = stamp

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["reverted_share"] = round(self.reverted / self.revisions, 6) if self.revisions else 0
        data["anon_reverted_share"] = (
            round(self.anon_reverted / self.anon_revisions, 6) if self.anon_revisions else 0
        )
        data["revisions_per_second"] = (
            round(self.revisions / self.seconds, 1) if self.seconds > 0 else None
        )
        data["seconds"] = round(self.seconds, 3)
        return data


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def labelled_revisions(
    dump: str | Path,
    summary: DumpSummary,
    *,
    radius: int = DEFAULT_RADIUS,
    window: timedelta = DEFAULT_WINDOW,
    progress: ProgressCallback | None = None,
) -> Iterator[LabeledRevision]:
    """Label every revision of ``dump``, updating ``summary`` as rows go by."""
    summary.dump = str(dump)
    summary.radius = radius
    summary.window_hours = window.total_seconds() / 3600
    info = DumpInfo()
    started = time.perf_counter()
    source = open_dump(dump)
    on_chunk = (lambda src: progress(src, summary)) if progress else None
    try:
        revisions = iter_revisions(source, info=info, on_chunk=on_chunk)
        last_page = None
        for labeled in label_reverts(revisions, radius=radius, window=window):
            page = labeled.revision.page
            summary.add(labeled, page != last_page)
            last_page = page
            yield labeled
        if progress is not None:
            progress(source, summary)  # the last rows leave the labelling window after the input
    finally:
        source.close()
        summary.schema_version = info.schema_version
        summary.dbname = info.dbname
        summary.seconds = time.perf_counter() - started


def label_dump(
    dump: str | Path,
    out: str | Path,
    *,
    fmt: str | None = None,
    radius: int = DEFAULT_RADIUS,
    window: timedelta = DEFAULT_WINDOW,
    progress: ProgressCallback | None = None,
) -> DumpSummary:
    """Write the labelled revision table of ``dump`` to ``out`` (``-`` for stdout)."""
    summary = DumpSummary()
    with TableWriter(out, fmt=fmt) as writer:
        for labeled in labelled_revisions(
            dump, summary, radius=radius, window=window, progress=progress
        ):
            writer.write(labeled)
    return summary


def dump_stats(
    dump: str | Path,
    *,
    radius: int = DEFAULT_RADIUS,
    window: timedelta = DEFAULT_WINDOW,
    progress: ProgressCallback | None = None,
) -> DumpSummary:
    """Read and label ``dump`` without writing a table; return the counts."""
    summary = DumpSummary()
    for _ in labelled_revisions(dump, summary, radius=radius, window=window, progress=progress):
        pass
    return summary
