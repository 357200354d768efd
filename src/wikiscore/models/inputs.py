"""From the revscoring feature values a model takes to the matrix its trees were trained on.

Owns the input step shared by training and serving, so both compute exactly the same thing:
*masks* (replace a feature's value when a condition feature is true) and *derived features*
(fixed, named functions of input features, e.g. words added minus words removed). An artifact
declares its steps as data (``metadata["inputs"]``); only functions registered in
:data:`DERIVED` can be named, so metadata never carries code. Also folds per-feature
contributions of derived features back onto the input features they come from.
Must not extract features from revisions (that is ``wikiscore.features``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LONGEST_REPEATED = "wikitext.revision.diff.longest_repeated_char_added"
WORDS_ADDED = "wikitext.revision.diff.words_added"
WORDS_REMOVED = "wikitext.revision.diff.words_removed"
BADWORDS_DELTA = "english.badwords.revision.diff.match_prop_delta_sum"
INFORMALS_DELTA = "english.informals.revision.diff.match_prop_delta_sum"
NON_STOPWORDS_DELTA = "english.stopwords.revision.diff.non_stopword_prop_delta_sum"
IS_ANON = "revision.user.is_anon"
IN_BOT_SYSOP = "revision.user.in_group({'bot','sysop'})"
SECONDS_SINCE_REGISTRATION = "temporal.revision.user.seconds_since_registration"

#: The nine revscoring edit features, in the column order of the editquality training files.
EDIT_FEATURES: tuple[str, ...] = (
    LONGEST_REPEATED,
    WORDS_ADDED,
    WORDS_REMOVED,
    BADWORDS_DELTA,
    INFORMALS_DELTA,
    NON_STOPWORDS_DELTA,
    IS_ANON,
    IN_BOT_SYSOP,
    SECONDS_SINCE_REGISTRATION,
)

_SET_ARG = re.compile(r"\{([^{}]*)\}")


@functools.lru_cache(maxsize=4096)  # a few dozen names, looked up for every scored record
def canonical_feature_name(name: str) -> str:
    """A feature name with set arguments normalised (order and spacing of ``{'bot', 'sysop'}``).

    revscoring prints ``in_group({'sysop', 'bot'})`` in hash-seed-dependent order; these all
    name the same feature.
    """

    def _sorted_set(match: re.Match[str]) -> str:
        items = sorted(part.strip() for part in match.group(1).split(",") if part.strip())
        return "{" + ",".join(items) + "}"

    return _SET_ARG.sub(_sorted_set, name.replace(" ", ""))


def column_indices(available: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Positions of ``wanted`` in ``available`` (canonical names compared); KeyError if absent."""
    index = {canonical_feature_name(n): i for i, n in enumerate(available)}
    missing = [n for n in wanted if canonical_feature_name(n) not in index]
    if missing:
        raise KeyError(f"features not available: {', '.join(missing)}")
    return [index[canonical_feature_name(n)] for n in wanted]


@dataclass(frozen=True)
class Derived:
    """A derived feature: a fixed function of named input features."""

    sources: tuple[str, ...]
    function: Callable[..., np.ndarray]
    description: str


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return num / den


DERIVED: dict[str, Derived] = {
    "derived.words_net": Derived(
        (WORDS_ADDED, WORDS_REMOVED), lambda a, r: a - r, "words added minus words removed"
    ),
    "derived.words_log_ratio": Derived(
        (WORDS_ADDED, WORDS_REMOVED),
        lambda a, r: np.log1p(np.maximum(a, 0)) - np.log1p(np.maximum(r, 0)),
        "log(1 + words added) - log(1 + words removed)",
    ),
    "derived.words_added_share": Derived(
        (WORDS_ADDED, WORDS_REMOVED),
        lambda a, r: _ratio(a, a + r + 1),
        "words added / (words added + words removed + 1)",
    ),
    "derived.bad_or_informal_added": Derived(
        (BADWORDS_DELTA, INFORMALS_DELTA),
        lambda b, i: np.maximum(b, 0) + np.maximum(i, 0),
        "positive part of the badword delta plus positive part of the informal delta",
    ),
    "derived.any_bad_or_informal_added": Derived(
        (BADWORDS_DELTA, INFORMALS_DELTA),
        lambda b, i: ((b > 0) | (i > 0)).astype(np.float64),
        "1 if badwords or informal words were added, else 0",
    ),
    "derived.non_stopword_delta_per_word": Derived(
        (NON_STOPWORDS_DELTA, WORDS_ADDED, WORDS_REMOVED),
        lambda s, a, r: _ratio(s, a + r + 1),
        "non-stopword delta / (words added + words removed + 1)",
    ),
    "derived.non_stopword_delta_per_added_word": Derived(
        (NON_STOPWORDS_DELTA, WORDS_ADDED),
        lambda s, a: _ratio(s, a + 1),
        "non-stopword delta / (words added + 1)",
    ),
}


