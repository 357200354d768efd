"""User-behaviour features of the vandal early warning model (VEWS-style), one function for all.

Owns the common edit representation :class:`UserEdit` (full page title, namespace, Unix time)
and :func:`user_feature_matrix`, which turns an account's edits, oldest first, into one feature
row per prefix: row ``k-1`` uses only the first ``k`` edits. Training builds ``UserEdit``\\ s from
the UMD dataset's CSV rows (:func:`edit_from_title`, namespace from the title's prefix), live
scoring from ``RevisionRecord``\\ s (:func:`edit_from_revision`), and both go through the same
feature code, so there is no training/serving skew.

Only what the account itself did, known when each edit was made, is used: which kinds of pages
it edits (own user page, drafts, articles, talk…), how fast, how often it returns to one page,
how its kinds of edits follow each other, the titles, and the username. Nothing from other
people or tools (reverts, ClueBot NG, STiki) — those live in the training data module only.
Must not fetch anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wikiscore.errors import InvalidInput
from wikiscore.records import RevisionRecord

# English Wikipedia's namespace names (canonical and the usual aliases), casefolded.
_ENWIKI_NAMESPACES: dict[str, int] = {
    "talk": 1,
    "user": 2,
    "user talk": 3,
    "wikipedia": 4,
    "project": 4,
    "wp": 4,
    "wikipedia talk": 5,
    "project talk": 5,
    "wt": 5,
    "file": 6,
    "image": 6,
    "file talk": 7,
    "image talk": 7,
    "mediawiki": 8,
    "mediawiki talk": 9,
    "template": 10,
    "template talk": 11,
    "help": 12,
    "help talk": 13,
    "category": 14,
    "category talk": 15,
    "portal": 100,
    "portal talk": 101,
    "book": 108,
    "book talk": 109,
    "draft": 118,
    "draft talk": 119,
    "education program": 446,
    "education program talk": 447,
    "timedtext": 710,
    "timedtext talk": 711,
    "module": 828,
    "module talk": 829,
    "gadget": 2300,
    "gadget talk": 2301,
    "gadget definition": 2302,
    "gadget definition talk": 2303,
    "special": -1,
    "media": -2,
}


@dataclass(frozen=True, slots=True)
class UserEdit:
    """One edit as the behaviour features see it."""

    title: str  # full title, with the namespace prefix ("User:Alice/sandbox")
    namespace: int
    timestamp: float  # Unix seconds, UTC


def namespace_of_title(title: str) -> int:
    """Namespace number of an English Wikipedia title from its prefix (0 if none matches)."""
    prefix, sep, _ = title.partition(":")
    if not sep:
        return 0
    return _ENWIKI_NAMESPACES.get(prefix.replace("_", " ").strip().casefold(), 0)


def edit_from_title(title: str, timestamp: float) -> UserEdit:
    """From a dataset row: the namespace is read from the title's prefix."""
    return UserEdit(title=title, namespace=namespace_of_title(title), timestamp=float(timestamp))


def edit_from_revision(record: RevisionRecord) -> UserEdit:
    """From a live revision (``user_contributions``): the wiki's own namespace number."""
    if record.timestamp is None:
        raise InvalidInput(f"revision {record.rev_id} has no timestamp")
    if not record.page.title:
        raise InvalidInput(f"revision {record.rev_id} has no page title")
    return UserEdit(
        title=record.page.title.replace("_", " "),
        namespace=int(record.page.namespace),
        timestamp=record.timestamp.timestamp(),
    )


# --- page kinds --------------------------------------------------------------------------------

# Fine kinds: fractions of edits and the kind of the first/latest edit.
KINDS: tuple[str, ...] = (
    "article",
    "article_talk",
    "own_user_page",
    "own_user_subpage",
    "own_user_talk",
    "other_user_page",
    "other_user_talk",
    "project",
    "project_talk",
    "draft",
    "template",
    "file_or_category",
    "other",
)
KIND_WORDS: dict[str, str] = {
    "article": "articles",
    "article_talk": "article talk pages",
    "own_user_page": "its own user page",
    "own_user_subpage": "its own user subpages (sandbox, drafts)",
    "own_user_talk": "its own user talk page",
    "other_user_page": "other people's user pages",
    "other_user_talk": "other people's user talk pages",
    "project": "Wikipedia: project pages",
    "project_talk": "Wikipedia talk: pages",
    "draft": "drafts",
    "template": "templates or modules",
    "file_or_category": "file or category pages",
    "other": "other namespaces",
}
_KIND_INDEX = {kind: i for i, kind in enumerate(KINDS)}

