"""Training and evaluation of edit-risk models (``wikiscore train/evaluate enwiki-editrisk``).

Owns the edit-risk recipe: read an editquality feature file, turn the nine revscoring features
into the model's inputs (:mod:`wikiscore.models.inputs`), estimate the whole procedure's quality
by *nested* stratified cross-validation (hyper-parameter search, early stopping and calibration
all re-run inside each outer training part), then select and fit the final model on all rows,
and write the artifact (LightGBM text model + ``metadata.json``). Evaluation scores any file in
the same format with a committed or given artifact. :class:`EditModelConfig` makes variants
(e.g. a content-only model without user features) a matter of configuration.

Fairness: with a :class:`~wikiscore.training.group_levels.GroupLevelPolicy` in the config, the
level thresholds of anonymous and registered editors are chosen separately on the nested
out-of-fold predictions (a ``group_levels`` post-processing step in the artifact), and
``metadata["cv"]["fairness"]`` records the flag-rate ratios with pooled and with group-aware
levels, including a cross-fitted estimate. :func:`out_of_fold_scorer` re-fits the outer-fold
models of a trained artifact from its recorded choices, for audits of the training data.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from wikiscore.config import repo_root
from wikiscore.errors import InvalidInput
from wikiscore.evaluation.metrics import binary_metrics, calibration_curve
from wikiscore.evaluation.slices import editor_slices, slice_metrics
from wikiscore.evaluation.thresholds import (
    compact_table,
    table_at,
    table_counts,
    threshold_query,
    threshold_table,
)
from wikiscore.models.artifact import ModelArtifact, group_levels_step, write_artifact
from wikiscore.models.calibration import apply_calibration
from wikiscore.models.inputs import (
    DERIVED,
    EDIT_FEATURES,
    IN_BOT_SYSOP,
    IS_ANON,
    SECONDS_SINCE_REGISTRATION,
    InputSpec,
    Mask,
    column_indices,
)
from wikiscore.models.levels import DEFAULT_LEVEL_QUERIES, LEVEL_NAMES, build_levels, level_for
from wikiscore.training.group_levels import (
    GroupLevelPolicy,
    cross_fitted_levels,
    derive_group_levels,
)
from wikiscore.training.provenance import code_provenance
from wikiscore.training.registry import ModelJob
from wikiscore.training.selection import (
    Trial,
    candidate_params,
    cross_validate,
    fit_booster,
    fit_calibration,
    select_params,
    stratified_folds,
)
from wikiscore.training.tsv import EditQualityData, read_editquality_tsv

logger = logging.getLogger("wikiscore.training")
REPO_ROOT = repo_root()  # None outside a source checkout
DEFAULT_DATA = (
    "../shared/data/editquality-enwiki-2015/enwiki.features_reverted.training.20k_2015.tsv.bz2"
)
CHECK_FIXTURE = (
    REPO_ROOT / "tests" / "fixtures" / "models" / "enwiki-editrisk-slice.tsv"
    if REPO_ROOT is not None
    else None
)

ANON_AGE_MASK = Mask(
    feature=SECONDS_SINCE_REGISTRATION,
    when=IS_ANON,
    value=None,
    reason=(
        "For anonymous editors the 2015 training file holds the seconds since 2006-01-01 (a "
        "proxy for the edit date), while revscoring 2.11 and wikiscore's live features give 0. "
        "The value is treated as missing for anonymous editors in training and serving alike, "
        "so it carries no date signal and no training/serving skew."
    ),
)

DERIVED_FEATURES: tuple[str, ...] = (
    "derived.words_net",
    "derived.words_log_ratio",
    "derived.words_added_share",
    "derived.bad_or_informal_added",
    "derived.any_bad_or_informal_added",
    "derived.non_stopword_delta_per_word",
    "derived.non_stopword_delta_per_added_word",
)

# Grid of thresholds for the stored table (probabilities, so 0.001 steps are fine-grained).
TABLE_GRID = np.round(np.arange(0.0, 1.0005, 0.001), 3)
REPORT_GRID = np.round(np.arange(0.05, 1.0, 0.05), 2)
DEFAULT_QUERIES: tuple[str, ...] = (
    "maximum recall @ precision >= 0.9",
    "maximum recall @ precision >= 0.6",
    "maximum recall @ precision >= 0.45",
    "maximum recall @ precision >= 0.15",
    "maximum filter_rate @ recall >= 0.9",
    "maximum filter_rate @ recall >= 0.75",
    "maximum !recall @ !precision >= 0.99",
)


@dataclass(frozen=True)
class EditModelConfig:
    """What distinguishes one edit model from another trained by this recipe."""

    name: str = "enwiki-editrisk"
    version: str = "1.0.0"
    wiki: str = "enwiki"
    lang: str = "en"
    description: str = (
        "Probability that an edit to English Wikipedia will be reverted, from the nine "
        "revscoring edit features (diff words, badwords, informals, non-stopwords, editor "
        "anonymity, bot/administrator status, account age)."
    )
    features: tuple[str, ...] = EDIT_FEATURES
    masks: tuple[Mask, ...] = (ANON_AGE_MASK,)
    derived: tuple[str, ...] = DERIVED_FEATURES
    level_queries: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVEL_QUERIES))
    default_threshold: float = 0.5
    #: Group-aware level thresholds (fairness post-processing); None: pooled levels only.
    #: Skipped when the grouping feature is not an input (e.g. a content-only model).
    group_levels: GroupLevelPolicy | None = None
    #: (version, date, what changed), oldest first, for the model card.
    history: tuple[tuple[str, str, str], ...] = ()
    #: Model card texts overriding the defaults (keys as in ``metadata["model_card"]``).
    card: Mapping[str, str] = field(default_factory=dict)

    def input_spec(self) -> InputSpec:
        """The input steps; masks and derived features whose inputs are absent are dropped
        (so a variant only has to list its features, e.g. a content-only model)."""
        names = set(self.features)
        masks = tuple(m for m in self.masks if m.feature in names and m.when in names)
        derived = tuple(d for d in self.derived if set(DERIVED[d].sources) <= names)
        return InputSpec(self.features, masks, derived)


@dataclass(frozen=True)
class TrainOptions:
    time_budget: float = 900.0
    seed: int = 0
    outer_folds: int = 5
    inner_folds: int = 4
    max_candidates: int = 16
    n_boot: int = 1000
    check_data: Path | None = None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> TrainOptions:
        known = {
            k: v for k, v in options.items() if k in cls.__dataclass_fields__ and v is not None
        }
        if "check_data" in known:
            known["check_data"] = Path(known["check_data"])
        opts = cls(**known)
        if opts.time_budget <= 0:
            raise InvalidInput("--time-budget must be a positive number of seconds")
        return opts


# -- helpers --------------------------------------------------------------------------------
def predictions_text(rev_ids: np.ndarray, probabilities: np.ndarray) -> str:
    """The ``--predictions`` file format: ``rev_id<TAB>probability`` (9 decimals) per line."""
    return "".join(f"{int(r)}\t{p:.9f}\n" for r, p in zip(rev_ids, probabilities, strict=True))


def _matrix(data: EditQualityData, spec: InputSpec) -> np.ndarray:
    return spec.prepare(data.X[:, column_indices(data.feature_names, spec.features)])


def _slices_for(data: EditQualityData) -> list[Any]:
    return editor_slices(
        data.column(IS_ANON), data.column(IN_BOT_SYSOP), data.column(SECONDS_SINCE_REGISTRATION)
    )


def _round(obj: Any, digits: int = 5) -> Any:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: _round(v, digits) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v, digits) for v in obj]
    return obj


def _summary_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("count", "positives", "base_rate", "roc_auc", "pr_auc", "log_loss", "brier", "ece")
    return {k: metrics[k] for k in keep if k in metrics}


# -- training -------------------------------------------------------------------------------
def train_edit_model(
    data_path: Path, out: Path, config: EditModelConfig, options: TrainOptions
) -> dict[str, Any]:
    """Nested-CV estimate, final fit, artifact. Returns a JSON-able summary."""
    started = time.monotonic()
    deadline = started + options.time_budget
    data = read_editquality_tsv(data_path)
    if int(data.y.sum()) < 4 or int((~data.y).sum()) < 4:
        raise InvalidInput(f"{data_path}: need at least 4 reverted and 4 kept edits to train")
    spec = config.input_spec()
    X = _matrix(data, spec)
    y = data.y
    seed = options.seed
    candidates = candidate_params(options.max_candidates, seed)
    duplicate_rows = len(X) - len(np.unique(np.nan_to_num(X, nan=-1.0), axis=0))

    def budget_deadline(selections_left: int) -> float:
        # Keep ~10% of the budget for the final steps; split the rest evenly.
        remaining = deadline - time.monotonic() - 0.1 * options.time_budget
        return time.monotonic() + max(remaining, 0.0) / max(selections_left, 1)

    logger.info(
        "%s: %d edits (%d reverted), %d candidates, budget %.0f s",
        data_path.name,
        len(data),
        int(y.sum()),
        len(candidates),
        options.time_budget,
    )
    # 1. Nested CV: every step that learns from data is repeated inside each outer fold.
    outer = stratified_folds(y, options.outer_folds, seed)
    oof_prob, oof_uncalibrated, outer_reports = _nested_cv(
        X, y, outer, candidates, options, budget_deadline
    )

    # 2. Final model on all rows, same procedure.
    selection = select_params(
        X, y, candidates, n_folds=options.inner_folds, seed=seed, deadline=budget_deadline(1)
    )
    calibration, calibration_report = fit_calibration(selection.best.oof_raw, y, seed=seed)
    booster = fit_booster(X, y, selection.best.params, selection.best.n_rounds, seed=seed)
    logger.info(
        "final model: %d candidates, best CV log loss %.4f (%d rounds), calibration %s",
        len(selection.trials),
        selection.best.log_loss,
        selection.best.n_rounds,
        calibration["method"],
    )
    ablations = _ablations(data, config, selection.best, options)

    # 3. Figures from the nested out-of-fold predictions (honest estimates of the procedure).
    cv_metrics = binary_metrics(y, oof_prob, n_boot=options.n_boot, seed=seed)
    uncalibrated = binary_metrics(y, oof_uncalibrated, n_boot=0)
    slices = slice_metrics(y, oof_prob, _slices_for(data), n_boot=options.n_boot, seed=seed)
    table = threshold_table(y, oof_prob, TABLE_GRID)
    levels = build_levels(table, config.level_queries)
    full_table = threshold_table(y, oof_prob)
    queries = {q: threshold_query(full_table, q) for q in DEFAULT_QUERIES}
    postprocessing, fairness = _fairness(data, spec, config, oof_prob, levels, outer, options)

    metadata: dict[str, Any] = {
        "name": config.name,
        "version": config.version,
        "kind": "edit",
        "wiki": config.wiki,
        "lang": config.lang,
        "target": "reverted",
        "description": config.description,
        "type": "LightGBM gradient-boosted trees, calibrated",
        "library": "lightgbm",
        "inputs": spec.to_json(),
        "model_features": list(spec.model_features),
        "params": {**selection.best.params, "n_rounds": selection.best.n_rounds},
        "calibration": calibration,
        "default_threshold": config.default_threshold,
        "default_threshold_stats": table_at(table, config.default_threshold),
        "levels": levels,
        "level_queries": dict(config.level_queries),
        "threshold_table": {
            **table_counts(table),
            "source": "nested cross-validation out-of-fold calibrated probabilities",
        },
        "statistics": {
            "source": "nested stratified cross-validation (out-of-fold predictions)",
            **_round(_summary_metrics(cv_metrics)),
            "thresholds": {"true": _round(queries)},
        },
        "cv": {
            "protocol": (
                f"nested stratified CV: {len(outer)} outer folds; inside each, hyper-parameter "
                f"search over up to {options.max_candidates} candidates by {options.inner_folds}"
                "-fold CV (early stopping on mean validation log loss), calibration fitted on "
                "the inner out-of-fold raw scores, refit on the outer training part"
            ),
            "metrics": _round(cv_metrics),
            "uncalibrated": _round(_summary_metrics(uncalibrated)),
            "calibration_curve": _round(calibration_curve(y, oof_prob)),
            "slices": _round(slices),
            "fairness": fairness,
            "outer_folds": outer_reports,
        },
        "selection": selection.to_json(),
        "ablations": ablations,
        "calibration_selection": calibration_report,
        "training_data": {
            **data.provenance(),
            "duplicate_rev_ids": 0,
            "duplicate_feature_rows": int(duplicate_rows),
            "leakage_note": (
                "The file has rev_id but no page or user ids, so folds cannot be grouped by "
                "page or editor: the same editor or page may appear in training and validation "
                "folds. CV figures may therefore be optimistic for repeat editors/pages. "
                "rev_ids are unique (checked)."
            ),
        },
        "model_card": {**_model_card(config), **dict(config.card)},
        "version_history": [{"version": v, "date": d, "changes": c} for v, d, c in config.history],
        **code_provenance(),
        "seed": seed,
        "options": {
            "time_budget": options.time_budget,
            "outer_folds": options.outer_folds,
            "inner_folds": options.inner_folds,
            "max_candidates": options.max_candidates,
            "n_boot": options.n_boot,
        },
        "postprocessing": postprocessing,
    }
    out = Path(out)
    write_artifact(out, booster.model_to_string(), metadata)

    # 4. Round trip through the written artifact: predictions checksums for later checks.
    artifact = ModelArtifact.load(out)
    checks = []
    check_path = options.check_data or (
        CHECK_FIXTURE if CHECK_FIXTURE is not None and CHECK_FIXTURE.exists() else None
    )
    if check_path is not None:
        checks.append(prediction_check(artifact, Path(check_path)))
    metadata["prediction_checks"] = checks
    metadata["trained"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    metadata["training_seconds"] = round(time.monotonic() - started, 1)
    write_artifact(out, booster.model_to_string(), metadata)
    ModelArtifact.load(out)
    return {
        "model": config.name,
        "version": config.version,
        "out": str(out),
        "training_data": data.provenance(),
        "cv": _round(_summary_metrics(cv_metrics)),
        "cv_slices": {k: _round(_summary_metrics(v)) for k, v in slices.items()},
        "levels": _round(levels),
        "fairness_relative_flag_ratio": {
            name: {level: entry["relative"] for level, entry in fairness[name].items()}
            for name in ("pooled_levels", "group_levels", "group_levels_cross_fitted")
            if name in fairness
        },
        "params": metadata["params"],
        "calibration": calibration_report,
        "ablations": ablations,
        "candidates_tried": len(selection.trials),
        "training_seconds": metadata["training_seconds"],
    }


def _nested_cv(
    X: np.ndarray,
    y: np.ndarray,
    outer: list[tuple[np.ndarray, np.ndarray]],
    candidates: list[dict[str, Any]],
    options: TrainOptions,
    budget_deadline: Any,
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """Outer-fold predictions (calibrated, uncalibrated) and what each outer fold chose."""
    seed = options.seed
    oof_prob = np.zeros(y.size)
    oof_uncalibrated = np.zeros(y.size)
    outer_reports = []
    for position, (train, test) in enumerate(outer):
        selection = select_params(
            X[train],
            y[train],
            candidates,
            n_folds=options.inner_folds,
            seed=seed + 1 + position,
            deadline=budget_deadline(len(outer) - position + 1),
        )
        calibration, _ = fit_calibration(selection.best.oof_raw, y[train], seed=seed)
        booster = fit_booster(
            X[train], y[train], selection.best.params, selection.best.n_rounds, seed=seed
        )
        raw = booster.predict(X[test], raw_score=True)
        oof_uncalibrated[test] = apply_calibration({"method": "identity"}, raw)
        oof_prob[test] = apply_calibration(calibration, raw)
        logger.info(
            "outer fold %d/%d: %d candidates, best CV log loss %.4f (%d rounds), calibration %s",
            position + 1,
            len(outer),
            len(selection.trials),
            selection.best.log_loss,
            selection.best.n_rounds,
            calibration["method"],
        )
        outer_reports.append(
            {
                "fold": position,
                "candidates_tried": len(selection.trials),
                "best": selection.best.to_json(),
                "calibration": calibration["method"],
            }
        )
    return oof_prob, oof_uncalibrated, outer_reports


def _fairness(
    data: EditQualityData,
    spec: InputSpec,
    config: EditModelConfig,
    oof_prob: np.ndarray,
    levels: list[dict[str, Any]],
    outer: list[tuple[np.ndarray, np.ndarray]],
    options: TrainOptions,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(post-processing steps, ``cv.fairness``): anonymous/registered flag-rate ratios on the
    out-of-fold predictions with pooled levels and, when the config asks for them and the model
    reads the grouping feature, with group-aware levels (in-sample and cross-fitted)."""
    from wikiscore.evaluation.audit import disparate_impact, flag_masks

    y = data.y
    anon = data.column(IS_ANON) != 0
    order = list(LEVEL_NAMES)

    def impact(row_levels: list[str]) -> dict[str, Any]:
        flags = flag_masks(row_levels, order)
        found = disparate_impact(
            y, flags, anon, ~anon, n_boot=min(options.n_boot, 1000), seed=options.seed
        )
        return _round(found)

    pooled = [level_for(float(p), levels) for p in oof_prob]
    fairness: dict[str, Any] = {
        "groups": {"group": "anonymous", "reference": "registered"},
        "source": "nested cross-validation out-of-fold calibrated probabilities",
        "pooled_levels": impact(pooled),
    }
    policy = config.group_levels
    if policy is None or policy.feature not in spec.features:
        return [], fairness
    per_group, derivation = derive_group_levels(
        y, oof_prob, data.column(policy.feature), levels, policy
    )
    tables = {policy.groups["nonzero"]: per_group[policy.groups["nonzero"]]}
    tables[policy.groups["zero"]] = per_group[policy.groups["zero"]]
    grouped = [
        level_for(float(p), tables[policy.groups["nonzero" if a else "zero"]])
        for p, a in zip(oof_prob, anon, strict=True)
    ]
    if not any(entry.get("reachable") for entry in derivation["levels"].values()):
        fairness["group_levels_note"] = (
            "no group-aware threshold met both the flag-rate ratio and the precision of its "
            "level on these data: pooled levels only"
        )
        return [], fairness
    cross = cross_fitted_levels(
        y, oof_prob, data.column(policy.feature), outer, config.level_queries, policy
    )
    fairness["group_levels"] = impact(grouped)
    fairness["group_levels_cross_fitted"] = impact(cross)
    fairness["cross_fitted_note"] = (
        "thresholds (pooled and per group) chosen on 4 of the 5 outer folds' out-of-fold "
        "predictions and applied to the fifth: how the procedure does on edits it did not see"
    )
    derivation["cross_fitted"] = {
        level: {k: entry[k] for k in ("flag_ratio", "true_ratio", "relative", "relative_ci95")}
        for level, entry in fairness["group_levels_cross_fitted"].items()
    }
    step = group_levels_step(policy.feature, policy.groups, per_group, _round(derivation))
    return [step], fairness


