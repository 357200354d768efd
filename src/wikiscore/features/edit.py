"""The nine edit features of revscoring's ``reverted``/``damaging`` models, from a revision record.

Owns the public edit-feature API (see docs in CONTRACTS.md, ``wikiscore.features``):

* ``EDIT_FEATURE_NAMES``: the nine revscoring names, in the training file's column order.
* ``edit_feature_values(record, injected)``: the values, typed exactly as revscoring returns them
  (``words_added`` is a float, ``is_anon`` a bool, ``seconds_since_registration`` an int, ...).
* ``extract_edit_features(records, names)``: a float64 matrix for a batch.
* ``edit_facts(record)``: the facts behind the numbers, for explanations in plain words.

Each feature is a node of a dependency graph (``graph.Graph``) whose root is the record; the
diff, the word counts and the regex matches are computed once per record and shared, and any
node can be injected (an unsaved edit's text, a counterfactual ``revision.user.is_anon=True``).
Language-specific nodes are built from the word lists of ``wordlists`` (English here).
Nothing here fetches anything: records come in complete.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from operator import add, gt, truediv
from typing import Any

import numpy as np

from wikiscore.errors import InvalidInput, WikiscoreError
from wikiscore.features.graph import Graph, Node
from wikiscore.features.matching import RegexList
from wikiscore.features.wikitext.diff import EditDiff
from wikiscore.features.wikitext.pair import TextPair
from wikiscore.features.wordlists import LanguageLists, language_lists
from wikiscore.records import RevisionRecord, parse_timestamp

RECORD = "record"

LONGEST_REPEATED_CHAR_ADDED = "wikitext.revision.diff.longest_repeated_char_added"
WORDS_ADDED = "wikitext.revision.diff.words_added"
WORDS_REMOVED = "wikitext.revision.diff.words_removed"
IS_ANON = "revision.user.is_anon"
IN_BOT_OR_SYSOP = "revision.user.in_group({'bot','sysop'})"
SECONDS_SINCE_REGISTRATION = "temporal.revision.user.seconds_since_registration"

# Datasources (inputs and shared intermediate values); each can be injected.
TEXT = "revision.text"
PARENT_TEXT = "revision.parent.text"
TIMESTAMP = "revision.timestamp"
USER_ID = "revision.user.id"
USER_GROUPS = "revision.user.groups"
USER_REGISTRATION = "revision.user.registration"
TEXTS = "wikitext.revision.texts"
DIFF = "wikitext.revision.diff"

# Accounts registered before registration dates were recorded count from this date; a
# registration after the edit (clock trouble, imports) counts as one year.
REGISTRATION_EPOCH = datetime(2006, 1, 1, tzinfo=UTC)
ONE_YEAR_SECONDS = 365 * 24 * 60 * 60


def _lang_names(lang: str) -> tuple[str, str, str]:
    prefix = language_lists(lang).name
    return (
        f"{prefix}.badwords.revision.diff.match_prop_delta_sum",
        f"{prefix}.informals.revision.diff.match_prop_delta_sum",
        f"{prefix}.stopwords.revision.diff.non_stopword_prop_delta_sum",
    )


def edit_feature_names(lang: str = "en") -> tuple[str, ...]:
    """The nine feature names for a language, in the training file's column order."""
    badwords, informals, stopwords = _lang_names(lang)
    return (
        LONGEST_REPEATED_CHAR_ADDED,
        WORDS_ADDED,
        WORDS_REMOVED,
        badwords,
        informals,
        stopwords,
        IS_ANON,
        IN_BOT_OR_SYSOP,
        SECONDS_SINCE_REGISTRATION,
    )


EDIT_FEATURE_NAMES: tuple[str, ...] = edit_feature_names("en")

# Other spellings accepted for features and datasources (the parity fixture's keys, short names).
ALIASES: dict[str, str] = {
    "revision_oriented.revision.user.is_anon": IS_ANON,
    "revision_oriented.revision.user.in_group({'bot','sysop'})": IN_BOT_OR_SYSOP,
    "revision.user.in_group({'sysop','bot'})": IN_BOT_OR_SYSOP,
    "user.is_anon": IS_ANON,
    "user.id": USER_ID,
    "user.groups": USER_GROUPS,
    "user.registration": USER_REGISTRATION,
    "text": TEXT,
    "parent_text": PARENT_TEXT,
    "timestamp": TIMESTAMP,
}


