"""``wikiscore audit`` and ``wikiscore cards``: fairness audits and model cards from the CLI.

``audit`` audits one model on a labelled file (same formats as ``evaluate``) and writes the
report; ``cards`` regenerates the card and audit report of every registered model into
``docs/models`` (the committed copies). Errors end with a message on stderr and a non-zero
exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from wikiscore.cli.app import app, fail, repo_root
from wikiscore.errors import WikiscoreError

EDIT_DATA = (
    "../shared/data/editquality-enwiki-2015/enwiki.features_reverted.training.20k_2015.tsv.bz2"
)
USER_DATA = "../shared/data/umd-vews"


def _summary(audit: dict[str, Any], files: list[Path] | None = None) -> dict[str, Any]:
    """The headline of an audit for stdout (the full audit is ``audit.json``)."""
    from wikiscore.evaluation.audit import finite_or_none

    metrics = audit["metrics"]
    out: dict[str, Any] = {
        "model": audit["model"],
        "version": audit["version"],
        "source": audit.get("source"),
        "roc_auc": metrics["roc_auc"],
        "pr_auc": metrics["pr_auc"],
        "ece": metrics["ece"],
        "disparate_impact": {
            name: {
                level: {
                    k: entry[k]
                    for k in ("flag_ratio", "true_ratio", "relative", "relative_ci95", "in_band")
                }
                for level, entry in pair["levels"].items()
            }
            for name, pair in audit["disparate_impact"].items()
        },
    }
    if audit.get("counterfactual"):
        out["counterfactual"] = {
            key: {
                k: entry.get(k)
                for k in ("count", "mean_abs_delta", "level_changed", "level_changed_share")
            }
            for key, entry in audit["counterfactual"].items()
        }
    for key in ("goal", "warning"):
        if audit.get(key):
            out[key] = audit[key]
    if files:
        out["report"] = [str(f) for f in files]
    return finite_or_none(out)


def _run(model: str, data: Path, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    from wikiscore.evaluation.audit import run_audit

    try:
        return run_audit(model, data, **options)
    except WikiscoreError as exc:
        raise fail(exc.message) from None
    except OSError as exc:
        raise fail(f"{exc.filename or data}: {exc.strerror or exc}") from None


def _write(directory: Path, audit: dict[str, Any], arrays: dict[str, Any], others: list) -> list:
    from wikiscore.evaluation.audit_report import write_audit_report

    try:
        return write_audit_report(
            directory,
            audit,
            y_true=arrays["y"],
            y_prob=arrays["p"],
            slices=arrays["slices"],
            comparison=others,
            counterfactual_deltas=arrays.get("deltas"),
        )
    except OSError as exc:
        raise fail(f"cannot write the report into {directory}: {exc.strerror or exc}") from None


@app.command()
def audit(
    model: str = typer.Argument(..., help="Model to audit, e.g. enwiki-editrisk or editrisk."),
    data: Path = typer.Option(
        ...,
        "--data",
        help="Labelled data in the model's format: an editquality TSV for edit models, a "
        "directory of UMD VEWS CSVs for the user model.",
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write audit.json, audit.md/html, report.md/html and plots here."
    ),
    model_dir: Path | None = typer.Option(
        None, "--model-dir", help="Artifact directory (default: the committed artifact)."
    ),
    out_of_fold: bool = typer.Option(
        False,
        "--out-of-fold",
        help="On the model's own training data, score each item with the cross-validation "
        "fold model that did not see it (honest figures; edit models re-fit their outer folds "
        "in seconds, the user model re-runs its grouped CV in minutes).",
    ),
    compare: list[str] = typer.Option(
        [],
        "--compare",
        help="Audit another model on the same data and show both side by side (repeatable).",
    ),
    pooled: bool = typer.Option(
        True,
        "--pooled/--no-pooled",
        help="For a model with group-aware levels, also show it with pooled levels.",
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the 95% CIs."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
) -> None:
    """Fairness audit: slices, flag-rate ratios vs true ratios, counterfactuals, calibration.

    Prints a JSON summary; the full audit goes to --report DIR/audit.json with the report.
    """
    if n_boot < 0:
        raise fail("--n-boot must be 0 or more")
    options = {"out_of_fold": out_of_fold, "n_boot": n_boot, "seed": seed}
    found, arrays = _run(model, data, model_dir=model_dir, **options)
    others = []
    if pooled and found.get("group_aware_levels"):
        others.append(_run(model, data, model_dir=model_dir, pooled_levels=True, **options)[0])
    for name in compare:
        others.append(_run(name, data, **options)[0])
    files = _write(report, found, arrays, others) if report is not None else None
    sys.stdout.write(json.dumps(_summary(found, files), indent=2, ensure_ascii=False) + "\n")


@app.command()
def cards(
    out: Path | None = typer.Option(
        None, "--out", help="Directory for cards/audits (default: the checkout's docs/models)."
    ),
    edit_data: Path | None = typer.Option(
        None, "--edit-data", help=f"Edit models' audit data (default: {EDIT_DATA})."
    ),
    user_data: Path | None = typer.Option(
        None, "--user-data", help=f"User model's audit data (default: {USER_DATA})."
    ),
    no_audit: bool = typer.Option(
        False, "--no-audit", help="Cards from metadata and existing audits only (fast)."
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples for the 95% CIs."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed."),
) -> None:
    """Regenerate the model card (and audit report) of every registered model.

    Edit models are audited out-of-fold on their training file; the user model out-of-fold on
    the VEWS directory when its cross-validation can be reproduced, else scored by its
    artifact. A model whose data is absent gets its card from metadata (and any audit already
    in --out). Writes OUT/<model>/card.{md,html,json}, the audit files and OUT/README.md.
    """
    from wikiscore.evaluation.cards import build_card, load_audit, write_card
    from wikiscore.models.registry import available_models, load_model

    root = repo_root()
    out = out or root / "docs" / "models"
    edit_path = edit_data or (root / EDIT_DATA).resolve()
    user_path = user_data or (root / USER_DATA).resolve()
    specs = available_models()
    audits: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    variants: list[dict[str, Any]] = []
    if not no_audit:
        for name, spec in specs.items():
            path = edit_path if spec.kind == "edit" else user_path
            if not path.exists():
                typer.echo(f"{name}: no audit ({path} not found)", err=True)
                continue
            typer.echo(f"{name}: auditing on {path}", err=True)
            trained = (load_model(name).metadata.get("training_data") or {}).get("sha256")
            oof = spec.kind == "user" or (trained is not None and _sha256(path) == trained)
            options = {"out_of_fold": oof, "n_boot": n_boot, "seed": seed}
            audits[name] = _audit_for_card(name, path, options)
            if audits[name][0].get("group_aware_levels"):
                variants.append(_run(name, path, pooled_levels=True, **options)[0])
    rows = []
    for name, spec in specs.items():
        directory = out / name
        if name in audits:
            found, arrays = audits[name]
            others = [a for n, (a, _) in audits.items() if n != name and specs[n].kind == spec.kind]
            if spec.kind == "edit":
                others = [*variants, *others]
            _write(directory, found, arrays, others)
        try:
            card = build_card(spec, load_model(name), load_audit(name, out))
            write_card(directory, card)
        except WikiscoreError as exc:
            raise fail(f"{name}: {exc.message}") from None
        rows.append(card)
        typer.echo(f"{name}: {directory}/card.html", err=True)
    (out / "README.md").write_text(_index(rows), encoding="utf-8")


def _audit_for_card(
    name: str, path: Path, options: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Out-of-fold where possible; a user model whose cross-validation cannot be reproduced
    (other data or code) is scored by its artifact instead, with the in-sample warning."""
    from wikiscore.evaluation.audit import run_audit

    if options["out_of_fold"]:
        try:
            return run_audit(name, path, **options)
        except WikiscoreError as exc:
            typer.echo(f"{name}: no out-of-fold audit ({exc.message}); scoring instead", err=True)
    return _run(name, path, **{**options, "out_of_fold": False})


