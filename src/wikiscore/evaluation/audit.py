"""Fairness audits: who a model's flags and errors fall on, and how much its scores depend on
who made an edit.

Owns the numbers of ``wikiscore audit`` and of the model cards' fairness sections:

* per slice (anonymous / registered editors, account age, bots and administrators for edit
  models; activity and account age for the user model): count, base rate, ROC-AUC and PR-AUC
  with bootstrap CIs, calibration curve and ECE (:func:`~wikiscore.evaluation.slices.
  slice_metrics`), and at each flagging level the flag rate, true-positive rate, false-positive
  rate and precision (:func:`rates_by_level`);
* disparate impact (:func:`disparate_impact`): at each level, the flag rate of one group over
  another's, next to the same ratio of the true labels (Trokhymovych et al., KDD 2023: ORES
  flagged anonymous edits 20.0x as often as registered ones while they were reverted 7.93x as
  often). ``relative`` = flag ratio / true ratio; 1 means the model flags each group exactly as
  much more as reality does;
* counterfactual sensitivity (:func:`counterfactual_shift`): the same edits scored again with
  the editor features flipped (anonymous <-> registered, new <-> old account), how far the
  probability moves and how many edits change level.

The top of the module is pure functions over arrays. :func:`audit_edit` and
:func:`audit_user` adapt one model kind each (taking loaded artifacts and data);
:func:`run_audit` is the entry point of the CLI and the cards, and the only function here that
loads data (through the training readers). Must not train models or know about HTTP.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wikiscore.errors import InvalidInput
from wikiscore.evaluation.metrics import binary_metrics, calibration_curve
from wikiscore.evaluation.slices import DAY, Slice, editor_slices, slice_metrics

#: The band in which a flag-rate ratio counts as matching the true-label ratio.
FLAG_BAND: tuple[float, float] = (0.9, 1.1)
#: The level and the ROC-AUC floor of the fairness goal for the served edit-risk model.
GOAL_LEVEL = "likely_bad"
GOAL_MIN_ROC_AUC = 0.86
HOUR = 3_600
YEAR = 365 * DAY


# -- levels and rates -----------------------------------------------------------------------
def level_ranks(levels: Sequence[str], order: Sequence[str]) -> np.ndarray:
    """The position of each level name in ``order`` (lowest level 0)."""
    index = {name: i for i, name in enumerate(order)}
    try:
        return np.array([index[name] for name in levels], dtype=int)
    except KeyError as exc:
        raise ValueError(f"level {exc.args[0]!r} is not one of {', '.join(order)}") from None


def flag_masks(
    levels: Sequence[str], order: Sequence[str], flag_levels: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """For each flagging level L (default: every level but the lowest), which rows are
    flagged at L, i.e. are at level L or above."""
    ranks = level_ranks(levels, order)
    chosen = list(order[1:]) if flag_levels is None else list(flag_levels)
    return {name: ranks >= list(order).index(name) for name in chosen}


def _div(num: float, den: float) -> float | None:
    return float(num / den) if den > 0 else None


def group_rates(y: Any, flagged: Any, mask: Any = None) -> dict[str, Any]:
    """Confusion counts and rates of a flag decision within ``mask`` (all rows if None).

    ``flag_rate`` = flagged / count, ``tpr`` = recall, ``fpr`` = flagged share of the
    negatives, ``precision`` = true share of the flagged, ``flag_to_true`` = flag rate / base
    rate (how many flags per true positive in the group; equal across groups when a model flags
    each group in proportion to reality).
    """
    y = np.asarray(y).astype(bool)
    f = np.asarray(flagged).astype(bool)
    m = np.ones(y.size, dtype=bool) if mask is None else np.asarray(mask).astype(bool)
    yy, ff = y[m], f[m]
    n = int(yy.size)
    tp = int((yy & ff).sum())
    fp = int((~yy & ff).sum())
    fn = int((yy & ~ff).sum())
    tn = n - tp - fp - fn
    flag_rate = _div(tp + fp, n)
    base_rate = _div(tp + fn, n)
    return {
        "count": n,
        "positives": tp + fn,
        "base_rate": base_rate,
        "flagged": tp + fp,
        "flag_rate": flag_rate,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "tpr": _div(tp, tp + fn),
        "fpr": _div(fp, fp + tn),
        "precision": _div(tp, tp + fp),
        "flag_to_true": (
            _div(flag_rate, base_rate) if flag_rate is not None and base_rate else None
        ),
    }


def rates_by_level(
    y: Any, flags: Mapping[str, np.ndarray], slices: Sequence[Slice]
) -> dict[str, dict[str, dict[str, Any]]]:
    """``{slice key: {level: group_rates}}`` for every slice and flagging level."""
    return {
        sl.key: {level: group_rates(y, flagged, sl.mask) for level, flagged in flags.items()}
        for sl in slices
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return float(a / b)


def disparate_impact(
    y: Any,
    flags: Mapping[str, np.ndarray],
    group: Any,
    reference: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    band: tuple[float, float] = FLAG_BAND,
) -> dict[str, dict[str, Any]]:
    """Per flagging level: flag rates of ``group`` and ``reference``, their ratio, the ratio of
    true rates (base rates), ``relative`` = flag ratio / true ratio with a bootstrap 95% CI
    (resampling rows), and whether ``relative`` lies in ``band``."""
    y = np.asarray(y).astype(bool)
    a = np.asarray(group).astype(bool)
    b = np.asarray(reference).astype(bool)
    n = y.size
    weights = (
        [np.bincount(rng_idx, minlength=n) for rng_idx in _resamples(n, n_boot, seed)]
        if n_boot > 0 and n > 0
        else []
    )
    out: dict[str, dict[str, Any]] = {}
    for level, flagged in flags.items():
        f = np.asarray(flagged).astype(bool)
        ra, rb = group_rates(y, f, a), group_rates(y, f, b)
        flag_ratio = _ratio(ra["flag_rate"], rb["flag_rate"])
        true_ratio = _ratio(ra["base_rate"], rb["base_rate"])
        relative = _ratio(flag_ratio, true_ratio)
        boot_rel, boot_flag = [], []
        for w in weights:
            wa, wb = w * a, w * b
            fa, fb = _div(wa @ f, wa.sum()), _div(wb @ f, wb.sum())
            ta, tb = _div(wa @ y, wa.sum()), _div(wb @ y, wb.sum())
            fr, tr = _ratio(fa, fb), _ratio(ta, tb)
            if fr is not None:
                boot_flag.append(fr)
                rel = _ratio(fr, tr)
                if rel is not None:
                    boot_rel.append(rel)
        out[level] = {
            "group": _short(ra),
            "reference": _short(rb),
            "flag_ratio": flag_ratio,
            "flag_ratio_ci95": _ci(boot_flag, n_boot),
            "true_ratio": true_ratio,
            "relative": relative,
            "relative_ci95": _ci(boot_rel, n_boot),
            "in_band": relative is not None and band[0] <= relative <= band[1],
            "band": list(band),
            # A ratio over a group nobody flagged is infinite: say so instead of a number.
            "reference_never_flagged": rb["flagged"] == 0 and ra["flagged"] > 0,
        }
    return out


def pair_impacts(
    y: Any,
    flags: Mapping[str, np.ndarray],
    slices: Sequence[Slice],
    pairs: Sequence[tuple[str, str, str]],
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """:func:`disparate_impact` for each ``(name, group slice key, reference slice key)``."""
    by_key = {s.key: s for s in slices}
    return {
        name: {
            "group": a,
            "reference": b,
            "group_label": by_key[a].label,
            "reference_label": by_key[b].label,
            "levels": disparate_impact(
                y, flags, by_key[a].mask, by_key[b].mask, n_boot=n_boot, seed=seed
            ),
        }
        for name, a, b in pairs
    }


def _short(rates: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("count", "base_rate", "flagged", "flag_rate", "tpr", "fpr", "precision")
    return {k: rates[k] for k in keep}


def _resamples(n: int, n_boot: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        yield rng.integers(0, n, n)


def _ci(values: Sequence[float], n_boot: int) -> list[float] | None:
    if not values or len(values) < n_boot / 2:
        return None
    lo, hi = np.quantile(np.asarray(values, dtype=float), [0.025, 0.975])
    return [float(lo), float(hi)]


# -- counterfactuals ------------------------------------------------------------------------
def counterfactual_shift(
    p_before: Any,
    p_after: Any,
    levels_before: Sequence[str],
    levels_after: Sequence[str],
    order: Sequence[str],
) -> dict[str, Any]:
    """How far scores move and how many rows change level when an input is flipped.

    ``delta`` = after - before. Reports the mean and percentiles of ``|delta|``, the mean
    signed delta, how many rows moved up or down a level, the full level transition counts,
    and per flagging level how many rows became flagged or stopped being flagged.
    """
    before = np.asarray(p_before, dtype=float)
    after = np.asarray(p_after, dtype=float)
    n = int(before.size)
    if n == 0:
        return {"count": 0}
    delta = after - before
    magnitude = np.abs(delta)
    rank_before = level_ranks(levels_before, order)
    rank_after = level_ranks(levels_after, order)
    transitions: dict[str, dict[str, int]] = {}
    for lb, la in zip(levels_before, levels_after, strict=True):
        row = transitions.setdefault(lb, {})
        row[la] = row.get(la, 0) + 1
    flags = {}
    for i, level in enumerate(order[1:], start=1):
        was, now = rank_before >= i, rank_after >= i
        flags[level] = {
            "flagged_before": int(was.sum()),
            "flagged_after": int(now.sum()),
            "newly_flagged": int((now & ~was).sum()),
            "no_longer_flagged": int((was & ~now).sum()),
        }
    changed = rank_after != rank_before
    return {
        "count": n,
        "mean_abs_delta": float(magnitude.mean()),
        "abs_delta_percentiles": {
            f"p{q}": float(np.percentile(magnitude, q)) for q in (50, 90, 95, 99)
        }
        | {"max": float(magnitude.max())},
        "mean_delta": float(delta.mean()),
        "mean_before": float(before.mean()),
        "mean_after": float(after.mean()),
        "share_increased": float((delta > 0).mean()),
        "level_changed": int(changed.sum()),
        "level_changed_share": float(changed.mean()),
        "moved_up": int((rank_after > rank_before).sum()),
        "moved_down": int((rank_after < rank_before).sum()),
        "transitions": transitions,
        "flags": flags,
    }


@dataclass(frozen=True)
class Flip:
    """A counterfactual: which edits it applies to and how their editor features change."""

    key: str
    label: str
    applies: Callable[[np.ndarray], np.ndarray]  # full feature matrix -> row mask
    apply: Callable[[np.ndarray], np.ndarray]  # full feature matrix -> flipped copy


def edit_flips(feature_names: Sequence[str]) -> list[Flip]:
    """The editor-feature counterfactuals of edit models, on matrices of ``feature_names``.

    Consistent with how the models read the features: an anonymous editor has no groups and
    no account (its account age is treated as missing by models with the anonymous-age mask;
    it is set to 0 here, as revscoring 2.11 and wikiscore's live features give), so making an
    edit anonymous clears the bot/administrator flag; a registered editor needs an account
    age, so making an edit registered gives it a one-year-old account, not bot or
    administrator. "New" accounts are at most 30 days old, "old" ones older.
    """
    from wikiscore.models.inputs import IN_BOT_SYSOP, IS_ANON, SECONDS_SINCE_REGISTRATION

    names = list(feature_names)
    anon, group, age = (names.index(n) for n in (IS_ANON, IN_BOT_SYSOP, SECONDS_SINCE_REGISTRATION))

    def setting(**values: float) -> Callable[[np.ndarray], np.ndarray]:
        columns = {"anon": anon, "group": group, "age": age}

        def apply(X: np.ndarray) -> np.ndarray:
            out = np.array(X, dtype=float, copy=True)
            for key, value in values.items():
                out[:, columns[key]] = value
            return out

        return apply

    def registered(X: np.ndarray) -> np.ndarray:
        return X[:, anon] == 0

    return [
        Flip(
            "anonymous_to_registered",
            "anonymous edits, as if made by a registered account one year old",
            lambda X: X[:, anon] != 0,
            setting(anon=0.0, group=0.0, age=float(YEAR)),
        ),
        Flip(
            "registered_to_anonymous",
            "registered editors' edits, as if made anonymously",
            registered,
            setting(anon=1.0, group=0.0, age=0.0),
        ),
        Flip(
            "new_to_old_account",
            "edits from accounts at most 30 days old, as if the account were one year old",
            lambda X: registered(X) & (X[:, age] <= 30 * DAY),
            setting(age=float(YEAR)),
        ),
        Flip(
            "old_to_new_account",
            "edits from accounts over 30 days old (not bots or administrators), as if the "
            "account were one hour old",
            lambda X: registered(X) & (X[:, age] > 30 * DAY) & (X[:, group] == 0),
            setting(age=float(HOUR)),
        ),
    ]


# -- edit models ----------------------------------------------------------------------------
EDIT_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("anonymous_vs_registered", "anonymous", "registered"),
    ("new_vs_old_accounts", "account_le_30d", "account_gt_30d"),
)

Scorer = Callable[[np.ndarray], np.ndarray]


def _edit_slices(X: np.ndarray, feature_names: Sequence[str]) -> list[Slice]:
    from wikiscore.models.inputs import IN_BOT_SYSOP, IS_ANON, SECONDS_SINCE_REGISTRATION

    names = list(feature_names)
    anon = X[:, names.index(IS_ANON)]
    age = X[:, names.index(SECONDS_SINCE_REGISTRATION)]
    slices = editor_slices(anon, X[:, names.index(IN_BOT_SYSOP)], age)
    young = (anon == 0) & (age <= 30 * DAY)
    position = [s.key for s in slices].index("account_gt_30d")
    slices.insert(position, Slice("account_le_30d", "registered, account ≤ 30 days old", young))
    return slices


def audit_edit(
    artifact: Any,
    X: np.ndarray,
    y: Any,
    feature_names: Sequence[str],
    *,
    scorer: Scorer | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    deltas_out: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Audit an edit model on rows ``X`` (every column of ``feature_names``, e.g. the nine of
    an editquality file) with labels ``y``.

    ``scorer`` maps a matrix of the artifact's input columns (rows in the order of ``X``) to
    probabilities; default: the artifact itself. Levels are the artifact's (group-aware when
    it has a ``group_levels`` step), applied to each row as served. ``deltas_out`` (a dict)
    receives each counterfactual's per-edit probability changes, for plots.
    """
    from wikiscore.models.inputs import column_indices
    from wikiscore.models.levels import LEVEL_NAMES

    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(bool)
    columns = column_indices(feature_names, artifact.feature_names)
    score = scorer or artifact.predict_proba

    def run(matrix: np.ndarray) -> tuple[np.ndarray, list[str]]:
        inputs = matrix[:, columns]
        p = np.asarray(score(inputs), dtype=float)
        return p, artifact.levels_for_rows(inputs, p)

    p, levels = run(X)
    order = list(LEVEL_NAMES)
    flags = flag_masks(levels, order)
    slices = _edit_slices(X, feature_names)
    per_slice = slice_metrics(y, p, slices, n_boot=n_boot, seed=seed)
    level_rates = rates_by_level(y, flags, [Slice("all", "all edits", np.ones(y.size, bool))])
    for key, rates in rates_by_level(y, flags, slices).items():
        per_slice[key]["levels"] = rates
    impact = pair_impacts(y, flags, slices, EDIT_PAIRS, n_boot=n_boot, seed=seed)
    counterfactual = {}
    for flip in edit_flips(feature_names):
        mask = flip.applies(X)
        entry: dict[str, Any] = {"label": flip.label}
        if mask.any():
            p_after, levels_after = run(flip.apply(X))
            if deltas_out is not None:
                deltas_out[flip.key] = p_after[mask] - p[mask]
            entry.update(
                counterfactual_shift(
                    p[mask],
                    p_after[mask],
                    [lv for lv, m in zip(levels, mask, strict=True) if m],
                    [lv for lv, m in zip(levels_after, mask, strict=True) if m],
                    order,
                )
            )
        else:
            entry["count"] = 0
        counterfactual[flip.key] = entry
    metrics = binary_metrics(y, p, n_boot=n_boot, seed=seed)
    return {
        "kind": "edit",
        "model": artifact.name,
        "version": artifact.version,
        "model_sha256": artifact.metadata.get("model_sha256"),
        "level_order": order,
        "levels": artifact.levels_by_group(),
        "group_aware_levels": artifact.group_levels is not None,
        "metrics": metrics,
        "calibration": calibration_curve(y, p),
        "level_rates": level_rates["all"],
        "slices": per_slice,
        "disparate_impact": impact,
        "counterfactual": counterfactual,
        "goal": fairness_goal(metrics, impact["anonymous_vs_registered"]["levels"]),
    }


def without_group_levels(artifact: Any) -> Any:
    """The same model with pooled levels only (as before a ``group_levels`` step), to show
    what the step changes. Shares the loaded booster; not for serving."""
    import copy

    variant = copy.copy(artifact)
    variant.group_levels = None
    return variant


def fairness_goal(metrics: Mapping[str, Any], impact: Mapping[str, Any]) -> dict[str, Any]:
    """The served edit model's goal: anonymous/registered flag-rate ratio at ``likely_bad``
    within 0.9-1.1x the true-label ratio, and ROC-AUC >= 0.86."""
    level = impact.get(GOAL_LEVEL) or {}
    auc = (metrics.get("roc_auc") or {}).get("value")
    relative = level.get("relative")
    in_band = bool(level.get("in_band"))
    auc_ok = auc is not None and auc >= GOAL_MIN_ROC_AUC
    return {
        "level": GOAL_LEVEL,
        "band": list(FLAG_BAND),
        "relative": relative,
        "relative_ci95": level.get("relative_ci95"),
        "in_band": in_band,
        "roc_auc": auc,
        "min_roc_auc": GOAL_MIN_ROC_AUC,
        "roc_auc_ok": auc_ok,
        "met": in_band and auc_ok,
    }


# -- user models ----------------------------------------------------------------------------
USER_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("new_vs_established_activity", "edits_1", "edits_10_plus"),
    ("young_vs_older_accounts", "active_lt_1d", "active_gt_30d"),
)