# --- record → datasources --------------------------------------------------------------------
def _text(record: RevisionRecord) -> str:
    if record.text is None:
        raise InvalidInput(
            f"revision {record.rev_id}: text is missing (fetch the revision with its content)"
        )
    return record.text


def _parent_text(record: RevisionRecord) -> str:
    if record.parent_text is not None:
        return record.parent_text
    if not record.parent_id:
        return ""  # a page creation
    raise InvalidInput(
        f"revision {record.rev_id}: parent text is missing (parent revision {record.parent_id})"
    )


def _as_datetime(value: Any, what: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise InvalidInput(f"{what}: {exc}") from exc


# --- features --------------------------------------------------------------------------------
# Per length n: a run of n or more copies of one code point (greedy: to the end of the run).
_RUN_PATTERNS: dict[int, re.Pattern[str]] = {}
_RUN_PATTERNS_LIMIT = 256


def _run_of_at_least(length: int) -> re.Pattern[str]:
    pattern = _RUN_PATTERNS.get(length)
    if pattern is None:
        pattern = re.compile(r"(.)\1{" + str(length - 1) + ",}", re.DOTALL)
        if len(_RUN_PATTERNS) < _RUN_PATTERNS_LIMIT:
            _RUN_PATTERNS[length] = pattern
    return pattern


def longest_run(text: str) -> int:
    """Length of the longest run of one repeated code point in ``text`` (0 for "").

    One pass from left to right: each search looks for a run longer than the best so far,
    starting where the last one ended (a match is a whole run: it starts where the run starts,
    since any earlier start would have matched first, and is greedy to its end)."""
    if not text:
        return 0
    best, position = 1, 0
    while True:
        match = _run_of_at_least(best + 1).search(text, position)
        if match is None:
            return best
        position = match.end()
        best = position - match.start()


def _longest_repeated_char_added(diff: EditDiff) -> int:
    if not diff.segments_added:
        return 1
    return max(longest_run(segment.lower()) for segment in diff.segments_added)


def _is_anon(user_id: int | None) -> bool:
    return user_id == 0


def _in_bot_or_sysop(groups: Sequence[str] | None) -> bool:
    return bool(groups) and not {"bot", "sysop"}.isdisjoint(groups)  # type: ignore[arg-type]


def _seconds_since_registration(
    is_anon: bool, registration: Any, timestamp: Any, record: RevisionRecord
) -> int:
    if is_anon:
        return 0
    edit_time = _as_datetime(timestamp, "revision.timestamp")
    if edit_time is None:
        raise InvalidInput(
            f"revision {record.rev_id}: timestamp is missing (needed for the account age)"
        )
    registered = _as_datetime(registration, "revision.user.registration") or REGISTRATION_EPOCH
    if registered > edit_time:
        return ONE_YEAR_SECONDS
    return int(edit_time.timestamp()) - int(registered.timestamp())


def _prop_sum(counts: tuple[dict[str, int], dict[str, int]]) -> float:
    """``sum(prop_delta(delta, parent_counts).values())``: ``n / (old + 1)`` for a key whose
    count grew by n, ``n / old`` for one that shrank; summed in the same order, in C."""
    delta, parent = counts
    changes = list(delta.values())
    olds = map(parent.get, delta, repeat(0))
    return float(sum(map(truediv, changes, map(add, olds, map(gt, changes, repeat(0))))))


def _language_nodes(lists: LanguageLists) -> list[Node]:
    prefix = lists.name
    nodes: list[Node] = []
    for kind, words in (("badwords", lists.badwords), ("informals", lists.informals)):
        if words is None:
            continue
        counts = f"{prefix}.{kind}.revision.diff.match_delta"
        nodes.append(
            Node(
                counts,
                _match_delta_of(words),
                (TEXTS,),
                f"{kind}: count changes by key, and parent counts",
            )
        )
        nodes.append(
            Node(f"{prefix}.{kind}.revision.diff.match_prop_delta_sum", _prop_sum, (counts,))
        )
    if lists.stopwords is not None:
        counts = f"{prefix}.stopwords.revision.diff.non_stopword_delta"
        key_of, count_keys = lists.content_key, lists.content_key_counts
        nodes.append(Node(counts, lambda texts: texts.word_delta(key_of, count_keys), (TEXTS,)))
        nodes.append(
            Node(
                f"{prefix}.stopwords.revision.diff.non_stopword_prop_delta_sum",
                _prop_sum,
                (counts,),
            )
        )
    return nodes


def _match_delta_of(
    words: RegexList,
) -> Callable[[TextPair], tuple[dict[str, int], dict[str, int]]]:
    def compute(texts: TextPair) -> tuple[dict[str, int], dict[str, int]]:
        return texts.match_delta(words)

    return compute


def build_edit_graph(lang: str = "en", *, reference: bool = False) -> Graph:
    """The dependency graph of the edit features for a language. ``reference=True`` computes
    every intermediate value the slow, obvious way (used by tests)."""
    nodes = [
        Node(TEXT, _text, (RECORD,), "the revision's wikitext"),
        Node(PARENT_TEXT, _parent_text, (RECORD,), "the parent's wikitext ('' for a creation)"),
        Node(TIMESTAMP, lambda r: r.timestamp, (RECORD,)),
        Node(USER_ID, lambda r: r.user.id, (RECORD,)),
        Node(USER_GROUPS, lambda r: r.user.groups, (RECORD,)),
        Node(USER_REGISTRATION, lambda r: r.user.registration, (RECORD,)),
        Node(
            TEXTS,
            lambda parent, new: TextPair(parent, new, reference=reference),
            (PARENT_TEXT, TEXT),
            "both texts with the work the features share",
        ),
        Node(DIFF, lambda texts: texts.diff, (TEXTS,), "inserted and removed tokens"),
        Node(LONGEST_REPEATED_CHAR_ADDED, _longest_repeated_char_added, (DIFF,)),
        Node(WORDS_ADDED, lambda diff: float(len(diff.words_added)), (DIFF,)),
        Node(WORDS_REMOVED, lambda diff: float(len(diff.words_removed)), (DIFF,)),
        Node(IS_ANON, _is_anon, (USER_ID,)),
        Node(IN_BOT_OR_SYSOP, _in_bot_or_sysop, (USER_GROUPS,)),
        Node(
            SECONDS_SINCE_REGISTRATION,
            _seconds_since_registration,
            (IS_ANON, USER_REGISTRATION, TIMESTAMP, RECORD),
        ),
        *_language_nodes(language_lists(lang)),
    ]
    return Graph(nodes, roots=(RECORD,), aliases=ALIASES)


EDIT_GRAPH = build_edit_graph("en")


def _given(record: RevisionRecord, injected: Mapping[str, Any] | None) -> dict[str, Any]:
    given: dict[str, Any] = {RECORD: record}
    if injected:
        for name, value in injected.items():
            given[EDIT_GRAPH.canonical(name)] = value
    return given


def edit_feature_values(
    record: RevisionRecord, injected: Mapping[str, Any] | None = None
) -> dict[str, bool | int | float]:
    """The nine feature values of one edit, typed exactly like revscoring's.

    ``injected`` overrides any feature or datasource by name (e.g. ``{"revision.text": ...}`` to
    score an unsaved edit, ``{"revision.user.is_anon": True}`` for a what-if). Raises
    ``InvalidInput`` when the text (or, for a registered user, the timestamp) is missing.
    """
    values = EDIT_GRAPH.solve(EDIT_FEATURE_NAMES, _given(record, injected))
    return dict(zip(EDIT_FEATURE_NAMES, values, strict=True))


def extract_edit_features(
    records: Sequence[RevisionRecord], names: Sequence[str] = EDIT_FEATURE_NAMES
) -> np.ndarray:
    """A float64 matrix (records × names); booleans become 0.0/1.0.

    Raises ``InvalidInput`` naming the first record that cannot be used; see
    ``extract_edit_features_partial`` to keep going past bad records.
    """
    matrix, errors = extract_edit_features_partial(records, names)
    for index, error in enumerate(errors):
        if error is not None:
            raise InvalidInput(f"record {index}: {error.message}") from error
    return matrix


def extract_edit_features_partial(
    records: Sequence[RevisionRecord], names: Sequence[str] = EDIT_FEATURE_NAMES
) -> tuple[np.ndarray, list[WikiscoreError | None]]:
    """Like ``extract_edit_features`` but a bad record gives a row of NaN and its error."""
    targets = [EDIT_GRAPH.canonical(name) for name in names]
    matrix = np.full((len(records), len(targets)), np.nan, dtype=np.float64)
    errors: list[WikiscoreError | None] = [None] * len(records)
    solve = EDIT_GRAPH.solve
    for row, record in enumerate(records):
        try:
            matrix[row] = solve(targets, {RECORD: record})
        except WikiscoreError as error:
            errors[row] = error
    return matrix, errors


@dataclass
class EditFacts:
    """What an edit did, in terms an explanation can put into words."""

    words_added: int
    words_removed: int
    badwords_added: list[str] = field(default_factory=list)  # one entry per added match
    badwords_removed: list[str] = field(default_factory=list)
    informals_added: list[str] = field(default_factory=list)
    informals_removed: list[str] = field(default_factory=list)
    longest_repeated_char_added: int = 1
    is_anon: bool = False
    account_age_seconds: int | None = None  # the model's seconds_since_registration; None: anon
    is_bot_or_sysop: bool = False
    is_creation: bool = False
    bytes_changed: int = 0  # UTF-8 size of the new text minus the parent's


def _expand_delta(delta: Mapping[str, int]) -> tuple[list[str], list[str]]:
    added = [key for key, n in delta.items() if n > 0 for _ in range(n)]
    removed = [key for key, n in delta.items() if n < 0 for _ in range(-n)]
    return added, removed


_FACT_NODES = (DIFF, IS_ANON, IN_BOT_OR_SYSOP, SECONDS_SINCE_REGISTRATION, TEXTS, PARENT_TEXT)


def edit_features_with_facts(
    record: RevisionRecord, injected: Mapping[str, Any] | None = None
) -> tuple[dict[str, bool | int | float], EditFacts]:
    """Feature values and facts from one solve of the graph (no work done twice)."""
    prefix = language_lists("en").name
    badwords = f"{prefix}.badwords.revision.diff.match_delta"
    informals = f"{prefix}.informals.revision.diff.match_delta"
    targets = (*EDIT_FEATURE_NAMES, *_FACT_NODES, badwords, informals)
    values = EDIT_GRAPH.solve_values(targets, _given(record, injected))
    features = {name: values[name] for name in EDIT_FEATURE_NAMES}
    diff: EditDiff = values[DIFF]
    texts: TextPair = values[TEXTS]
    bad_added, bad_removed = _expand_delta(values[badwords][0])
    informal_added, informal_removed = _expand_delta(values[informals][0])
    facts = EditFacts(
        words_added=len(diff.words_added),
        words_removed=len(diff.words_removed),
        badwords_added=bad_added,
        badwords_removed=bad_removed,
        informals_added=informal_added,
        informals_removed=informal_removed,
        longest_repeated_char_added=int(features[LONGEST_REPEATED_CHAR_ADDED]),
        is_anon=values[IS_ANON],
        account_age_seconds=None if values[IS_ANON] else values[SECONDS_SINCE_REGISTRATION],
        is_bot_or_sysop=values[IN_BOT_OR_SYSOP],
        is_creation=not record.parent_id and values[PARENT_TEXT] == "",
        bytes_changed=len(texts.new.encode("utf-8")) - len(texts.parent.encode("utf-8")),
    )
    return features, facts


def edit_facts(record: RevisionRecord, injected: Mapping[str, Any] | None = None) -> EditFacts:
    """The facts behind the features of one edit (see ``EditFacts``)."""
    return edit_features_with_facts(record, injected)[1]
