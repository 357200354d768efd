"""Evaluation reports: PNG plots (matplotlib, Agg) plus a Markdown and an HTML page.

Owns turning an evaluation (a metrics dict as returned by ``wikiscore evaluate``, the labels,
the probabilities and the slices) into files in a directory: ``roc.png``, ``pr.png``,
``calibration.png``, ``calibration_slices.png``, ``report.md`` and ``report.html``. Plots are
drawn from the arrays with :mod:`wikiscore.evaluation.metrics`, so they match the numbers.
Must not compute anything the metrics module does not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wikiscore.evaluation.markdown import fmt, markdown_html, with_ci
from wikiscore.evaluation.metrics import calibration_curve, pr_curve, roc_curve
from wikiscore.evaluation.slices import Slice


def pyplot() -> Any:
    """matplotlib's pyplot on the headless Agg backend (imported on first use: slow to load)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _plot_roc(path: Path, y: np.ndarray, p: np.ndarray, slices: Sequence[Slice]) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    curve = roc_curve(y, p)
    ax.plot(curve["fpr"], curve["tpr"], label="all", linewidth=2, color="black")
    for sl in slices:
        if sl.mask.any() and 0 < y[sl.mask].sum() < sl.mask.sum():
            c = roc_curve(y[sl.mask], p[sl.mask])
            ax.plot(c["fpr"], c["tpr"], label=sl.label, linewidth=1)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    ax.set(xlabel="false positive rate", ylabel="true positive rate (recall)", title="ROC")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_pr(path: Path, y: np.ndarray, p: np.ndarray, slices: Sequence[Slice]) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    curve = pr_curve(y, p)
    ax.plot(curve["recall"], curve["precision"], label="all", linewidth=2, color="black")
    for sl in slices:
        if sl.mask.any() and y[sl.mask].sum() > 0:
            c = pr_curve(y[sl.mask], p[sl.mask])
            ax.plot(c["recall"], c["precision"], label=sl.label, linewidth=1)
    ax.axhline(float(y.mean()), linestyle=":", color="grey", label="base rate")
    ax.set(xlabel="recall", ylabel="precision", title="Precision–recall", ylim=(0, 1.02))
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _draw_calibration(ax: Any, y: np.ndarray, p: np.ndarray, title: str) -> None:
    # About 30+ examples per bin: fewer bins for small slices, so points are not pure noise.
    bins = calibration_curve(y, p, n_bins=max(2, min(10, y.size // 30)), strategy="quantile")
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
    if bins:
        xs = [b["mean_probability"] for b in bins]
        ys = [b["observed_rate"] for b in bins]
        ax.plot(xs, ys, marker="o", markersize=3)
        top = max(max(xs), max(ys), 0.05) * 1.1
        ax.set_xlim(0, min(1, top))
        ax.set_ylim(0, min(1, top))
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=7)


def _plot_calibration(path: Path, y: np.ndarray, p: np.ndarray) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    _draw_calibration(ax, y, p, "Calibration (equal-count bins)")
    ax.set(xlabel="mean predicted probability", ylabel="observed revert rate")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_calibration_slices(
    path: Path, y: np.ndarray, p: np.ndarray, slices: Sequence[Slice]
) -> None:
    plt = pyplot()
    shown = [sl for sl in slices if sl.mask.sum() > 0]
    cols = 3
    rows = max(1, math.ceil(len(shown) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(10, 3.2 * rows), squeeze=False)
    for ax, sl in zip(axes.flat, shown, strict=False):
        _draw_calibration(ax, y[sl.mask], p[sl.mask], f"{sl.label} (n={int(sl.mask.sum())})")
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    fig.supxlabel("mean predicted probability")
    fig.supylabel("observed rate")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def threshold_query_table(queries: Mapping[str, Any]) -> list[str]:
    """Markdown table of ORES-style threshold queries (``None``: the query is unreachable)."""
    lines = ["| query | threshold | precision | recall | filter rate |", "|---|---|---|---|---|"]
    for query, row in queries.items():
        if row is None:
            lines.append(f"| {query} | unreachable | | | |")
        else:
            lines.append(
                f"| {query} | {fmt(row.get('threshold'))} | {fmt(row.get('precision'))} | "
                f"{fmt(row.get('recall'))} | {fmt(row.get('filter_rate'))} |"
            )
    return lines


def _markdown(title: str, metrics: Mapping[str, Any], images: Sequence[str]) -> str:
    lines = [f"# {title}", ""]
    overall = metrics.get("metrics", {})
    if metrics.get("warning"):
        lines += [f"> **Warning:** {metrics['warning']}", ""]
    lines += [
        f"{overall.get('count')} edits, {overall.get('positives')} positive "
        f"(base rate {fmt(overall.get('base_rate'))}). 95% bootstrap intervals in brackets.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    for key, label in (
        ("roc_auc", "ROC-AUC"),
        ("pr_auc", "PR-AUC"),
        ("log_loss", "log loss"),
        ("brier", "Brier"),
        ("ece", "ECE (10 bins)"),
    ):
        lines.append(f"| {label} | {with_ci(overall.get(key))} |")
    queries = metrics.get("thresholds", {}).get("queries", {})
    if queries:
        lines += ["", "## Thresholds", "", *threshold_query_table(queries)]
    slices = metrics.get("slices", {})
    if slices:
        lines += [
            "",
            "## Slices",
            "",
            "| slice | n | base rate | mean p | ROC-AUC | PR-AUC | ECE |",
            "|---|---|---|---|---|---|---|",
        ]
        for entry in slices.values():
            lines.append(
                f"| {entry.get('label')} | {entry.get('count')} | {fmt(entry.get('base_rate'))} "
                f"| {fmt(entry.get('mean_probability'))} | {with_ci(entry.get('roc_auc'))} | "
                f"{with_ci(entry.get('pr_auc'))} | {with_ci(entry.get('ece'))} |"
            )
    lines += ["", "## Plots", ""]
    lines += [f"![{name}]({name})" for name in images]
    return "\n".join(lines) + "\n"


def write_report(
    directory: Path,
    *,
    title: str,
    metrics: Mapping[str, Any],
    y_true: Any,
    y_prob: Any,
    slices: Sequence[Slice] = (),
) -> list[Path]:
    """Write plots, ``report.md`` and ``report.html`` into ``directory``; the paths written.

    ``metrics`` is an evaluation dict with ``metrics`` (from ``binary_metrics``), optionally
    ``thresholds.queries``, ``slices`` (from ``slice_metrics``) and ``warning``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    y = np.asarray(y_true).astype(bool)
    p = np.asarray(y_prob, dtype=float)
    images = ["roc.png", "pr.png", "calibration.png", "calibration_slices.png"]
    _plot_roc(directory / images[0], y, p, slices)
    _plot_pr(directory / images[1], y, p, slices)
    _plot_calibration(directory / images[2], y, p)
    _plot_calibration_slices(directory / images[3], y, p, slices)
    markdown = _markdown(title, metrics, images)
    (directory / "report.md").write_text(markdown, encoding="utf-8")
    (directory / "report.html").write_text(markdown_html(title, markdown), encoding="utf-8")
    return [directory / name for name in (*images, "report.md", "report.html")]