# Coarse kinds for transitions between consecutive edits.
COARSE: tuple[str, ...] = ("article", "talk", "user", "meta")
_COARSE_OF_KIND = {
    "article": 0,
    "article_talk": 1,
    "project_talk": 1,
    "own_user_page": 2,
    "own_user_subpage": 2,
    "own_user_talk": 2,
    "other_user_page": 2,
    "other_user_talk": 2,
}


def _normal_name(name: str) -> str:
    name = name.replace("_", " ").strip()
    return name[:1].upper() + name[1:]


def base_title(edit: UserEdit) -> str:
    """The title without its namespace prefix."""
    if edit.namespace == 0:
        return edit.title
    return edit.title.partition(":")[2] or edit.title


def page_kind(edit: UserEdit, username: str) -> str:
    ns = edit.namespace
    if ns == 0:
        return "article"
    if ns in (2, 3):
        base = base_title(edit)
        root, sub, _ = base.partition("/")
        own = _normal_name(root) == _normal_name(username)
        if ns == 3:
            return "own_user_talk" if own else "other_user_talk"
        if own:
            return "own_user_subpage" if sub else "own_user_page"
        return "other_user_page"
    if ns == 1:
        return "article_talk"
    if ns == 4:
        return "project"
    if ns == 5:
        return "project_talk"
    if ns in (118, 119):
        return "draft"
    if ns in (10, 11, 828, 829):
        return "template"
    if ns in (6, 7, 14, 15):
        return "file_or_category"
    return "other"


# --- feature names -----------------------------------------------------------------------------

_GAP_BUCKETS = (("1min", 60.0), ("3min", 180.0), ("15min", 900.0), ("1hour", 3600.0))
_RELATIONS = ("same_page", "reedit", "new_page")
_SPEEDS = (("under_1min", 0.0, 60.0), ("1_to_15min", 60.0, 900.0), ("over_15min", 900.0, math.inf))

# Learned text scores (filled only when the model's text scorers are given; NaN otherwise).
TEXT_FEATURE_NAMES: tuple[str, ...] = (
    "name_text_score",
    "title_text_first",
    "title_text_mean",
    "title_text_max",
    "title_text_latest",
)

USER_FEATURE_NAMES: tuple[str, ...] = (
    "edits",
    "span_log_seconds",
    "gap_last_log_seconds",
    "gap_mean_log_seconds",
    "gap_min_log_seconds",
    "gap_max_log_seconds",
    *(f"frac_gaps_under_{label}" for label, _ in _GAP_BUCKETS),
    "frac_gaps_over_1day",
    "edits_within_hour_of_first",
    *(f"frac_{kind}" for kind in KINDS),
    *(f"first_is_{kind}" for kind in KINDS),
    *(f"latest_is_{kind}" for kind in KINDS),
    "own_user_page_edits",
    "distinct_pages_frac",
    "max_page_share",
    "distinct_articles",
    "frac_reedits",
    *(f"pairs_{rel}_{speed}" for rel in _RELATIONS for speed, _, _ in _SPEEDS),
    *(f"trans_{a}_to_{b}" for a in COARSE for b in COARSE),
    "title_len_mean",
    "title_words_mean",
    "frac_titles_with_digits",
    "frac_titles_with_parens",
    "frac_titles_list_of",
    "frac_titles_with_username",
    "first_title_len",
    "first_hour_utc",
    "latest_hour_utc",
    "frac_edits_weekend_utc",
    "name_len",
    "name_digits",
    "name_trailing_digits",
    "name_upper_frac",
    "name_words",
    "name_max_consonant_run",
    "name_max_repeat_run",
    "name_vowel_frac",
    *TEXT_FEATURE_NAMES,
)
_COL = {name: i for i, name in enumerate(USER_FEATURE_NAMES)}