def user_slices(edit_counts: Any, spans: Any) -> list[Slice]:
    """Accounts by activity (edits in the data) and by account age at their last edit.

    The VEWS data has no registration times; the time from an account's first to its last
    edit is used as its age (a lower bound: the account existed before its first edit).
    """
    edits = np.asarray(edit_counts, dtype=int)
    span = np.asarray(spans, dtype=float)
    return [
        Slice("edits_1", "1 edit", edits == 1),
        Slice("edits_2_9", "2–9 edits", (edits >= 2) & (edits <= 9)),
        Slice("edits_10_plus", "10 or more edits", edits >= 10),
        Slice("active_lt_1d", "account age < 1 day (first to last edit)", span < DAY),
        Slice("active_1d_30d", "account age 1–30 days", (span >= DAY) & (span <= 30 * DAY)),
        Slice("active_gt_30d", "account age > 30 days", span > 30 * DAY),
    ]


def audit_user(
    artifact: Any,
    sequences: Sequence[np.ndarray],
    labels: Any,
    edit_counts: Any,
    spans: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Audit a user (vandal early warning) model from each account's prefix probabilities.

    Scores are each account's latest probability (all its edits); an account is flagged at a
    level when any prefix reached it (how early warning flags: once, as soon as it crosses).
    No counterfactual: the model's inputs are the account's own behaviour, there is no editor
    attribute to flip.
    """
    from wikiscore.models.levels import level_for

    y = np.asarray(labels).astype(bool)
    latest = np.array([float(s[-1]) for s in sequences])
    highest = np.array([float(np.max(s)) for s in sequences])
    order = [str(lv["name"]) for lv in sorted(artifact.levels, key=lambda lv: lv["threshold"])]
    levels = [level_for(float(p), artifact.levels) for p in highest]
    flags = flag_masks(levels, order)
    slices = user_slices(edit_counts, spans)
    per_slice = slice_metrics(y, latest, slices, n_boot=n_boot, seed=seed)
    for key, rates in rates_by_level(y, flags, slices).items():
        per_slice[key]["levels"] = rates
    all_rates = rates_by_level(y, flags, [Slice("all", "all accounts", np.ones(y.size, bool))])
    impact = pair_impacts(y, flags, slices, USER_PAIRS, n_boot=n_boot, seed=seed)
    return {
        "kind": "user",
        "model": artifact.name,
        "version": artifact.version,
        "model_sha256": artifact.metadata.get("model_sha256"),
        "level_order": order,
        "levels": {"all": [dict(lv) for lv in artifact.levels]},
        "group_aware_levels": False,
        "scores": "latest probability per account; flags: any prefix reached the level",
        "metrics": binary_metrics(y, latest, n_boot=n_boot, seed=seed),
        "calibration": calibration_curve(y, latest),
        "level_rates": all_rates["all"],
        "slices": per_slice,
        "disparate_impact": impact,
        "counterfactual": None,
        "counterfactual_note": (
            "not computed: the model reads only the account's own edits (pages, timing, "
            "titles, username), there is no anonymous/registered or account-age input to flip"
        ),
    }


# -- entry point ----------------------------------------------------------------------------
def run_audit(
    model: str,
    data: Path,
    *,
    model_dir: Path | None = None,
    out_of_fold: bool = False,
    pooled_levels: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Audit a registered model (or the artifact in ``model_dir``) on ``data``.

    Returns ``(audit, arrays)``: the JSON-able audit and the arrays the report plots need
    (``y``, ``p``, ``slices``). Edit models read an editquality file; ``out_of_fold`` scores
    its rows with the nested-CV outer-fold models re-fitted from the artifact's recorded
    choices (only for the model's own training file: the honest figures for it); for the
    user model it re-runs its grouped cross-validation (minutes) and checks the result against
    the artifact's stored threshold table.
    ``pooled_levels`` audits an edit model as if it had no ``group_levels`` step. User models
    read a directory of UMD VEWS CSVs.
    """
    from wikiscore.models.artifact import ModelArtifact
    from wikiscore.models.registry import get_spec

    spec = get_spec(model) if model_dir is None else None
    artifact = ModelArtifact.load(Path(model_dir) if model_dir else spec.artifact_dir)  # type: ignore[union-attr]
    if artifact.kind == "user":
        return _run_user_audit(
            artifact, Path(data), out_of_fold=out_of_fold, n_boot=n_boot, seed=seed
        )
    if pooled_levels:
        grouped = artifact.group_levels is not None
        artifact = without_group_levels(artifact)
        if grouped:
            artifact.display_name = f"{artifact.name} {artifact.version}, pooled levels"
    audit, arrays = _run_edit_audit(
        artifact, Path(data), out_of_fold=out_of_fold, n_boot=n_boot, seed=seed
    )
    audit["display_name"] = getattr(artifact, "display_name", None) or (
        f"{artifact.name} {artifact.version}"
    )
    return audit, arrays


def _provenance_note(artifact: Any, sha256: str, out_of_fold: bool) -> dict[str, Any]:
    trained_on = (artifact.metadata.get("training_data") or {}).get("sha256")
    if out_of_fold:
        return {
            "source": "nested cross-validation: each edit scored by the outer-fold model that "
            "did not see it (re-fitted from the artifact's recorded choices, checked against "
            "its stored out-of-fold threshold table); levels as the artifact defines them"
        }
    out: dict[str, Any] = {"source": "scored by the artifact"}
    if trained_on and trained_on == sha256:
        out["warning"] = (
            "this file is the model's training data: scores are in-sample and optimistic; "
            "use --out-of-fold for honest figures"
        )
    return out


_OOF_SCORERS: dict[tuple[str, str], Any] = {}


def _oof_scorer(artifact: Any, table: Any) -> Any:
    """The re-fitted outer-fold models, kept for the process (an audit with pooled levels of
    the same model on the same data needs them again)."""
    from wikiscore.training.editrisk import out_of_fold_scorer

    key = (str(artifact.metadata.get("model_sha256")), str(table.sha256))
    if key not in _OOF_SCORERS:
        _OOF_SCORERS[key] = out_of_fold_scorer(artifact, table)
    return _OOF_SCORERS[key]


def _run_edit_audit(
    artifact: Any, data: Path, *, out_of_fold: bool, n_boot: int, seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    from wikiscore.training.tsv import read_editquality_tsv

    table = read_editquality_tsv(data)
    scorer = None
    deltas: dict[str, np.ndarray] = {}
    if out_of_fold:
        scorer = _oof_scorer(artifact, table).predict_proba
    try:
        audit = audit_edit(
            artifact,
            table.X,
            table.y,
            table.feature_names,
            scorer=scorer,
            n_boot=n_boot,
            seed=seed,
            deltas_out=deltas,
        )
    except KeyError as exc:
        raise InvalidInput(f"{data} cannot be audited with {artifact.name}: {exc}") from None
    audit["data"] = table.provenance()
    audit.update(_provenance_note(artifact, table.sha256, out_of_fold))
    from wikiscore.models.inputs import column_indices

    inputs = table.X[:, column_indices(table.feature_names, artifact.feature_names)]
    p = scorer(inputs) if scorer else artifact.predict_proba(inputs)
    arrays = {
        "y": table.y,
        "p": p,
        "slices": _edit_slices(table.X, table.feature_names),
        "deltas": deltas,
    }
    return audit, arrays


def _run_user_audit(
    artifact: Any, data: Path, *, out_of_fold: bool, n_boot: int, seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        from wikiscore.scoring.user import load_text_scorers
        from wikiscore.training.user_warning import (
            load_vews,
            prefix_probabilities,
            prepare_users,
        )
    except ImportError as exc:  # the user-warning code is another helper's, and may move
        raise InvalidInput(f"the user-warning audit needs the user-warning code: {exc}") from None
    if not data.is_dir():
        raise InvalidInput(f"{data}: a user model is audited on a directory of UMD VEWS CSVs")
    dataset = load_vews(data)
    users = prepare_users(dataset, signals=bool(artifact.metadata.get("signals")))
    if not users:
        raise InvalidInput(f"{data} holds no accounts with edits")
    try:
        if out_of_fold:
            sequences = _user_out_of_fold(artifact, users)
        else:
            sequences = prefix_probabilities(artifact, load_text_scorers(artifact), users)
    except ValueError as exc:  # artifact and feature code out of step: say so, no traceback
        raise InvalidInput(f"cannot score {data} with {artifact.name}: {exc}") from None
    labels = np.array([u.is_vandal for u in users])
    counts = np.array([len(u.edits) for u in users])
    spans = np.array([u.edits[-1].timestamp - u.edits[0].timestamp for u in users])
    audit = audit_user(artifact, sequences, labels, counts, spans, n_boot=n_boot, seed=seed)
    audit["display_name"] = f"{artifact.name} {artifact.version}"
    summary = dataset.summary()
    audit["data"] = {k: v for k, v in summary.items() if k != "directory"} | {
        "directory": data.name
    }
    trained = (artifact.metadata.get("training") or {}).get("data", {}).get("files_sha256")
    audit["source"] = "scored by the artifact"
    if out_of_fold:
        audit["source"] = (
            "grouped cross-validation re-run with the artifact's recorded settings: each "
            "account scored by the fold model that did not see it, with the artifact's "
            "calibration (checked against its stored threshold table)"
        )
    elif trained and trained == summary.get("files_sha256"):
        audit["warning"] = (
            "this directory is the model's training data: scores are in-sample and optimistic"
        )
    latest = np.array([float(s[-1]) for s in sequences])
    arrays = {"y": labels, "p": latest, "slices": user_slices(counts, spans)}
    return audit, arrays


def _user_out_of_fold(artifact: Any, users: Sequence[Any]) -> list[np.ndarray]:
    """Out-of-fold prefix probabilities of the user model's own cross-validation."""
    from wikiscore.evaluation.thresholds import threshold_table
    from wikiscore.models.calibration import apply_calibration
    from wikiscore.training.user_warning import EVAL_KS, at_k, cross_validate

    meta = artifact.metadata
    params = (meta.get("training") or {}).get("params") or {}
    raw, _ = cross_validate(
        users,
        signals=bool(meta.get("signals")),
        n_folds=int((meta.get("cv") or {}).get("folds", 5)),
        seed=int(params.get("seed", 0)),
        rounds=int(params.get("rounds", 250)),
    )
    sequences = [apply_calibration(artifact.calibration, r) for r in raw]
    stored = meta.get("threshold_table") or {}
    labels = np.array([u.is_vandal for u in users])
    pooled = np.concatenate([at_k(sequences, k) for k in EVAL_KS])
    table = threshold_table(np.tile(labels, len(EVAL_KS)), pooled, stored.get("threshold", []))
    for key in ("tp", "fp", "tn", "fn"):
        if [int(v) for v in table[key]] != [int(v) for v in stored.get(key, [])]:
            raise InvalidInput(
                f"could not reproduce {artifact.name}'s out-of-fold predictions (its stored "
                "threshold table differs): was it trained on these data with this code?"
            )
    return sequences


def finite_or_none(value: Any) -> Any:
    """NaN/inf → None, recursively (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    if isinstance(value, np.generic):
        return finite_or_none(value.item())
    return value