@dataclass(frozen=True)
class Mask:
    """Replace ``feature`` by ``value`` (None = missing) wherever ``when`` is true."""

    feature: str
    when: str
    value: float | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "when": self.when,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class InputSpec:
    """What a model takes (``features``) and how it turns them into its tree inputs."""

    features: tuple[str, ...]
    masks: tuple[Mask, ...] = ()
    derived: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        names = set(map(canonical_feature_name, self.features))
        for mask in self.masks:
            for needed in (mask.feature, mask.when):
                if canonical_feature_name(needed) not in names:
                    raise ValueError(f"mask uses {needed!r}, which is not an input feature")
        for name in self.derived:
            if name not in DERIVED:
                raise ValueError(f"unknown derived feature {name!r}; known: {', '.join(DERIVED)}")
            for source in DERIVED[name].sources:
                if canonical_feature_name(source) not in names:
                    raise ValueError(f"derived feature {name} needs input {source!r}")

    @property
    def model_features(self) -> tuple[str, ...]:
        """Column names of the matrix the trees see: inputs, then derived features."""
        return (*self.features, *self.derived)

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "masks": [m.to_json() for m in self.masks],
            "derived": [
                {
                    "name": n,
                    "sources": list(DERIVED[n].sources),
                    "description": DERIVED[n].description,
                }
                for n in self.derived
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InputSpec:
        masks = tuple(
            Mask(m["feature"], m["when"], m.get("value"), m.get("reason", ""))
            for m in data.get("masks", [])
        )
        derived = tuple(d["name"] if isinstance(d, Mapping) else d for d in data.get("derived", []))
        return cls(tuple(data["features"]), masks, derived)

    def prepare(self, X: Any) -> np.ndarray:
        """The tree input matrix (float64, NaN = missing) for raw input values ``X`` (n, k)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != len(self.features):
            raise ValueError(
                f"expected {len(self.features)} feature columns "
                f"({', '.join(self.features)}), got shape {X.shape}"
            )
        index = {canonical_feature_name(n): i for i, n in enumerate(self.features)}

        def col(name: str) -> np.ndarray:
            return X[:, index[canonical_feature_name(name)]]

        derived = []
        with np.errstate(divide="ignore", invalid="ignore"):
            for name in self.derived:
                spec = DERIVED[name]
                derived.append(spec.function(*(col(s) for s in spec.sources)))
        out = np.column_stack([X, *derived]) if derived else X.copy()
        for mask in self.masks:
            where = col(mask.when) != 0
            value = math.nan if mask.value is None else float(mask.value)
            out[where, index[canonical_feature_name(mask.feature)]] = value
        return out

    def fold_contributions(self, model_contributions: np.ndarray, X: Any = None) -> np.ndarray:
        """Per-input-feature contributions from per-model-feature ones (bias column dropped).

        A derived feature's contribution is shared among its sources in proportion to how much
        the derived value changes when that source alone is set to 0 (equal shares when no
        single source changes it, or when ``X`` is not given). Where a mask
        applied (raw inputs ``X`` given), the masked feature's value was decided by the mask's
        condition, so its contribution moves to the condition feature (for anonymous editors,
        the account-age part goes to "anonymous editor"). Rows still sum to raw score - bias.
        """
        k = len(self.features)
        folded = np.array(model_contributions[:, :k], dtype=np.float64)
        index = {canonical_feature_name(n): i for i, n in enumerate(self.features)}
        raw = None if X is None else np.asarray(X, dtype=np.float64).reshape(folded.shape[0], k)
        for j, name in enumerate(self.derived):
            sources = DERIVED[name].sources
            columns = [index[canonical_feature_name(s)] for s in sources]
            weights = self._source_weights(DERIVED[name], raw, columns, folded.shape[0])
            for w, column in zip(weights, columns, strict=True):
                folded[:, column] += w * model_contributions[:, k + j]
        if raw is not None and self.masks:
            for mask in self.masks:
                target = index[canonical_feature_name(mask.feature)]
                condition = index[canonical_feature_name(mask.when)]
                where = raw[:, condition] != 0
                folded[where, condition] += folded[where, target]
                folded[where, target] = 0.0
        return folded

    @staticmethod
    def _source_weights(
        derived: Derived, raw: np.ndarray | None, columns: list[int], n: int
    ) -> list[np.ndarray]:
        equal = [np.full(n, 1.0 / len(columns)) for _ in columns]
        if raw is None:
            return equal
        inputs = [raw[:, c] for c in columns]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = derived.function(*inputs)
            changes = []
            for position in range(len(columns)):
                zeroed = list(inputs)
                zeroed[position] = np.zeros(n)
                changes.append(np.nan_to_num(np.abs(value - derived.function(*zeroed))))
        total = np.sum(changes, axis=0)
        return [
            np.where(total > 0, change / np.where(total > 0, total, 1.0), share)
            for change, share in zip(changes, equal, strict=True)
        ]
