"""Explanations in plain words: every user-facing label and reason text of the edit models.

Owns the labels of the features ("words added", "account age"), the phrases that explain one
edit ("adds 3 profane words", "removes 2,300 words", "account is 4 minutes old", "anonymous
editor") and turning per-feature contributions into a sorted list of :class:`FeatureEffect`. All
such text lives here so it can be reviewed (and later translated) in one place. Facts come from
``wikiscore.features.edit.edit_facts`` when available, else from the feature values themselves.
Must not compute features or predictions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from wikiscore.models.inputs import (
    BADWORDS_DELTA,
    DERIVED,
    IN_BOT_SYSOP,
    INFORMALS_DELTA,
    IS_ANON,
    LONGEST_REPEATED,
    NON_STOPWORDS_DELTA,
    SECONDS_SINCE_REGISTRATION,
    WORDS_ADDED,
    WORDS_REMOVED,
    canonical_feature_name,
)


class FeatureEffect(NamedTuple):
    """One feature's value and contribution to the raw score (log-odds), with its label."""

    feature: str
    value: float | bool | int | None
    contribution: float
    label: str


FEATURE_LABELS: dict[str, str] = {
    LONGEST_REPEATED: "longest run of one character added",
    WORDS_ADDED: "words added",
    WORDS_REMOVED: "words removed",
    BADWORDS_DELTA: "change in profane or offensive words",
    INFORMALS_DELTA: "change in informal words",
    NON_STOPWORDS_DELTA: "change in distinctive (non-stopword) words",
    IS_ANON: "anonymous editor",
    IN_BOT_SYSOP: "bot or administrator",
    SECONDS_SINCE_REGISTRATION: "account age",
}

LEVEL_LABELS: dict[str, str] = {
    "likely_good": "likely good",
    "may_have_problems": "may have problems",
    "likely_bad": "likely bad",
    "very_likely_bad": "very likely bad",
}

_LABELS = {canonical_feature_name(k): v for k, v in FEATURE_LABELS.items()}


def feature_label(name: str) -> str:
    """The plain-language label of a feature (its description for derived ones)."""
    label = _LABELS.get(canonical_feature_name(name))
    if label:
        return label
    if name in DERIVED:
        return DERIVED[name].description
    return name


def _plural(count: int | float, one: str, many: str | None = None) -> str:
    n = round(count)
    word = one if n == 1 else (many or one + "s")
    return f"{n:,} {word}"


