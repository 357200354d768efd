"""Identity-revert labels for a stream of revisions, page by page, in constant memory.

The rule (the usual "reverted" label of edit-quality work):

* Revision *j* **is a revert** when its text (sha1) equals the text of an earlier revision *i*
  of the same page that is not its immediate predecessor, looking back at most
  ``radius + 1`` revisions (so a revert undoes at most ``radius`` revisions). The most recent
  such *i* is the one restored.
* Every revision *k* strictly between *i* and *j* is **reverted** by *j* to *i*, provided *j* is
  no more than ``window`` later than *k* and *j*'s editor is not *k*'s editor (a self-revert
  does not count). When several reverts qualify, the first one wins.
* Revisions without a sha1 (deleted text) never match anything but can still be reverted.

Only a window of ``radius + 1`` sha1s and revision labels is kept per page; labels of a revision
are final once ``radius`` later revisions of its page have been seen, so rows are emitted in
dump order with a delay of at most ``radius`` revisions. Must not read files or know formats.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby

from wikiscore.dumps.reader import DumpRevision

DEFAULT_RADIUS = 15
DEFAULT_WINDOW = timedelta(hours=48)


@dataclass(slots=True)
class LabeledRevision:
    """A revision and its labels (mutable only while it sits in the labelling window)."""

    revision: DumpRevision
    reverted: bool = False
    reverting_rev_id: int | None = None  # the revert that undid this revision
    reverted_to_rev_id: int | None = None  # whose text that revert restored
    is_revert: bool = False  # this revision restores an earlier text
    restores_rev_id: int | None = None  # ... namely this revision's text
    self_reverted: bool = False  # undone by its own editor (not counted as reverted)


def _same_editor(a: DumpRevision, b: DumpRevision) -> bool:
    # A deleted contributor cannot be compared: treat it as someone else.
    if a.user is None or b.user is None:
        return False
    if not a.anon and not b.anon and a.user_id and b.user_id:
        return a.user_id == b.user_id
    return a.user == b.user


def label_page(
    revisions: Iterable[DumpRevision],
    *,
    radius: int = DEFAULT_RADIUS,
    window: timedelta = DEFAULT_WINDOW,
) -> Iterator[LabeledRevision]:
    """Label the revisions of one page (oldest first); yields them in the same order."""
    if radius < 1:
        raise ValueError("radius must be at least 1")
    # The last radius + 1 revisions: candidates to be restored and still-open labels.
    history: deque[LabeledRevision] = deque()
    for revision in revisions:
        current = LabeledRevision(revision)
        if revision.sha1 is not None:
            _detect_revert(current, history, window)
        if len(history) == radius + 1:
            yield history.popleft()
        history.append(current)
    yield from history


def _detect_revert(
    current: LabeledRevision, history: deque[LabeledRevision], window: timedelta
) -> None:
    revision = current.revision
    # Walk back from the most recent; index 0 of `back` is the immediate predecessor.
    for distance, earlier in enumerate(reversed(history)):
        if earlier.revision.sha1 != revision.sha1:
            continue
        if distance == 0:
            return  # a null edit: same text as its parent, nothing undone
        current.is_revert = True
        current.restores_rev_id = earlier.revision.rev_id
        for undone in list(history)[len(history) - distance :]:
            target = undone.revision
            if revision.timestamp - target.timestamp > window:
                continue
            if _same_editor(revision, target):
                undone.self_reverted = True
                continue
            if not undone.reverted:
                undone.reverted = True
                undone.reverting_rev_id = revision.rev_id
                undone.reverted_to_rev_id = earlier.revision.rev_id
        return


def label_reverts(
    revisions: Iterable[DumpRevision],
    *,
    radius: int = DEFAULT_RADIUS,
    window: timedelta = DEFAULT_WINDOW,
) -> Iterator[LabeledRevision]:
    """Label a dump-ordered stream of many pages (a new page starts when the page changes)."""
    for _page, page_revisions in groupby(revisions, key=lambda revision: revision.page):
        yield from label_page(page_revisions, radius=radius, window=window)
