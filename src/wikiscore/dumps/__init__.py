"""MediaWiki XML dumps: streaming reader and identity-revert labelling.

Owns reading pages-meta-history / pages-articles XML (bz2, gz or plain; export schema 0.10 and
0.11) in constant memory, and labelling revisions reverted by a later identity revert. Must not
make network calls.
"""

from wikiscore.dumps.pipeline import DumpSummary, dump_stats, label_dump, labelled_revisions
from wikiscore.dumps.reader import (
    DumpError,
    DumpInfo,
    DumpPage,
    DumpRevision,
    base36_sha1,
    iter_pages,
    iter_revisions,
    open_dump,
    read_dump,
)
from wikiscore.dumps.reverts import LabeledRevision, label_page, label_reverts
from wikiscore.dumps.table import COLUMNS, TableWriter, iter_table

__all__ = [
    "COLUMNS",
    "DumpError",
    "DumpInfo",
    "DumpPage",
    "DumpRevision",
    "DumpSummary",
    "LabeledRevision",
    "TableWriter",
    "base36_sha1",
    "dump_stats",
    "iter_pages",
    "iter_revisions",
    "iter_table",
    "label_dump",
    "label_page",
    "label_reverts",
    "labelled_revisions",
    "open_dump",
    "read_dump",
]
