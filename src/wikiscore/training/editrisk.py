"""Training and evaluation of edit-risk models (``wikiscore train/evaluate enwiki-editrisk``).

Owns the edit-risk recipe: read an editquality feature file, turn the nine revscoring features
into the model's inputs (:mod:`wikiscore.models.inputs`), estimate the whole procedure's quality
by *nested* stratified cross-validation (hyper-parameter search, early stopping and calibration
all re-run inside each outer training part), then select and fit the final model on all rows,
and write the artifact (LightGBM text model + ``metadata.json``). Evaluation scores any file in
the same format with a committed or given artifact. :class:`EditModelConfig` makes variants
(e.g. a content-only model without user features) a matter of configuration.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

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
from wikiscore.models.artifact import ModelArtifact, write_artifact
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
from wikiscore.models.levels import DEFAULT_LEVEL_QUERIES, build_levels
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
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA = (
    "../shared/data/editquality-enwiki-2015/enwiki.features_reverted.training.20k_2015.tsv.bz2"
)
CHECK_FIXTURE = REPO_ROOT / "tests" / "fixtures" / "models" / "enwiki-editrisk-slice.tsv"

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


def _git_commit() -> dict[str, Any] | None:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def _environment() -> dict[str, str]:
    import lightgbm
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lightgbm.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
    }


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
        "model_card": _model_card(config),
        "environment": _environment(),
        "git": _git_commit(),
        "seed": seed,
        "options": {
            "time_budget": options.time_budget,
            "outer_folds": options.outer_folds,
            "inner_folds": options.inner_folds,
            "max_candidates": options.max_candidates,
            "n_boot": options.n_boot,
        },
        "postprocessing": [],
    }
    out = Path(out)
    write_artifact(out, booster.model_to_string(), metadata)

    # 4. Round trip through the written artifact: predictions checksums for later checks.
    artifact = ModelArtifact.load(out)
    checks = []
    check_path = options.check_data or (CHECK_FIXTURE if CHECK_FIXTURE.exists() else None)
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
        "params": metadata["params"],
        "calibration": calibration_report,
        "ablations": ablations,
        "candidates_tried": len(selection.trials),
        "training_seconds": metadata["training_seconds"],
    }


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
        shown = str(path.resolve().relative_to(REPO_ROOT))
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
    for level in artifact.levels:
        lower, upper = float(level["threshold"]), level.get("upper")
        in_level = (probs >= lower) & (probs < upper if upper is not None else True)
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


# -- the job registered as "enwiki-editrisk" --------------------------------------------------
def _train(data: Path, out: Path, options: Mapping[str, Any]) -> dict[str, Any]:
    return train_edit_model(
        Path(data), Path(out), EditModelConfig(), TrainOptions.from_mapping(options)
    )


def _evaluate(
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
        Path(model_dir) if model_dir else default_model_dir(EditModelConfig().name),
        predictions=predictions,
        report=report,
        queries=queries,
        n_boot=int(options.get("n_boot", 1000)),
        seed=int(options.get("seed") or 0),
    )


JOB = ModelJob(
    name="enwiki-editrisk",
    description="Edit risk for English Wikipedia: probability that an edit will be reverted.",
    default_data=DEFAULT_DATA,
    train=_train,
    evaluate=_evaluate,
)

__all__ = [
    "JOB",
    "EditModelConfig",
    "TrainOptions",
    "evaluate_edit_model",
    "predictions_text",
    "train_edit_model",
]
