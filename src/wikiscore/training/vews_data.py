"""Reading the UMD Wikipedia (VEWS) vandal dataset into per-user edit histories.

Owns the file layout of Kumar, Spezzano & Subrahmanian's dataset (KDD 2015, CRAPL licence): a
directory with ``users.tsv`` (username, userid, blocked_time, blocked_reason, type) and monthly
``benign_YYYY_M.csv`` / ``vandal_YYYY_M.csv`` files whose rows are
``username,revid,revtime,pagetitle,isReverted,revertTime,cluebotRevert,stiki_score,
stiki_REP_USER``, one block per user, blocks separated by an empty line, oldest edit first.

Quirks handled here (found in the real files):
- a few blocks lack the separating empty line, so rows are grouped by username, not by block;
- ``users.tsv`` quotes names containing ``"`` CSV-style; names containing a comma are missing
  from it, so the label falls back to the file name (``vandal_``/``benign_``);
- ``-`` means "none" for ``revertTime``.

The columns after ``pagetitle`` are signals from other people and tools (reverts, ClueBot NG,
STiki). They are kept on :class:`VewsEdit` for the signals variant and for baselines; the main
model never sees them (it converts edits with :func:`to_user_edits`, which drops them).
Must not compute features or train anything.
"""

from __future__ import annotations

import csv
import hashlib
import re
from calendar import timegm
from dataclasses import dataclass, field
from pathlib import Path
from time import strptime

from wikiscore.errors import InvalidInput
from wikiscore.features.user_behaviour import UserEdit, edit_from_title

EDIT_COLUMNS = (
    "username",
    "revid",
    "revtime",
    "pagetitle",
    "isReverted",
    "revertTime",
    "cluebotRevert",
    "stiki_score",
    "stiki_REP_USER",
)
_EDIT_FILE = re.compile(r"^(benign|vandal)_(\d{4})_(\d{1,2})\.csv$")


@dataclass(frozen=True)
class VewsEdit:
    """One row of a monthly file. Times are Unix seconds (UTC)."""

    rev_id: int
    timestamp: float
    title: str
    is_reverted: bool
    revert_time: float | None
    cluebot_revert: bool
    stiki_score: float | None
    stiki_rep_user: float | None


@dataclass(frozen=True)
class VewsUser:
    username: str
    is_vandal: bool
    edits: tuple[VewsEdit, ...]
    source_file: str

    def user_edits(self) -> list[UserEdit]:
        return to_user_edits(self.edits)


@dataclass
class VewsDataset:
    users: list[VewsUser]
    directory: Path
    file_sha256: dict[str, str] = field(default_factory=dict)
    labels_from_file_name: int = 0  # users absent from users.tsv
    users_without_edits: int = 0  # listed in users.tsv, no rows in any monthly file
    label_conflicts: int = 0  # users.tsv type disagrees with the file name (users.tsv wins)

    @property
    def n_vandals(self) -> int:
        return sum(u.is_vandal for u in self.users)

    def summary(self) -> dict[str, object]:
        return {
            "directory": str(self.directory),
            "users": len(self.users),
            "vandals": self.n_vandals,
            "benign": len(self.users) - self.n_vandals,
            "edits": sum(len(u.edits) for u in self.users),
            "labels_from_file_name": self.labels_from_file_name,
            "users_without_edits": self.users_without_edits,
            "label_conflicts": self.label_conflicts,
            "files_sha256": self.file_sha256,
        }


def to_user_edits(edits: tuple[VewsEdit, ...] | list[VewsEdit]) -> list[UserEdit]:
    """The behaviour-only view of a user's rows: title, namespace, time. Signals are dropped."""
    return [edit_from_title(e.title, e.timestamp) for e in edits]


def parse_utc(text: str) -> float:
    """``2013-01-31T23:19:17Z`` → Unix seconds."""
    return float(timegm(strptime(text, "%Y-%m-%dT%H:%M:%SZ")))


def _optional_time(text: str) -> float | None:
    text = text.strip()
    return None if text in ("", "-") else parse_utc(text)


def _optional_float(text: str) -> float | None:
    text = text.strip()
    return None if text in ("", "-") else float(text)


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0", "", "-"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _parse_edit(row: list[str]) -> VewsEdit:
    return VewsEdit(
        rev_id=int(row[1]),
        timestamp=parse_utc(row[2]),
        title=row[3],
        is_reverted=_parse_bool(row[4]),
        revert_time=_optional_time(row[5]),
        cluebot_revert=_parse_bool(row[6]),
        stiki_score=_optional_float(row[7]),
        stiki_rep_user=_optional_float(row[8]),
    )


def read_users_tsv(path: Path) -> dict[str, bool]:
    """username → is_vandal, from ``users.tsv``."""
    labels: dict[str, bool] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if not row:
                continue
            if len(row) != 5:
                raise InvalidInput(f"{path}:{line_no}: expected 5 tab-separated columns")
            kind = row[4].strip()
            if kind not in ("benign", "vandal"):
                raise InvalidInput(f"{path}:{line_no}: type must be benign or vandal, got {kind!r}")
            labels[row[0]] = kind == "vandal"
    return labels


def read_edit_file(path: Path) -> dict[str, list[VewsEdit]]:
    """username → edits (file order) from one monthly CSV."""
    by_user: dict[str, list[VewsEdit]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header) != EDIT_COLUMNS:
            raise InvalidInput(f"{path}: header must be {','.join(EDIT_COLUMNS)}")
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # the empty line between blocks
            if len(row) != len(EDIT_COLUMNS):
                raise InvalidInput(
                    f"{path}:{reader.line_num}: expected {len(EDIT_COLUMNS)} columns, "
                    f"got {len(row)}"
                )
            try:
                edit = _parse_edit(row)
            except ValueError as exc:
                raise InvalidInput(f"{path}:{reader.line_num}: {exc}") from exc
            by_user.setdefault(row[0], []).append(edit)
    return by_user


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_vews(directory: Path, *, hash_files: bool = True) -> VewsDataset:
    """Every user with at least one edit, sorted by username (deterministic order)."""
    directory = Path(directory)
    users_path = directory / "users.tsv"
    if not directory.is_dir():
        raise InvalidInput(f"{directory}: not a directory")
    if not users_path.is_file():
        raise InvalidInput(f"{directory}: users.tsv is missing")
    edit_files = sorted(p for p in directory.iterdir() if _EDIT_FILE.match(p.name))
    if not edit_files:
        raise InvalidInput(f"{directory}: no benign_YYYY_M.csv or vandal_YYYY_M.csv files")
    labels = read_users_tsv(users_path)
    dataset = VewsDataset(users=[], directory=directory)
    if hash_files:
        dataset.file_sha256 = {p.name: _sha256(p) for p in [users_path, *edit_files]}

    edits: dict[str, list[VewsEdit]] = {}
    source: dict[str, str] = {}
    for path in edit_files:
        for name, rows in read_edit_file(path).items():
            edits.setdefault(name, []).extend(rows)
            source.setdefault(name, path.name)
    for name in sorted(edits):
        rows = sorted(edits[name], key=lambda e: (e.timestamp, e.rev_id))
        file_label = source[name].startswith("vandal_")
        label = labels.get(name)
        if label is None:
            dataset.labels_from_file_name += 1
            label = file_label
        elif label != file_label:
            dataset.label_conflicts += 1
        dataset.users.append(VewsUser(name, label, tuple(rows), source[name]))
    dataset.users_without_edits = sum(1 for name in labels if name not in edits)
    return dataset
