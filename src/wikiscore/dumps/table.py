"""The labelled revision table: writing it (TSV with a header, or JSON Lines) and reading it back.

Owns the table's columns, their text encoding and the file handling: the format follows the
extension (``.tsv`` / ``.jsonl``, optionally followed by ``.gz`` or ``.bz2``), and a table is
written to ``NAME.partial`` and renamed into place only when complete, so an interrupted run
never leaves a table that looks finished. TSV values escape backslash, tab, newline and
carriage return as ``\\\\``, ``\\t``, ``\\n``, ``\\r``; booleans are ``True``/``False`` (as in
edit-quality's TSV files); a missing value is an empty field. Must not parse XML.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

from wikiscore.dumps.reader import DumpError
from wikiscore.dumps.reverts import LabeledRevision

COLUMNS: tuple[str, ...] = (
    "rev_id",
    "parent_id",
    "page_id",
    "page_title",
    "namespace",
    "timestamp",
    "user",
    "user_id",
    "anon",
    "sha1",
    "bytes",
    "minor",
    "comment",
    "reverted",
    "reverting_rev_id",
    "reverted_to_rev_id",
    "is_revert",
    "restores_rev_id",
    "self_reverted",
)
_INT_COLUMNS = {
    "rev_id",
    "parent_id",
    "page_id",
    "namespace",
    "user_id",
    "bytes",
    "reverting_rev_id",
    "reverted_to_rev_id",
    "restores_rev_id",
}
_BOOL_COLUMNS = {"anon", "minor", "reverted", "is_revert", "self_reverted"}
FORMATS = ("tsv", "jsonl")


def row_of(labeled: LabeledRevision) -> dict[str, Any]:
    """One table row as Python values (ints, bools, strings, None)."""
    rev = labeled.revision
    return {
        "rev_id": rev.rev_id,
        "parent_id": rev.parent_id,
        "page_id": rev.page.id,
        "page_title": rev.page.title,
        "namespace": rev.page.namespace,
        "timestamp": rev.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "user": rev.user,
        "user_id": rev.user_id,
        "anon": rev.anon,
        "sha1": rev.sha1,
        "bytes": rev.bytes,
        "minor": rev.minor,
        "comment": rev.comment,
        "reverted": labeled.reverted,
        "reverting_rev_id": labeled.reverting_rev_id,
        "reverted_to_rev_id": labeled.reverted_to_rev_id,
        "is_revert": labeled.is_revert,
        "restores_rev_id": labeled.restores_rev_id,
        "self_reverted": labeled.self_reverted,
    }


def format_for(path: str | Path, explicit: str | None = None) -> str:
    """``tsv`` or ``jsonl`` from an explicit choice or the file name (ignoring .gz/.bz2)."""
    if explicit:
        if explicit not in FORMATS:
            raise DumpError(f"unknown table format {explicit!r}: use tsv or jsonl")
        return explicit
    name = str(path).lower()
    for suffix in (".gz", ".bz2"):
        name = name.removesuffix(suffix)
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    raise DumpError(
        f"cannot tell the table format from {str(path)!r}: name it .tsv or .jsonl "
        "(optionally .gz or .bz2), or pass --format"
    )


def _open_compressed(path: Path, mode: str, name_for_format: Path | None = None) -> IO[str]:
    """A text file, gzip- or bzip2-compressed when the (final) name says so."""
    name = (name_for_format or path).name.lower()
    text_mode = "wt" if mode == "w" else "rt"
    if name.endswith(".gz"):
        return cast(IO[str], gzip.open(path, text_mode, encoding="utf-8", newline="\n"))
    if name.endswith(".bz2"):
        return cast(IO[str], bz2.open(path, text_mode, encoding="utf-8", newline="\n"))
    return path.open(mode, encoding="utf-8", newline="\n")


def _tsv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    return str(value)


class TableWriter:
    """Writes rows to ``path`` (or stdout for ``-``); use as a context manager."""

    def __init__(self, path: str | Path, *, fmt: str | None = None) -> None:
        self.format = format_for(path, fmt)
        self.rows = 0
        self._to_stdout = str(path) == "-"
        self._path = Path(path)
        self._partial = self._path.with_name(self._path.name + ".partial")
        self._fh: IO[str] | None = None

    def __enter__(self) -> TableWriter:
        if self._to_stdout:
            self._fh = sys.stdout
        else:
            if not self._path.parent.is_dir():
                raise DumpError(f"cannot write {self._path}: no directory {self._path.parent}")
            try:
                self._fh = _open_compressed(self._partial, "w", self._path)
            except OSError as exc:
                raise DumpError(f"cannot write {self._path}: {exc.strerror or exc}") from None
        if self.format == "tsv":
            self._fh.write("\t".join(COLUMNS) + "\n")
        return self

    def write(self, labeled: LabeledRevision) -> None:
        assert self._fh is not None, "use TableWriter as a context manager"
        row = row_of(labeled)
        if self.format == "tsv":
            line = "\t".join(_tsv_value(row[c]) for c in COLUMNS)
        else:
            line = json.dumps(row, ensure_ascii=False)
        self._fh.write(line + "\n")
        self.rows += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fh is None:
            return
        if self._to_stdout:
            self._fh.flush()
            return
        self._fh.close()
        if exc_type is None:
            with open(self._partial, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(self._partial, self._path)
        else:
            with contextlib.suppress(OSError):
                self._partial.unlink()


def _parse_tsv_value(column: str, text: str) -> Any:
    if text == "":
        return "" if column == "comment" else None
    if column in _INT_COLUMNS:
        return int(text)
    if column in _BOOL_COLUMNS:
        return text == "True"
    if "\\" in text:
        out, i = [], 0
        escapes = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text):
                out.append(escapes.get(text[i + 1], text[i + 1]))
                i += 2
            else:
                out.append(char)
                i += 1
        return "".join(out)
    return text


def iter_table(path: str | Path, *, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows of a table written by :class:`TableWriter`, with typed values."""
    table_format = format_for(path, fmt)
    with _open_compressed(Path(path), "r") as fh:
        if table_format == "jsonl":
            for line in fh:
                if line.strip():
                    yield json.loads(line)
            return
        header = fh.readline().rstrip("\n").split("\t")
        for line in fh:
            fields = line.rstrip("\n").split("\t")
            yield {c: _parse_tsv_value(c, v) for c, v in zip(header, fields, strict=True)}