_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]+")
_TRAILING_DIGITS = re.compile(r"\d+$")
_REPEAT_RUN = re.compile(r"(.)\1*")


def ascii_name(username: str) -> str:
    """The username's ASCII characters only.

    Name features look only at these, on purpose: in the VEWS sample every account whose name
    has non-ASCII letters is a vandal (a sampling artefact, no benign one was collected), so
    anything that can see the script of a name would learn to flag editors who write their
    names in Cyrillic, Devanagari, Arabic, CJK… scripts.
    """
    return "".join(c for c in _normal_name(username) if c.isascii()).strip()


def username_features(username: str) -> dict[str, float]:
    """How the account's name looks (known from the moment it exists), script-blind."""
    name = ascii_name(username)
    letters = [c for c in name if c.isalpha()]
    lower = name.casefold()
    trailing = _TRAILING_DIGITS.search(name)
    vowels = sum(c in "aeiouy" for c in lower)
    return {
        "name_len": float(len(name)),
        "name_digits": float(sum(c.isdigit() for c in name)),
        "name_trailing_digits": float(len(trailing.group()) if trailing else 0),
        "name_upper_frac": (sum(c.isupper() for c in letters) / len(letters)) if letters else 0.0,
        "name_words": float(len(name.split())),
        "name_max_consonant_run": float(
            max((len(m.group()) for m in _CONSONANT_RUN.finditer(lower)), default=0)
        ),
        "name_max_repeat_run": float(
            max((len(m.group()) for m in _REPEAT_RUN.finditer(lower)), default=0)
        ),
        "name_vowel_frac": vowels / len(letters) if letters else 0.0,
    }


def _prefix_mean(values: np.ndarray) -> np.ndarray:
    """Mean of values[:k] for k = 1..n."""
    return np.cumsum(values, dtype=np.float64) / np.arange(1, len(values) + 1)


def _pair_prefix_mean(values: np.ndarray, n: int) -> np.ndarray:
    """For per-pair values (pair j joins edits j and j+1): mean over the pairs inside each
    prefix of k edits; NaN for k = 1 (no pair yet)."""
    out = np.full(n, np.nan)
    if n > 1:
        out[1:] = np.cumsum(values, dtype=np.float64) / np.arange(1, n)
    return out


# --- learned text scores ------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def title_terms(edit: UserEdit) -> list[str]:
    """Terms of a page title for the title scorer: its lowercased words and its namespace."""
    return [f"ns:{edit.namespace}", *_WORD.findall(base_title(edit).casefold())]


def name_terms(username: str) -> list[str]:
    """Character 2- to 4-grams of the lowercased username's ASCII characters (see
    :func:`ascii_name`), with start/end markers; none for a name without ASCII characters."""
    name = ascii_name(username).casefold()
    if not name:
        return []
    text = "^" + name + "$"
    return [text[i : i + n] for n in (2, 3, 4) for i in range(len(text) - n + 1)]


@dataclass(frozen=True)
class TextScorer:
    """A linear model over TF-IDF terms (sublinear tf, L2 norm), stored as plain numbers.

    ``terms`` maps each vocabulary term to ``(idf, coefficient)``; :meth:`score` is the
    model's log-odds for a list of terms (out-of-vocabulary terms are ignored, as in
    scikit-learn's ``TfidfVectorizer``). Fitted in ``wikiscore.training.user_warning``.
    """

    terms: dict[str, tuple[float, float]]
    intercept: float

    def score(self, terms: Sequence[str]) -> float:
        counts: dict[str, int] = {}
        for term in terms:
            if term in self.terms:
                counts[term] = counts.get(term, 0) + 1
        total = 0.0
        norm = 0.0
        for term, count in counts.items():
            idf, coef = self.terms[term]
            weight = (1.0 + math.log(count)) * idf
            total += coef * weight
            norm += weight * weight
        return self.intercept + (total / math.sqrt(norm) if norm > 0 else 0.0)

    def to_json(self) -> dict[str, object]:
        return {
            "intercept": self.intercept,
            "terms": {t: [round(i, 6), round(c, 6)] for t, (i, c) in sorted(self.terms.items())},
        }

    @classmethod
    def from_json(cls, data: dict) -> TextScorer:
        terms = {str(t): (float(v[0]), float(v[1])) for t, v in data["terms"].items()}
        return cls(terms=terms, intercept=float(data["intercept"]))


