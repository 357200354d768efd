"""Vandal early warning for one account: its contributions → a :class:`UserScore` (pure CPU).

Owns the live step of the ``user-warning`` model: ``RevisionRecord``\\ s (the account's edits,
oldest first: page title, namespace, timestamp) become ``UserEdit``\\ s, then features through
``wikiscore.features.user_behaviour.user_feature_matrix`` — the function training used on the
dataset's rows — then a calibrated probability, a level, and the strongest reasons in plain
words (from TreeSHAP contributions). No IO apart from reading the artifact's text scorers once
(:func:`load_text_scorers`). Must not import ``wikiscore.training``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wikiscore.errors import InvalidInput
from wikiscore.features.user_behaviour import (
    KIND_WORDS,
    KINDS,
    USER_FEATURE_NAMES,
    UserEdit,
    UserTextScorers,
    edit_from_revision,
    page_kind,
    title_terms,
    user_feature_matrix,
)
from wikiscore.records import RevisionRecord

MAX_REASONS = 3


@dataclass
class UserScore:
    username: str
    model: str
    version: str
    probability: float
    prediction: bool
    level: str
    edits_considered: int
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_SCORERS: dict[tuple[str, str], UserTextScorers] = {}
_SCORERS_LOCK = threading.Lock()


def load_text_scorers(artifact: Any) -> UserTextScorers:
    """The text scorers of a user-warning artifact (``text_scorers.json``), checked against the
    sha256 recorded in its metadata; ArtifactError if missing, changed or malformed."""
    from wikiscore.models.artifact import ArtifactError

    name = artifact.metadata.get("text_scorers_file")
    if not name:
        raise ArtifactError(f"{artifact.directory}: not a user-warning artifact (no text scorers)")
    path = Path(artifact.directory) / str(name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != artifact.metadata.get("text_scorers_sha256"):
        raise ArtifactError(f"{path} does not match the sha256 in metadata.json (file changed)")
    try:
        return UserTextScorers.from_json(json.loads(data))
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"cannot parse {path}: {exc}") from exc


def text_scorers_for(model: Any) -> UserTextScorers:
    """The artifact's text scorers, read and checked once per artifact."""
    key = (str(model.directory), str(model.metadata.get("text_scorers_sha256")))
    with _SCORERS_LOCK:
        scorers = _SCORERS.get(key)
        if scorers is None:
            scorers = _SCORERS[key] = load_text_scorers(model)
    return scorers