@dataclass
class OutOfFoldScorer:
    """The outer-fold models of a trained artifact: scores each training row with the model
    that did not see it. ``predict_proba`` takes the artifact's input columns for exactly the
    training rows, in file order (e.g. with editor features flipped, for counterfactuals)."""

    spec: InputSpec
    folds: list[tuple[np.ndarray, np.ndarray]]
    boosters: list[Any]
    calibrations: list[dict[str, Any]]

    def predict_proba(self, X: Any) -> np.ndarray:
        matrix = self.spec.prepare(X)
        n = sum(len(test) for _, test in self.folds)
        if matrix.shape[0] != n:
            raise ValueError(f"out-of-fold scoring needs the {n} training rows, got {len(matrix)}")
        out = np.zeros(n)
        for (_, test), booster, calibration in zip(
            self.folds, self.boosters, self.calibrations, strict=True
        ):
            raw = booster.predict(matrix[test], raw_score=True, num_threads=1)
            out[test] = apply_calibration(calibration, raw)
        return out


def out_of_fold_scorer(artifact: ModelArtifact, data: EditQualityData) -> OutOfFoldScorer:
    """Re-fit the nested-CV outer-fold models of ``artifact`` on its training ``data``.

    Uses the choices recorded in ``metadata["cv"]["outer_folds"]`` (parameters, rounds,
    calibration method) with the same folds and seeds, so no search is repeated (seconds, not
    minutes). The result is checked against the stored out-of-fold threshold table; any
    difference (other data, other library versions) is an InvalidInput, not a silent change.
    """
    meta = artifact.metadata
    expected = (meta.get("training_data") or {}).get("sha256")
    if data.sha256 != expected:
        raise InvalidInput(
            f"{data.path.name} is not {artifact.name}'s training data (sha256 {data.sha256[:12]}"
            f"…, expected {str(expected)[:12]}…): out-of-fold scores exist only for it"
        )
    options, seed = meta.get("options") or {}, int(meta.get("seed", 0))
    reports = (meta.get("cv") or {}).get("outer_folds") or []
    y = data.y
    outer = stratified_folds(y, int(options.get("outer_folds", 5)), seed)
    if len(reports) != len(outer):
        raise InvalidInput(f"{artifact.name}: metadata does not record every outer fold")
    spec = artifact.inputs
    X = _matrix(data, spec)
    boosters, calibrations = [], []
    for position, ((train, _), report) in enumerate(zip(outer, reports, strict=True)):
        params, rounds = report["best"]["params"], int(report["best"]["n_rounds"])
        inner = stratified_folds(y[train], int(options.get("inner_folds", 4)), seed + 1 + position)
        trial = cross_validate(X[train], y[train], params, inner, seed=seed + 1 + position)
        calibration, _ = fit_calibration(
            trial.oof_raw, y[train], methods=(report["calibration"],), seed=seed
        )
        boosters.append(fit_booster(X[train], y[train], params, rounds, seed=seed))
        calibrations.append(calibration)
    scorer = OutOfFoldScorer(spec, outer, boosters, calibrations)
    probabilities = scorer.predict_proba(
        data.X[:, column_indices(data.feature_names, spec.features)]
    )
    stored = meta["threshold_table"]
    table = threshold_table(y, probabilities, stored["threshold"])
    if any([int(v) for v in table[k]] != list(stored[k]) for k in ("tp", "fp", "tn", "fn")):
        raise InvalidInput(
            f"could not reproduce {artifact.name}'s out-of-fold predictions (the threshold "
            "table differs from metadata.json: other library versions?)"
        )
    return scorer