@dataclass(frozen=True)
class UserTextScorers:
    """The model's two text scorers: one over usernames, one over edited page titles."""

    name: TextScorer
    title: TextScorer

    def to_json(self) -> dict[str, object]:
        return {"name": self.name.to_json(), "title": self.title.to_json()}

    @classmethod
    def from_json(cls, data: dict) -> UserTextScorers:
        return cls(TextScorer.from_json(data["name"]), TextScorer.from_json(data["title"]))


def user_feature_matrix(
    username: str, edits: Sequence[UserEdit], text: UserTextScorers | None = None
) -> np.ndarray:
    """Features of every prefix: row ``k-1`` describes the first ``k`` edits (time order).

    Shape ``(len(edits), len(USER_FEATURE_NAMES))``, float64; NaN marks "not defined yet"
    (e.g. time between edits with a single edit) and the text scores when ``text`` is None.
    Edits are put in time order first (stable).
    """
    if not edits:
        raise InvalidInput(f"user {username!r} has no edits to score")
    ordered = sorted(edits, key=lambda e: e.timestamp)
    n = len(ordered)
    out = np.full((n, len(USER_FEATURE_NAMES)), np.nan)

    def put(name: str, column: np.ndarray | float) -> None:
        out[:, _COL[name]] = column

    ks = np.arange(1, n + 1, dtype=np.float64)
    times = np.array([e.timestamp for e in ordered], dtype=np.float64)
    kinds = [page_kind(e, username) for e in ordered]
    kind_idx = np.array([_KIND_INDEX[k] for k in kinds])
    titles = [e.title for e in ordered]

    # Time.
    put("edits", ks)
    put("span_log_seconds", np.log10(1.0 + times - times[0]))
    gaps = np.diff(times) if n > 1 else np.zeros(0)
    log_gaps = np.log10(1.0 + np.maximum(gaps, 0.0))
    if n > 1:
        last = np.full(n, np.nan)
        last[1:] = log_gaps
        put("gap_last_log_seconds", last)
        mins = np.full(n, np.nan)
        mins[1:] = np.minimum.accumulate(log_gaps)
        put("gap_min_log_seconds", mins)
        maxs = np.full(n, np.nan)
        maxs[1:] = np.maximum.accumulate(log_gaps)
        put("gap_max_log_seconds", maxs)
    put("gap_mean_log_seconds", _pair_prefix_mean(log_gaps, n))
    for label, limit in _GAP_BUCKETS:
        put(f"frac_gaps_under_{label}", _pair_prefix_mean((gaps < limit).astype(float), n))
    put("frac_gaps_over_1day", _pair_prefix_mean((gaps > 86400.0).astype(float), n))
    put("edits_within_hour_of_first", np.cumsum(times - times[0] < 3600.0).astype(float))

    # Kinds of pages.
    onehot = np.zeros((n, len(KINDS)))
    onehot[np.arange(n), kind_idx] = 1.0
    fractions = np.cumsum(onehot, axis=0) / ks[:, None]
    for i, kind in enumerate(KINDS):
        put(f"frac_{kind}", fractions[:, i])
        put(f"first_is_{kind}", onehot[0, i])
        put(f"latest_is_{kind}", onehot[:, i])
    put("own_user_page_edits", np.cumsum(onehot[:, _KIND_INDEX["own_user_page"]]))

    # Returning to pages; VEWS-style pair types (page relation x speed).
    seen: dict[str, int] = {}
    distinct = np.zeros(n)
    max_share = np.zeros(n)
    articles = np.zeros(n)
    reedit = np.zeros(n)  # edit to a page edited before, not the immediately previous one
    relation = np.zeros(max(n - 1, 0), dtype=int)  # per pair: 0 same, 1 re-edit, 2 new
    best = 0
    n_articles = 0
    for i, title in enumerate(titles):
        count = seen.get(title, 0)
        if count == 0 and ordered[i].namespace == 0:
            n_articles += 1
        if i > 0:
            if title == titles[i - 1]:
                relation[i - 1] = 0
            elif count:
                relation[i - 1] = 1
                reedit[i] = 1.0
            else:
                relation[i - 1] = 2
        seen[title] = count + 1
        best = max(best, count + 1)
        distinct[i] = len(seen)
        max_share[i] = best
        articles[i] = n_articles
    put("distinct_pages_frac", distinct / ks)
    put("max_page_share", max_share / ks)
    put("distinct_articles", articles)
    put("frac_reedits", _prefix_mean(reedit))
    for r, rel in enumerate(_RELATIONS):
        for speed, low, high in _SPEEDS:
            hit = (relation == r) & (gaps >= low) & (gaps < high)
            put(f"pairs_{rel}_{speed}", _pair_prefix_mean(hit.astype(float), n))
    coarse = np.array([_COARSE_OF_KIND.get(k, 3) for k in kinds])
    for a, name_a in enumerate(COARSE):
        for b, name_b in enumerate(COARSE):
            hit = (coarse[:-1] == a) & (coarse[1:] == b)
            put(f"trans_{name_a}_to_{name_b}", _pair_prefix_mean(hit.astype(float), n))

    # Titles.
    bases = [base_title(e) for e in ordered]
    own_name = _normal_name(username).casefold()
    put("title_len_mean", _prefix_mean(np.array([len(b) for b in bases], dtype=float)))
    put("title_words_mean", _prefix_mean(np.array([len(b.split()) for b in bases], dtype=float)))
    put(
        "frac_titles_with_digits",
        _prefix_mean(np.array([any(c.isdigit() for c in b) for b in bases], dtype=float)),
    )
    put("frac_titles_with_parens", _prefix_mean(np.array(["(" in b for b in bases], dtype=float)))
    put(
        "frac_titles_list_of",
        _prefix_mean(np.array([b.startswith("List of") for b in bases], dtype=float)),
    )
    mentions = [
        len(own_name) >= 3 and own_name in b.casefold() and kind not in _OWN_KINDS
        for b, kind in zip(bases, kinds, strict=True)
    ]
    put("frac_titles_with_username", _prefix_mean(np.array(mentions, dtype=float)))
    put("first_title_len", float(len(bases[0])))

    # Clock (UTC).
    hours = np.floor((times % 86400.0) / 3600.0)
    put("first_hour_utc", hours[0])
    put("latest_hour_utc", hours)
    weekday = (np.floor(times / 86400.0).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    put("frac_edits_weekend_utc", _prefix_mean((weekday >= 5).astype(float)))

    for name, value in username_features(username).items():
        put(name, value)

    if text is not None:
        out[:, _TEXT_COLUMNS] = text_feature_block(username, ordered, text)
    return out


_TEXT_COLUMNS = [_COL[name] for name in TEXT_FEATURE_NAMES]


def text_feature_block(
    username: str,
    ordered: Sequence[UserEdit],
    text: UserTextScorers,
    title_scores: Sequence[float] | None = None,
) -> np.ndarray:
    """The :data:`TEXT_FEATURE_NAMES` columns for edits already in time order, ``(n, 5)``.

    ``title_scores`` (one per edit) may be passed when the caller has them cached; training
    uses that to score each distinct title once per fold.
    """
    n = len(ordered)
    if title_scores is None:
        scores = np.array([text.title.score(title_terms(e)) for e in ordered], dtype=np.float64)
    else:
        scores = np.asarray(title_scores, dtype=np.float64)
    block = np.empty((n, len(TEXT_FEATURE_NAMES)))
    block[:, 0] = text.name.score(name_terms(username))
    block[:, 1] = scores[0]
    block[:, 2] = _prefix_mean(scores)
    block[:, 3] = np.maximum.accumulate(scores)
    block[:, 4] = scores
    return block


_OWN_KINDS = frozenset({"own_user_page", "own_user_subpage", "own_user_talk"})


def user_feature_values(
    username: str, edits: Sequence[UserEdit], text: UserTextScorers | None = None
) -> dict[str, float]:
    """Features of all the given edits (the last row of :func:`user_feature_matrix`)."""
    row = user_feature_matrix(username, edits, text)[-1]
    return dict(zip(USER_FEATURE_NAMES, row.tolist(), strict=True))