def _sha256(path: Path) -> str | None:
    import hashlib

    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _index(cards: list[dict[str, Any]]) -> str:
    from wikiscore.evaluation.audit_report import ratio_ci
    from wikiscore.evaluation.markdown import fmt, with_ci

    lines = [
        "# Model cards and fairness audits",
        "",
        "Generated by `wikiscore cards --out docs/models` (or `make cards`); do not edit by "
        "hand. Each model's directory holds `card.md`/`card.html`/`card.json` and, when its "
        "data was available, `audit.md`/`audit.html`/`audit.json` with plots.",
        "",
        "| model | version | kind | ROC-AUC (latest audit) | likely-bad flag ratio vs true "
        "ratio | card | audit |",
        "|---|---|---|---|---|---|---|",
    ]
    for card in cards:
        audit = card.get("audit") or {}
        goal = (card.get("fairness") or {}).get("goal") or {}
        name = card["name"]
        lines.append(
            f"| {name} | {card['version']} | {card['kind']} | "
            f"{with_ci((audit.get('metrics') or {}).get('roc_auc'))} | "
            f"{ratio_ci(goal.get('relative'), goal.get('relative_ci95')) if goal else '–'} | "
            f"[card]({name}/card.md) | " + (f"[audit]({name}/audit.md) |" if audit else "– |")
        )
    lines += ["", f"Relative ratio 1.00 = flags as in reality; band wanted {fmt(0.9, 1)}–1.1."]
    return "\n".join(lines) + "\n"