def _ablations(
    data: EditQualityData, config: EditModelConfig, best: Trial, options: TrainOptions
) -> dict[str, Any]:
    """The chosen parameters re-cross-validated without each optional input step (same folds).

    Evidence for keeping the derived features; the anonymous-age mask is kept regardless
    (it removes training/serving skew), its row shows what the date proxy was worth.
    """
    folds = stratified_folds(data.y, options.inner_folds, options.seed)
    variants = {"as_trained": config}
    if config.derived:
        variants["without_derived_features"] = replace(config, derived=())
    if config.masks:
        variants["without_anonymous_age_mask"] = replace(config, masks=())
    out = {}
    for label, variant in variants.items():
        trial = cross_validate(
            _matrix(data, variant.input_spec()), data.y, best.params, folds, seed=options.seed
        )
        out[label] = {k: v for k, v in trial.to_json().items() if k != "params"}
    return out


def prediction_check(artifact: ModelArtifact, path: Path) -> dict[str, Any]:
    """sha256 of the ``--predictions`` output for ``path`` (to detect any change in scoring)."""
    data = read_editquality_tsv(path)
    probs = artifact.predict_proba(
        data.X[:, column_indices(data.feature_names, artifact.feature_names)]
    )
    text = predictions_text(data.rev_ids, probs)
    try:
        shown = str(path.resolve().relative_to(REPO_ROOT)) if REPO_ROOT else path.name
    except ValueError:
        shown = path.name
    return {
        "file": shown,
        "data_sha256": data.sha256,
        "rows": len(data),
        "predictions_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "format": "rev_id<TAB>probability with 9 decimals, one line per row (evaluate "
        "--predictions)",
    }


def _model_card(config: EditModelConfig) -> dict[str, Any]:
    return {
        "intended_use": (
            "Rank recent edits so patrollers see the riskiest first; filter recent changes by "
            "level. A probability of revert, not a verdict: a person decides."
        ),
        "not_for": (
            "Automatic reverts or sanctions; judging editors; wikis other than English "
            "Wikipedia (language-specific word lists and 2015 English Wikipedia behaviour)."
        ),
        "label": (
            "reverted: the edit was undone by an identity revert soon after (editquality "
            "2015). Reverts include good-faith mistakes and edit wars, not only vandalism."
        ),
        "known_biases": (
            "Anonymous editors and new accounts are reverted far more often and the model "
            "uses both facts: their good edits get higher scores. See cv.slices for per-group "
            "calibration and accuracy."
        ),
        "features": list(config.features),
    }


# -- evaluation -----------------------------------------------------------------------------
def evaluate_edit_model(
    data_path: Path,
    model_dir: Path,
    *,
    predictions: Path | None = None,
    report: Path | None = None,
    queries: tuple[str, ...] = DEFAULT_QUERIES,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Score an editquality file with the artifact in ``model_dir``; metrics as a dict."""
    artifact = ModelArtifact.load(model_dir)
    data = read_editquality_tsv(data_path)
    try:
        columns = column_indices(data.feature_names, artifact.feature_names)
    except KeyError as exc:
        raise InvalidInput(f"{data_path} cannot be scored by {artifact.name}: {exc}") from None
    probs = artifact.predict_proba(data.X[:, columns])
    y = data.y
    full_table = threshold_table(y, probs)
    answered = {}
    for query in queries:
        try:
            answered[query] = threshold_query(full_table, query)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    levels = []
    row_levels = np.asarray(artifact.levels_for_rows(data.X[:, columns], probs.tolist()))
    for level in artifact.levels:
        lower, upper = float(level["threshold"]), level.get("upper")
        # Group-aware levels (if any) decide each row's level, as when served.
        in_level = row_levels == level["name"]
        levels.append(
            {
                "name": level["name"],
                "threshold": lower,
                "upper": upper,
                "count": int(in_level.sum()),
                "reverted_rate": float(y[in_level].mean()) if in_level.any() else None,
                "flagged_at_threshold": table_at(full_table, lower),
            }
        )
    slices = _slices_for(data)
    result: dict[str, Any] = {
        "model": artifact.name,
        "version": artifact.version,
        "data": data.provenance(),
        "metrics": binary_metrics(y, probs, n_boot=n_boot, seed=seed),
        "calibration": calibration_curve(y, probs),
        "default_threshold": {
            "threshold": artifact.default_threshold,
            **table_at(full_table, artifact.default_threshold),
        },
        "thresholds": {
            "queries": answered,
            "table": compact_table(full_table, REPORT_GRID),
        },
        "levels": levels,
        "slices": slice_metrics(y, probs, slices, n_boot=n_boot, seed=seed),
    }
    if data.sha256 == artifact.metadata.get("training_data", {}).get("sha256"):
        result["warning"] = (
            "this file is the model's training data: these figures are in-sample and "
            "optimistic; metadata.json 'cv' holds the honest cross-validated estimates"
        )
    if predictions is not None:
        predictions = Path(predictions)
        predictions.parent.mkdir(parents=True, exist_ok=True)
        predictions.write_text(predictions_text(data.rev_ids, probs), encoding="utf-8")
        result["predictions"] = str(predictions)
    if report is not None:
        from wikiscore.evaluation.report import write_report

        files = write_report(
            Path(report),
            title=f"{artifact.name} {artifact.version} on {data.path.name}",
            metrics=result,
            y_true=y,
            y_prob=probs,
            slices=slices,
        )
        result["report"] = [str(f) for f in files]
    return _round(result, 6)


# -- the jobs registered as "enwiki-editrisk" and "enwiki-editrisk-content" -----------------
#: The served edit-risk model: all nine features, group-aware likely-bad thresholds.
MAIN_CONFIG = EditModelConfig(
    version="1.1.0",
    group_levels=GroupLevelPolicy(),
    history=(
        (
            "1.0.0",
            "2026-11-25",
            "First release: LightGBM on the nine revscoring features, nested CV, calibrated; "
            "anonymous editors' account age treated as missing.",
        ),
        (
            "1.1.0",
            "2026-11-25",
            "Fairness: group-aware likely_bad thresholds for anonymous and registered editors "
            "(group_levels post-processing), chosen on out-of-fold predictions so that the "
            "anonymous/registered flag-rate ratio matches the true revert-rate ratio. The "
            "trees, calibration and probabilities are those of 1.0.0.",
        ),
    ),
    card={
        "known_biases": (
            "Anonymous editors and new accounts are reverted far more often and the model "
            "uses both facts: the same edit scores higher when made anonymously. With pooled "
            "thresholds the likely_bad level flagged anonymous edits about 24x as often as "
            "registered ones while they are reverted about 9x as often; the group-aware "
            "thresholds bring the flag-rate ratio to the true-label ratio, at the price of "
            "unequal precision (a registered editor's likely_bad edit is reverted less often "
            "than an anonymous editor's). See cv.fairness and the audit report."
        ),
    },
)

#: A fairer comparison point: the six content features only (no editor features).
CONTENT_CONFIG = EditModelConfig(
    name="enwiki-editrisk-content",
    version="1.0.0",
    description=(
        "Probability that an edit to English Wikipedia will be reverted, from the six content "
        "features only (diff words, badwords, informals, non-stopwords, repeated characters): "
        "who made the edit is not an input."
    ),
    features=EDIT_FEATURES[:6],
    history=(
        (
            "1.0.0",
            "2026-11-25",
            "First release: the edit-risk recipe without the three editor features "
            "(anonymity, bot/administrator, account age).",
        ),
    ),
    card={
        "known_biases": (
            "Who made an edit is not an input, so the same edit gets the same score whoever "
            "made it (counterfactual changes of the editor move nothing). It ranks edits less "
            "well, and it flags anonymous edits less often relative to registered ones than "
            "they are actually reverted: anonymous editors' bad edits are missed more often."
        ),
    },
)


def _trainer(config: EditModelConfig) -> Any:
    def train(data: Path, out: Path, options: Mapping[str, Any]) -> dict[str, Any]:
        return train_edit_model(Path(data), Path(out), config, TrainOptions.from_mapping(options))

    return train


def _evaluator(config: EditModelConfig) -> Any:
    def evaluate(
        data: Path,
        model_dir: Path | None,
        predictions: Path | None,
        report: Path | None,
        options: Mapping[str, Any],
    ) -> dict[str, Any]:
        from wikiscore.training.registry import default_model_dir

        queries = tuple(options.get("queries") or DEFAULT_QUERIES)
        return evaluate_edit_model(
            Path(data),
            Path(model_dir) if model_dir else default_model_dir(config.name),
            predictions=predictions,
            report=report,
            queries=queries,
            n_boot=int(options.get("n_boot", 1000)),
            seed=int(options.get("seed") or 0),
        )

    return evaluate


_train = _trainer(MAIN_CONFIG)
_evaluate = _evaluator(MAIN_CONFIG)

JOB = ModelJob(
    name="enwiki-editrisk",
    description="Edit risk for English Wikipedia: probability that an edit will be reverted.",
    default_data=DEFAULT_DATA,
    train=_train,
    evaluate=_evaluate,
)

CONTENT_JOB = ModelJob(
    name="enwiki-editrisk-content",
    description=(
        "Edit risk for English Wikipedia from content features only (no editor features): a "
        "fairness comparison point."
    ),
    default_data=DEFAULT_DATA,
    train=_trainer(CONTENT_CONFIG),
    evaluate=_evaluator(CONTENT_CONFIG),
)

__all__ = [
    "CONTENT_CONFIG",
    "CONTENT_JOB",
    "JOB",
    "MAIN_CONFIG",
    "EditModelConfig",
    "OutOfFoldScorer",
    "TrainOptions",
    "evaluate_edit_model",
    "out_of_fold_scorer",
    "predictions_text",
    "train_edit_model",
]
