"""The feature graph: injection, shared work done once, batch extraction, typed errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from wikiscore.errors import InvalidInput
from wikiscore.features import edit as edit_module
from wikiscore.features.edit import (
    DIFF,
    EDIT_FEATURE_NAMES,
    EDIT_GRAPH,
    IS_ANON,
    RECORD,
    SECONDS_SINCE_REGISTRATION,
    TEXTS,
    WORDS_ADDED,
    edit_facts,
    edit_feature_values,
    edit_features_with_facts,
    extract_edit_features,
    extract_edit_features_partial,
)
from wikiscore.features.graph import Graph, Node, UnknownNode
from wikiscore.records import RevisionRecord, revision_from_json

REGISTERED = {
    "name": "Alice",
    "id": 42,
    "groups": ["user"],
    "registration": "2015-06-01T00:00:00Z",
}


def _record(text: str | None, parent: str | None = "", **extra: Any) -> RevisionRecord:
    data: dict[str, Any] = {
        "rev_id": 7,
        "parent_id": 6 if parent else None,
        "text": text,
        "parent_text": parent,
        "user": dict(REGISTERED),
        "timestamp": "2015-06-01T00:10:00Z",
    }
    data.update(extra)
    return revision_from_json(data)


def test_values_are_typed_like_revscoring() -> None:
    values = edit_feature_values(_record("Some words here. lol", "Some words here."))
    assert list(values) == list(EDIT_FEATURE_NAMES)
    assert type(values["wikitext.revision.diff.longest_repeated_char_added"]) is int
    assert type(values[WORDS_ADDED]) is float and values[WORDS_ADDED] == 1.0
    assert type(values["wikitext.revision.diff.words_removed"]) is float
    assert values["english.informals.revision.diff.match_prop_delta_sum"] == 1.0
    assert values[IS_ANON] is False
    assert values["revision.user.in_group({'bot','sysop'})"] is False
    assert values[SECONDS_SINCE_REGISTRATION] == 600


def test_inject_anon_flips_the_user() -> None:
    record = _record("a b c", "a b")
    assert edit_feature_values(record)[SECONDS_SINCE_REGISTRATION] == 600
    flipped = edit_feature_values(record, {"user.is_anon": True})
    assert flipped[IS_ANON] is True
    assert flipped[SECONDS_SINCE_REGISTRATION] == 0
    # Everything else is unchanged.
    base = edit_feature_values(record)
    assert {k: v for k, v in flipped.items() if k not in (IS_ANON, SECONDS_SINCE_REGISTRATION)} == {
        k: v for k, v in base.items() if k not in (IS_ANON, SECONDS_SINCE_REGISTRATION)
    }


def test_inject_text_scores_an_unsaved_edit() -> None:
    record = _record("The cat sat.", "The cat sat.")
    assert edit_feature_values(record)[WORDS_ADDED] == 0.0
    values = edit_feature_values(record, {"revision.text": "The cat sat. You are a liar lol"})
    assert values[WORDS_ADDED] == 5.0
    assert values["english.badwords.revision.diff.match_prop_delta_sum"] == 1.0
    assert values["english.informals.revision.diff.match_prop_delta_sum"] == 2.0


def test_injected_node_skips_its_inputs() -> None:
    """Injecting a node means its inputs are never computed (here: no text needed at all)."""
    record = _record(None, None)
    fake_diff = edit_module.EditDiff(segments_added=["xxxx"], words_added=["x"] * 5)
    plan = EDIT_GRAPH.plan([WORDS_ADDED], {RECORD, DIFF})
    assert [node.name for node in plan] == [WORDS_ADDED]
    values = EDIT_GRAPH.solve([WORDS_ADDED], {RECORD: record, DIFF: fake_diff})
    assert values == [5.0]


def test_shared_nodes_are_solved_once() -> None:
    calls: dict[str, int] = {}

    def counting(node: Node) -> Node:
        def compute(*args: Any) -> Any:
            calls[node.name] = calls.get(node.name, 0) + 1
            return node.compute(*args)

        return Node(node.name, compute, node.depends_on)

    graph = EDIT_GRAPH.with_nodes(*(counting(n) for n in EDIT_GRAPH.nodes.values()))
    record = _record("Words and more words, lol.", "Words and words.")
    graph.solve(EDIT_FEATURE_NAMES, {RECORD: record})
    assert calls[TEXTS] == 1  # tokenizing and layouts: once for all the text features
    assert calls[DIFF] == 1  # the diff: once for three features
    assert set(calls.values()) == {1}
    plan = EDIT_GRAPH.plan(EDIT_FEATURE_NAMES, {RECORD})
    assert len(plan) == len({node.name for node in plan})


def test_graph_rejects_unknown_names_and_cycles() -> None:
    with pytest.raises(UnknownNode):
        edit_feature_values(_record("a", "b"), {"no.such.feature": 1})
    cyclic = Graph([Node("x", lambda y: y, ("y",)), Node("y", lambda x: x, ("x",))])
    with pytest.raises(ValueError, match="cycle"):
        cyclic.plan(["x"], set())


def test_missing_text_is_a_typed_error() -> None:
    with pytest.raises(InvalidInput, match="text is missing"):
        edit_feature_values(_record(None, "parent"))
    record = revision_from_json(
        {"rev_id": 9, "parent_id": 8, "text": "x", "user": {"id": 0, "anon": True}}
    )
    with pytest.raises(InvalidInput, match="parent text is missing"):
        edit_feature_values(record)


def test_missing_timestamp_only_matters_for_registered_users() -> None:
    anon = revision_from_json({"text": "x", "parent_text": "", "user": {"anon": True}})
    assert edit_feature_values(anon)[SECONDS_SINCE_REGISTRATION] == 0
    registered = _record("x", "", timestamp=None)
    with pytest.raises(InvalidInput, match="timestamp is missing"):
        edit_feature_values(registered)


def test_seconds_since_registration_rules() -> None:
    def seconds(registration: str | None, timestamp: str) -> int:
        user = dict(REGISTERED, registration=registration)
        return edit_feature_values(_record("x", "", user=user, timestamp=timestamp))[
            SECONDS_SINCE_REGISTRATION
        ]

    assert seconds(None, "2006-01-01T00:00:00Z") == 0  # the registration epoch
    assert seconds(None, "2006-01-01T00:01:00Z") == 60
    assert seconds(None, "2005-06-01T00:00:00Z") == 365 * 24 * 3600  # before the epoch
    assert seconds("2015-06-02T00:00:00Z", "2015-06-01T00:00:00Z") == 365 * 24 * 3600
    assert seconds("2015-06-01T00:00:00Z", "20150601000001") == 1


def test_batch_extraction_keeps_going_past_bad_records() -> None:
    good = _record("Hello there you", "Hello there")
    bad = _record(None, "x")
    matrix, errors = extract_edit_features_partial([good, bad, good])
    assert matrix.shape == (3, 9) and matrix.dtype == np.float64
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], InvalidInput)
    assert np.isnan(matrix[1]).all() and not np.isnan(matrix[0]).any()
    with pytest.raises(InvalidInput, match="record 1"):
        extract_edit_features([good, bad])
    subset = extract_edit_features([good], names=[WORDS_ADDED, "user.is_anon"])
    assert subset.tolist() == [[1.0, 0.0]]


def test_edit_facts_put_the_numbers_in_words() -> None:
    record = revision_from_json(
        {
            "parent_id": 1,
            "parent_text": "The moon is round.",
            "text": "The moon is round. You idiot, fuck fuck!!!!! lol",
            "user": {"name": "198.51.100.7", "anon": True},
            "timestamp": "2015-06-01T00:00:00Z",
        }
    )
    values, facts = edit_features_with_facts(record)
    assert facts == edit_facts(record)
    assert facts.words_added == 5 and facts.words_removed == 0
    assert sorted(facts.badwords_added) == ["fuck", "fuck"]
    assert sorted(facts.informals_added) == ["idiot", "lol", "you"]
    assert facts.longest_repeated_char_added == 5
    assert facts.is_anon and facts.account_age_seconds is None
    assert not facts.is_creation and not facts.is_bot_or_sysop
    assert facts.bytes_changed == len(record.text.encode()) - len(record.parent_text.encode())
    assert values[WORDS_ADDED] == float(facts.words_added)


def test_facts_for_a_creation_by_a_sysop() -> None:
    user = dict(REGISTERED, groups=["sysop", "user"])
    facts = edit_facts(_record("New page text.", "", user=user))
    assert facts.is_creation and facts.is_bot_or_sysop
    assert facts.account_age_seconds == 600
    assert facts.badwords_removed == [] and facts.informals_removed == []