def human_duration(seconds: float) -> str:
    """``4 minutes``, ``3 days``, ``2 years`` (rounded down to the largest sensible unit)."""
    s = max(0, int(seconds))
    for unit, size in (
        ("year", 365 * 86400),
        ("month", 30 * 86400),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        threshold = 2 * size if unit in ("year", "month") else size
        if s >= threshold:
            return _plural(s // size, unit)
    return _plural(s, "second")


def _fact(facts: Any, name: str, default: Any = None) -> Any:
    return getattr(facts, name, default) if facts is not None else default


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | set):
        return len(value)
    return int(value)


def _reason_repeated(value: Any, facts: Any) -> str | None:
    run = _count(_fact(facts, "longest_repeated_char_added")) or int(value or 0)
    if run >= 3:
        return f"repeats one character {run:,} times in a row"
    return None


def _reason_words(value: Any, facts: Any, *, added: bool) -> str:
    n = _count(_fact(facts, "words_added" if added else "words_removed"))
    n = int(value or 0) if n is None else n
    verb = "adds" if added else "removes"
    return f"{verb} no words" if n == 0 else f"{verb} {_plural(n, 'word')}"


def _reason_wordlist(value: Any, facts: Any, *, kind: str, fact_prefix: str) -> str | None:
    added = _count(_fact(facts, f"{fact_prefix}_added"))
    removed = _count(_fact(facts, f"{fact_prefix}_removed"))
    if added:
        return f"adds {_plural(added, kind + ' word')}"
    if removed:
        return f"removes {_plural(removed, kind + ' word')}"
    if facts is None and value:
        return f"adds {kind} words" if float(value) > 0 else f"removes {kind} words"
    return f"no {kind} words added"


def _reason_non_stopwords(value: Any, facts: Any) -> str | None:
    v = float(value or 0)
    if v > 0:
        return "adds distinctive (non-stopword) words"
    if v < 0:
        return "removes distinctive (non-stopword) words"
    return "leaves the distinctive words unchanged"


def _reason_anon(value: Any, facts: Any) -> str:
    anon = _fact(facts, "is_anon", value)
    return "anonymous editor" if anon else "registered editor"


def _reason_privileged(value: Any, facts: Any, values: Mapping[str, Any]) -> str | None:
    privileged = _fact(facts, "is_bot_or_sysop", value)
    anon = _fact(facts, "is_anon", _lookup(values, IS_ANON))
    if anon and not privileged:
        return None  # anonymous editors cannot be bots or administrators: nothing to say
    return (
        "editor is a bot or administrator" if privileged else "editor is not a bot or administrator"
    )


def _reason_age(value: Any, facts: Any, values: Mapping[str, Any]) -> str | None:
    if facts is not None:
        if _fact(facts, "is_anon"):
            return None
        age = _fact(facts, "account_age_seconds")
    else:
        if _lookup(values, IS_ANON):
            return None
        age = value
    if age is None:
        return None
    return f"account is {human_duration(float(age))} old"


def _lookup(values: Mapping[str, Any], name: str) -> Any:
    wanted = canonical_feature_name(name)
    for key, value in values.items():
        if canonical_feature_name(key) == wanted:
            return value
    return None


Phrase = Callable[[Any, Any, Mapping[str, Any]], "str | None"]

_REASONS: dict[str, Phrase] = {
    canonical_feature_name(LONGEST_REPEATED): lambda v, f, _: _reason_repeated(v, f),
    canonical_feature_name(WORDS_ADDED): lambda v, f, _: _reason_words(v, f, added=True),
    canonical_feature_name(WORDS_REMOVED): lambda v, f, _: _reason_words(v, f, added=False),
    canonical_feature_name(BADWORDS_DELTA): lambda v, f, _: _reason_wordlist(
        v, f, kind="profane", fact_prefix="badwords"
    ),
    canonical_feature_name(INFORMALS_DELTA): lambda v, f, _: _reason_wordlist(
        v, f, kind="informal", fact_prefix="informals"
    ),
    canonical_feature_name(NON_STOPWORDS_DELTA): lambda v, f, _: _reason_non_stopwords(v, f),
    canonical_feature_name(IS_ANON): lambda v, f, _: _reason_anon(v, f),
    canonical_feature_name(IN_BOT_SYSOP): _reason_privileged,
    canonical_feature_name(SECONDS_SINCE_REGISTRATION): _reason_age,
}


def reason_for(
    name: str, value: Any, facts: Any = None, values: Mapping[str, Any] | None = None
) -> str | None:
    """One feature's fact in plain words, or None when there is nothing worth saying."""
    phrase = _REASONS.get(canonical_feature_name(name))
    return phrase(value, facts, values or {}) if phrase else None


def contribution_list(
    feature_names: Sequence[str], values: Sequence[Any], contributions: np.ndarray
) -> list[FeatureEffect]:
    """Contributions sorted by absolute size, largest first, each with its label."""
    items = [
        FeatureEffect(
            feature=name,
            value=_plain(value),
            contribution=round(float(c), 4),
            label=feature_label(name),
        )
        for name, value, c in zip(feature_names, values, contributions, strict=True)
    ]
    return sorted(items, key=lambda item: -abs(item.contribution))


def reasons(
    contributions: Sequence[Any],
    facts: Any = None,
    values: Mapping[str, Any] | None = None,
    *,
    top: int = 3,
) -> list[str]:
    """Plain-word facts behind the largest contributions (most influential first).

    ``contributions`` are sorted items with ``.feature`` and ``.value`` (:class:`FeatureEffect`
    or ``wikiscore.scoring.result.Contribution``).
    """
    values = values or {c.feature: c.value for c in contributions}
    out: list[str] = []
    for item in contributions:
        text = reason_for(item.feature, item.value, facts, values)
        if text and text not in out:
            out.append(text)
        if len(out) >= top:
            break
    return out


def _plain(value: Any) -> float | bool | int | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if value is None:
        return None
    f = float(value)
    return int(f) if f.is_integer() and abs(f) < 2**53 else f
