"""Identity-revert labels on hand-checked fixtures (real article text, invented editors).

Expected labels below were worked out by hand from the scenario table in
``tests/fixtures/dumps/make_revert_fixtures.py``: for each revision, (reverted,
reverting_rev_id, reverted_to_rev_id, is_revert, restores_rev_id, self_reverted).
"""

from __future__ import annotations

import bz2
import gzip
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from wikiscore.dumps import read_dump
from wikiscore.dumps.reverts import LabeledRevision, label_reverts

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dumps"

# rev_id: (reverted, reverting, reverted_to, is_revert, restores, self_reverted)
_ = (False, None, None, False, None, False)
EXPECTED: dict[int, tuple[bool, int | None, int | None, bool, int | None, bool]] = {
    # Aardvark: an IP's vandalism reverted 5 minutes later.
    101: _,
    102: _,
    103: (True, 104, 102, False, None, False),
    104: (False, None, None, True, 102, False),
    # Abacus: a revert to the version two back reverts both intermediate revisions.
    201: _,
    202: (True, 204, 201, False, None, False),
    203: (True, 204, 201, False, None, False),
    204: (False, None, None, True, 201, False),
    # Albedo: a revert 48 h 1 min later does not count; exactly 48 h later does.
    301: _,
    302: _,
    303: (False, None, None, True, 301, False),
    304: (True, 305, 303, False, None, False),
    305: (False, None, None, True, 303, False),
    # Adobe: the restored text is 17 revisions back (16 in between): beyond the radius.
    **{rev: _ for rev in range(401, 419)},
    # Atomic number: 15 revisions in between, all reverted by the 16th.
    501: _,
    **{rev: (True, 517, 501, False, None, False) for rev in range(502, 517)},
    517: (False, None, None, True, 501, False),
    # Aardwolf: self-reverts (registered and anonymous) do not count; another IP's does.
    601: _,
    602: (False, None, None, False, None, True),
    603: (False, None, None, True, 601, False),
    604: (False, None, None, False, None, True),
    605: (False, None, None, True, 603, True),
    606: (True, 607, 605, True, 604, False),
    607: (False, None, None, True, 605, False),
    # Arithmetic mean: a null edit is no revert; a revision with deleted text can be reverted.
    701: _,
    702: _,
    703: (True, 704, 702, False, None, False),
    704: (False, None, None, True, 702, False),
    # Ampere: an edit war; each revert restores the most recent identical text.
    801: _,
    802: (True, 803, 801, False, None, False),
    803: (True, 804, 802, True, 801, False),
    804: (False, None, None, True, 802, False),
}


def _labels(labeled: list[LabeledRevision]) -> dict[int, tuple]:
    return {
        item.revision.rev_id: (
            item.reverted,
            item.reverting_rev_id,
            item.reverted_to_rev_id,
            item.is_revert,
            item.restores_rev_id,
            item.self_reverted,
        )
        for item in labeled
    }


@pytest.mark.parametrize("schema", ["0.10", "0.11"])
def test_labels_match_the_hand_worked_expectations(schema: str) -> None:
    labeled = list(label_reverts(read_dump(FIXTURES / f"reverts-{schema}.xml")))
    assert [item.revision.rev_id for item in labeled] == sorted(EXPECTED)  # dump order kept
    assert _labels(labeled) == EXPECTED


@pytest.mark.parametrize("compression", ["bz2", "gz", "plain"])
def test_compressed_dumps_give_the_same_labels(tmp_path: Path, compression: str) -> None:
    source = FIXTURES / "reverts-0.10.xml"
    if compression == "bz2":
        path = tmp_path / "dump.xml.bz2"
        path.write_bytes(bz2.compress(source.read_bytes()))
    elif compression == "gz":
        # Named .bz2 on purpose: the format is sniffed from the content, not the name.
        path = tmp_path / "dump-gzip.xml.bz2"
        path.write_bytes(gzip.compress(source.read_bytes()))
    else:
        path = tmp_path / "dump.xml"
        shutil.copy(source, path)
    assert _labels(list(label_reverts(read_dump(path)))) == EXPECTED


def test_radius_and_window_are_parameters() -> None:
    revisions = list(read_dump(FIXTURES / "reverts-0.10.xml"))
    wide = _labels(list(label_reverts(revisions, radius=20, window=timedelta(hours=49))))
    assert wide[402][:3] == (True, 418, 401)  # Adobe's revert now within the radius
    assert wide[302][:3] == (True, 303, 301)  # Albedo's late revert now within the window
    narrow = _labels(list(label_reverts(revisions, radius=1)))
    assert narrow[103][:3] == (True, 104, 102)  # one revision undone: still a revert
    assert narrow[202] == _ and narrow[204][3] is False  # two undone: beyond radius 1