def user_model_matrix(
    username: str, edits: Sequence[UserEdit], model: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(rows the model takes for every prefix, all feature values) for time-ordered edits."""
    full = user_feature_matrix(username, edits, text_scorers_for(model))
    columns = [USER_FEATURE_NAMES.index(name) for name in model.feature_names]
    return full[:, columns], full


def score_user_edits(
    username: str, edits: Sequence[RevisionRecord], model: Any, *, explain: bool = True
) -> UserScore:
    """Score an account from its edits, oldest first (all of those given are considered).

    Raises InvalidInput when there is no edit or a record lacks its title or timestamp.
    """
    if model.metadata.get("kind") != "user":
        raise InvalidInput(f"model {model.name} does not score users")
    if not edits:
        raise InvalidInput(f"user {username!r} has no edits to score")
    user_edits = sorted((edit_from_revision(r) for r in edits), key=lambda e: e.timestamp)
    X, full = user_model_matrix(username, user_edits, model)
    row = X[-1:]
    probability = float(model.predict_proba(row)[0])
    reasons: list[str] = []
    if explain:
        contributions = model.contributions(row)[0]
        values = dict(zip(USER_FEATURE_NAMES, full[-1].tolist(), strict=True))
        scorers = text_scorers_for(model)
        titles = [scorers.title.score(title_terms(e)) for e in user_edits]
        reasons = explain_score(
            username,
            user_edits,
            values,
            model.feature_names,
            contributions,
            toward_vandal=probability >= 0.5,
            title_scores=titles,
        )
    return UserScore(
        username=username,
        model=model.name,
        version=model.version,
        probability=round(probability, 4),
        prediction=probability >= model.default_threshold,
        level=model.level(probability),
        edits_considered=len(user_edits),
        reasons=reasons,
    )


# --- reasons in words ----------------------------------------------------------------------------


_GAP_WORDS = {"1min": "a minute", "3min": "3 minutes", "15min": "15 minutes", "1hour": "an hour"}


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    for unit, size in (("day", 86400.0), ("hour", 3600.0), ("minute", 60.0)):
        if seconds >= size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = round(seconds)
    return f"{n} second{'s' if n != 1 else ''}"


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _of(part: float, whole: int) -> str:
    return f"{round(part)} of {whole}"


def explain_score(
    username: str,
    edits: Sequence[UserEdit],
    values: dict[str, float],
    feature_names: Sequence[str],
    contributions: np.ndarray,
    *,
    toward_vandal: bool,
    title_scores: Sequence[float] | None = None,
) -> list[str]:
    """Plain-word reasons for the features that pushed the score most toward the prediction."""
    order = np.argsort(-contributions if toward_vandal else contributions, kind="stable")
    reasons: list[str] = []
    for index in order:
        push = contributions[index]
        if (push <= 0 if toward_vandal else push >= 0) or len(reasons) >= MAX_REASONS:
            break
        text = describe_feature(feature_names[index], username, edits, values, title_scores)
        if text and text not in reasons:
            reasons.append(text)
    return reasons


def describe_feature(
    name: str,
    username: str,
    edits: Sequence[UserEdit],
    values: dict[str, float],
    title_scores: Sequence[float] | None = None,
) -> str | None:
    """One feature of an account's edits in words, e.g. "edits its own user page 3 times in 2
    minutes". ``edits`` are in time order; ``values`` are the features of all of them."""
    n = len(edits)
    v = values.get(name, float("nan"))
    gaps = np.diff([e.timestamp for e in edits]) if n > 1 else np.zeros(0)
    kinds = [page_kind(e, username) for e in edits]
    if name == "edits":
        return f"has made {n} edit{'s' if n != 1 else ''}"
    if name == "span_log_seconds":
        return f"all {n} edits within {_duration(edits[-1].timestamp - edits[0].timestamp)}"
    if name.startswith("gap_") and gaps.size:
        if name == "gap_last_log_seconds":
            return f"latest edit {_duration(gaps[-1])} after the one before"
        if name == "gap_min_log_seconds":
            return f"two edits only {_duration(gaps.min())} apart"
        if name == "gap_max_log_seconds":
            return f"longest pause between edits: {_duration(gaps.max())}"
        return f"typically {_duration(10**v - 1)} between edits"
    if name.startswith("frac_gaps_under_") and gaps.size:
        label = _GAP_WORDS.get(name.removeprefix("frac_gaps_under_"), "")
        count = round(v * gaps.size)
        return f"{_of(count, gaps.size)} gaps between edits under {label}"
    if name == "frac_gaps_over_1day" and gaps.size:
        return f"{_of(v * gaps.size, gaps.size)} gaps between edits longer than a day"
    if name == "edits_within_hour_of_first":
        return f"{round(v)} of {n} edits within an hour of its first"
    if name in ("own_user_page_edits", "frac_own_user_page"):
        own = [e.timestamp for e, k in zip(edits, kinds, strict=True) if k == "own_user_page"]
        if not own:
            return "never edits its own user page"
        span = f" in {_duration(own[-1] - own[0])}" if len(own) > 1 else ""
        return f"edits its own user page {_times(len(own))}{span}"
    for kind in KINDS:
        words = KIND_WORDS[kind]
        if name == f"frac_{kind}":
            count = sum(k == kind for k in kinds)
            return f"{_of(count, n)} edits to {words}"
        if name == f"first_is_{kind}":
            return f"first edit to {words}" if v else f"first edit not to {words}"
        if name == f"latest_is_{kind}":
            return f"latest edit to {words}" if v else f"latest edit not to {words}"
    if name == "distinct_pages_frac":
        return f"{len({e.title for e in edits})} different pages in {n} edits"
    if name == "max_page_share":
        titles = [e.title for e in edits]
        top = max(set(titles), key=titles.count)
        return f"{_of(titles.count(top), n)} edits to one page ({top})"
    if name == "distinct_articles":
        return f"edits {round(v)} different article{'s' if round(v) != 1 else ''}"
    if name == "frac_reedits":
        return f"returns to a page it edited earlier {_times(round(v * n))}"
    if name.startswith("pairs_") and gaps.size:
        count = round(v * gaps.size)
        relation = {
            "same_page": "edits the same page again",
            "reedit": "goes back to an earlier page",
            "new_page": "moves to a new page",
        }
        speed = {
            "under_1min": "within a minute",
            "1_to_15min": "within 1–15 minutes",
            "over_15min": "after more than 15 minutes",
        }
        for rel, rel_words in relation.items():
            for sp, sp_words in speed.items():
                if name == f"pairs_{rel}_{sp}":
                    return f"{rel_words} {sp_words} {_times(count)}"
    if name.startswith("trans_") and gaps.size:
        a, _, b = name.removeprefix("trans_").partition("_to_")
        count = round(v * gaps.size)
        return f"goes from {a} pages straight to {b} pages {_times(count)}"
    if name == "title_len_mean":
        return f"edited page titles average {round(v)} characters"
    if name == "title_words_mean":
        return f"edited page titles average {v:.1f} words"
    if name == "first_title_len":
        return f"first edited page title is {round(v)} characters long"
    if name == "frac_titles_with_digits":
        return f"{_of(v * n, n)} edited page titles contain digits"
    if name == "frac_titles_with_parens":
        return f"{_of(v * n, n)} edited page titles have a disambiguation (parentheses)"
    if name == "frac_titles_list_of":
        return f"{_of(v * n, n)} edits to 'List of' pages"
    if name == "frac_titles_with_username":
        return f"{_of(v * n, n)} edits to pages whose titles contain the username"
    if name == "name_text_score":
        side = "vandals'" if v > 0 else "good-faith editors'"
        return f"the username's letter patterns resemble {side} usernames"
    if name.startswith("title_text_"):
        return _describe_titles(name, edits, values, title_scores)
    if name.startswith("name_"):
        return _describe_name(name, username, v)
    if name.startswith("signal_"):
        return f"{name.removeprefix('signal_').replace('_', ' ')}: {v:g}"
    return None


def _describe_titles(
    name: str,
    edits: Sequence[UserEdit],
    values: dict[str, float],
    title_scores: Sequence[float] | None,
) -> str:
    v = values.get(name, 0.0)
    leaning = "often" if v > 0 else "rarely"
    if name == "title_text_first":
        return f"its first page ({edits[0].title}) is {leaning} edited by vandals"
    if name == "title_text_latest":
        return f"its latest page ({edits[-1].title}) is {leaning} edited by vandals"
    if name == "title_text_max" and title_scores is not None and len(title_scores):
        top = edits[int(np.argmax(title_scores))].title
        if v > 0:
            return f"it edits a page vandals often target ({top})"
        return f"even its riskiest page ({top}) is rarely edited by vandals"
    return f"the pages it edits are {leaning} edited by vandals"


def _describe_name(name: str, username: str, v: float) -> str | None:
    if name == "name_len":
        return f"the username has {round(v)} Latin letters, digits or signs"
    if name == "name_digits":
        return f"the username has {round(v)} digit{'s' if round(v) != 1 else ''}"
    if name == "name_trailing_digits":
        return f"the username ends in {round(v)} digit{'s' if round(v) != 1 else ''}"
    if name == "name_upper_frac":
        return f"{round(100 * v)}% of the username's letters are capitals"
    if name == "name_words":
        return f"the username has {round(v)} word{'s' if round(v) != 1 else ''}"
    if name == "name_max_consonant_run":
        return f"the username has a run of {round(v)} consonants"
    if name == "name_max_repeat_run":
        return f"the username repeats a character {round(v)} times in a row"
    if name == "name_vowel_frac":
        return f"{round(100 * v)}% of the username's letters are vowels"
    return None
