"""Reading editquality feature files: ``rev_id``, nine revscoring features, ``reverted`` label.

Owns parsing the tab-separated training/evaluation format of wikimedia/editquality (no header,
11 columns, bz2-compressed or plain; see ``/work/shared/data/README.md``) into arrays, with the
file's sha256 for provenance. Every problem (wrong column count, a header line, a value that is
not a number or True/False, a repeated rev_id) is an :class:`~wikiscore.errors.InvalidInput`
naming the file and line. Must not train or score.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wikiscore.errors import InvalidInput
from wikiscore.models.inputs import EDIT_FEATURES, IN_BOT_SYSOP, IS_ANON

LABEL = "reverted"
COLUMNS: tuple[str, ...] = ("rev_id", *EDIT_FEATURES, LABEL)
BOOLEAN_FEATURES = frozenset({IS_ANON, IN_BOT_SYSOP})
_TRUE = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True)
class EditQualityData:
    """A parsed file: ``X`` has one column per name in ``feature_names`` (booleans as 0/1)."""

    path: Path
    sha256: str
    rev_ids: np.ndarray  # int64 (n,)
    X: np.ndarray  # float64 (n, 9)
    y: np.ndarray  # bool (n,)
    feature_names: tuple[str, ...] = EDIT_FEATURES

    def __len__(self) -> int:
        return int(self.y.size)

    def column(self, name: str) -> np.ndarray:
        return self.X[:, self.feature_names.index(name)]

    def provenance(self) -> dict[str, object]:
        return {
            "file": self.path.name,
            "sha256": self.sha256,
            "rows": len(self),
            "positives": int(self.y.sum()),
        }


def _open_text(raw: bytes) -> io.StringIO:
    if raw[:3] == b"BZh":
        raw = bz2.decompress(raw)
    elif raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return io.StringIO(raw.decode("utf-8"))


def _bool(text: str, where: str, column: str) -> bool:
    value = _TRUE.get(text.strip().lower())
    if value is None:
        raise InvalidInput(f"{where}: column {column!r} must be True or False, got {text!r}")
    return value


def _number(text: str, where: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{where}: column {column!r} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{where}: column {column!r} must be finite, got {text!r}")
    return value


def read_editquality_tsv(path: Path | str) -> EditQualityData:
    """Parse an editquality file (bz2, gzip or plain text); raise InvalidInput on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"data file not found: {path}") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read data file {path}: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        text = _open_text(raw)
    except (OSError, EOFError, ValueError) as exc:
        # bz2/gzip errors are OSError/EOFError; bad UTF-8 is a ValueError.
        raise InvalidInput(f"{path} is not a readable text, .bz2 or .gz file: {exc}") from None

    rev_ids: list[int] = []
    rows: list[list[float]] = []
    labels: list[bool] = []
    first_line: dict[int, int] = {}
    for lineno, line in enumerate(text, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        where = f"{path.name} line {lineno}"
        fields = line.split("\t")
        if len(fields) != len(COLUMNS):
            raise InvalidInput(
                f"{where}: expected {len(COLUMNS)} tab-separated columns (rev_id, the nine "
                f"revscoring features, reverted), found {len(fields)}"
            )
        try:
            rev_id = int(fields[0])
        except ValueError:
            hint = " (the file must not have a header line)" if lineno == 1 else ""
            raise InvalidInput(
                f"{where}: rev_id must be an integer, got {fields[0]!r}{hint}"
            ) from None
        if rev_id in first_line:
            raise InvalidInput(
                f"{where}: rev_id {rev_id} already appeared on line {first_line[rev_id]} "
                "(duplicate edits would be counted twice)"
            )
        first_line[rev_id] = lineno
        values = []
        for name, field in zip(EDIT_FEATURES, fields[1:-1], strict=True):
            if name in BOOLEAN_FEATURES:
                values.append(float(_bool(field, where, name)))
            else:
                values.append(_number(field, where, name))
        rev_ids.append(rev_id)
        rows.append(values)
        labels.append(_bool(fields[-1], where, LABEL))
    if not rows:
        raise InvalidInput(f"{path} holds no data rows")
    return EditQualityData(
        path=path,
        sha256=sha256,
        rev_ids=np.asarray(rev_ids, dtype=np.int64),
        X=np.asarray(rows, dtype=np.float64),
        y=np.asarray(labels, dtype=bool),
    )
