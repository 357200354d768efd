"""Audit reports: ``audit.json``, ``audit.md``, ``audit.html`` and plots for one model.

Owns rendering an audit (from :mod:`wikiscore.evaluation.audit`) into files: the standard
evaluation plots and report come from :func:`wikiscore.evaluation.report.write_report` (ROC,
PR, calibration overall and per slice, ``report.md``/``report.html``); this module adds the
fairness plots (flag rates next to true rates per group and level, flag-rate ratio relative to
the true ratio with its CI and the 0.9-1.1 band, counterfactual score shifts, AUC vs disparate
impact of the models compared) and the audit page (text via :mod:`wikiscore.evaluation.markdown`).
Must not compute metrics (everything shown is in the audit dict).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from wikiscore.evaluation.audit import FLAG_BAND, finite_or_none
from wikiscore.evaluation.markdown import fmt, markdown_html, pct, with_ci
from wikiscore.evaluation.report import pyplot, write_report
from wikiscore.evaluation.slices import Slice

LEVEL_LABELS = {
    "likely_good": "likely good",
    "may_have_problems": "may have problems",
    "likely_bad": "likely bad",
    "very_likely_bad": "very likely bad",
    "likely_benign": "likely benign",
    "watch": "watch",
    "likely_vandal": "likely vandal",
    "very_likely_vandal": "very likely vandal",
}


# -- formatting -----------------------------------------------------------------------------
def ratio_ci(value: Any, ci: Any, digits: int = 2, *, infinite: bool = False) -> str:
    """``2.50× [1.90, 3.10]``; ``∞`` when ``infinite`` (the denominator group never flagged)."""
    if value is None and infinite:
        return "∞ (reference never flagged)"
    text = "–" if value is None else f"{value:.{digits}f}×"
    return f"{text} [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]" if ci else text


def level_label(name: str) -> str:
    return LEVEL_LABELS.get(name, name.replace("_", " "))


# -- plots ----------------------------------------------------------------------------------
def _plot_flag_rates(path: Path, audit: Mapping[str, Any]) -> None:
    """Per disparate-impact pair: flag rate and true rate of each group at each level."""
    plt = pyplot()
    pairs = list(audit["disparate_impact"].values())
    fig, axes = plt.subplots(1, len(pairs), figsize=(5.2 * len(pairs), 4), squeeze=False)
    for ax, pair in zip(axes.flat, pairs, strict=False):
        levels = list(pair["levels"])
        x = np.arange(len(levels))
        width = 0.2
        series = [
            ("group", "flag_rate", pair["group_label"] + " flagged", "#c0392b", None),
            ("group", "base_rate", pair["group_label"] + " truly positive", "#c0392b", "//"),
            ("reference", "flag_rate", pair["reference_label"] + " flagged", "#2c7fb8", None),
            (
                "reference",
                "base_rate",
                pair["reference_label"] + " truly positive",
                "#2c7fb8",
                "//",
            ),
        ]
        for i, (who, key, label, color, hatch) in enumerate(series):
            values = [pair["levels"][lv][who][key] or 0.0 for lv in levels]
            ax.bar(
                x + (i - 1.5) * width,
                values,
                width,
                label=label,
                color="white" if hatch else color,
                edgecolor=color,
                hatch=hatch,
            )
        ax.set_xticks(x, [level_label(lv) for lv in levels], fontsize=8)
        ax.set_ylabel("share of the group's items")
        ax.set_yscale("log")
        ax.legend(fontsize=6.5)
        ax.set_title(f"{pair['group_label']} vs {pair['reference_label']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_relative(path: Path, audits: Sequence[Mapping[str, Any]]) -> None:
    """Flag-rate ratio / true-label ratio per level for the first pair, models side by side."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    first = next(iter(audits[0]["disparate_impact"].values()))
    levels = list(first["levels"])
    x = np.arange(len(levels))
    width = 0.8 / max(len(audits), 1)
    for i, audit in enumerate(audits):
        pair = next(iter(audit["disparate_impact"].values()))
        values, lo, hi = [], [], []
        for lv in levels:
            entry = pair["levels"].get(lv, {})
            rel = entry.get("relative")
            ci = entry.get("relative_ci95") or [rel, rel]
            values.append(rel or 0.0)
            lo.append(max((rel or 0.0) - (ci[0] or 0.0), 0.0))
            hi.append(max((ci[1] or 0.0) - (rel or 0.0), 0.0))
        ax.bar(
            x + (i - (len(audits) - 1) / 2) * width,
            values,
            width,
            yerr=[lo, hi],
            capsize=3,
            label=audit.get("display_name") or audit["model"],
        )
    ax.axhspan(FLAG_BAND[0], FLAG_BAND[1], color="green", alpha=0.15, label="0.9–1.1 band")
    ax.axhline(1.0, color="green", linewidth=1)
    ax.set_xticks(x, [level_label(lv) for lv in levels])
    ax.set_ylabel("flag-rate ratio / true ratio")
    ax.set_title(f"{first['group_label']} vs {first['reference_label']} (1 = as in reality)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_tradeoff(path: Path, audits: Sequence[Mapping[str, Any]], level: str) -> None:
    """ROC-AUC against the flag-rate ratio relative to truth at ``level``, one point a model."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for audit in audits:
        pair = next(iter(audit["disparate_impact"].values()))
        entry = pair["levels"].get(level) or {}
        rel, ci = entry.get("relative"), entry.get("relative_ci95")
        auc = audit["metrics"]["roc_auc"]
        if rel is None or auc.get("value") is None:
            continue
        xerr = [[rel - ci[0]], [ci[1] - rel]] if ci else None
        yci = auc.get("ci95")
        yerr = [[auc["value"] - yci[0]], [yci[1] - auc["value"]]] if yci else None
        ax.errorbar(rel, auc["value"], xerr=xerr, yerr=yerr, fmt="o", capsize=3)
        ax.annotate(
            audit.get("display_name") or audit["model"],
            (rel, auc["value"]),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=7,
        )
    ax.axvspan(FLAG_BAND[0], FLAG_BAND[1], color="green", alpha=0.15)
    ax.set_xscale("log")
    from matplotlib.ticker import FormatStrFormatter

    ax.xaxis.set_major_formatter(FormatStrFormatter("%.2g"))
    ax.xaxis.set_minor_formatter(FormatStrFormatter("%.2g"))
    ax.tick_params(axis="x", which="both", labelsize=7)
    ax.set_xlabel(f"flag-rate ratio / true ratio at '{level_label(level)}' (log scale)")
    ax.set_ylabel("ROC-AUC")
    ax.set_title("Accuracy vs disparate impact")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_counterfactual(path: Path, shifts: Mapping[str, np.ndarray]) -> None:
    plt = pyplot()
    shown = {k: v for k, v in shifts.items() if v.size}
    if not shown:
        return
    fig, axes = plt.subplots(1, len(shown), figsize=(3.6 * len(shown), 3.2), squeeze=False)
    for ax, (key, delta) in zip(axes.flat, shown.items(), strict=False):
        ax.hist(delta, bins=40, color="#555")
        ax.axvline(0, color="red", linewidth=0.8)
        ax.set_title(key.replace("_", " "), fontsize=8)
        ax.set_xlabel("Δ probability", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# -- Markdown -------------------------------------------------------------------------------
def _levels_md(audit: Mapping[str, Any]) -> list[str]:
    lines = ["## Levels as served", ""]
    if audit.get("kind") == "user":
        lines += [
            "| level | from p ≥ | benign accounts ever flagged | vandals flagged | "
            "mean edits before the flag |",
            "|---|---|---|---|---|",
        ]
        for lv in next(iter(audit["levels"].values())):
            lines.append(
                f"| {level_label(lv['name'])} | {fmt(lv.get('threshold'))} | "
                f"{pct(lv.get('user_fpr'))} | {pct(lv.get('vandal_recall'))} | "
                f"{fmt(lv.get('mean_edits_to_flag'), 2)} |"
            )
        return [*lines, "", "As recorded at training time (out-of-fold).", ""]
    if audit.get("group_aware_levels"):
        lines += [
            "Group-aware levels: the probability is the same calibrated probability for "
            "everyone; the thresholds of the flagging levels differ by group.",
            "",
        ]
    lines += [
        "| group | level | from p ≥ | precision | recall | flag rate |",
        "|---|---|---|---|---|---|",
    ]
    for group, levels in audit["levels"].items():
        for lv in levels:
            lines.append(
                f"| {group} | {level_label(lv['name'])} | {fmt(lv.get('threshold'))} | "
                f"{fmt(lv.get('precision'))} | {fmt(lv.get('recall'))} | "
                f"{pct(lv.get('match_rate'))} |"
            )
    lines += [
        "",
        "Precision, recall and flag rate as recorded at training time (out-of-fold), within "
        "the group; for *likely good* they describe the not-reverted class.",
        "",
    ]
    return lines


def _slices_md(audit: Mapping[str, Any]) -> list[str]:
    lines = [
        "## Slices",
        "",
        "95% bootstrap intervals in brackets. ECE: expected calibration error, 10 equal-width "
        "bins (quantile-bin ECE in the last column).",
        "",
        "| slice | n | base rate | mean p | ROC-AUC | PR-AUC | ECE | ECE (quantile) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for entry in audit["slices"].values():
        lines.append(
            f"| {entry.get('label')} | {entry.get('count')} | {fmt(entry.get('base_rate'))} | "
            f"{fmt(entry.get('mean_probability'))} | {with_ci(entry.get('roc_auc'))} | "
            f"{with_ci(entry.get('pr_auc'))} | {with_ci(entry.get('ece'), 4)} | "
            f"{fmt(entry.get('ece_quantile'))} |"
        )
    lines += [
        "",
        "### Flag rate, true-positive and false-positive rate per slice and level",
        "",
        "An item is flagged at a level when it is at that level or a higher one.",
        "",
        "| slice | level | flagged | flag rate | TPR (recall) | FPR | precision |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in audit["slices"].values():
        for level, rates in (entry.get("levels") or {}).items():
            lines.append(
                f"| {entry.get('label')} | {level_label(level)} | {rates['flagged']} | "
                f"{pct(rates['flag_rate'], 2)} | {fmt(rates['tpr'])} | {fmt(rates['fpr'], 4)} | "
                f"{fmt(rates['precision'])} |"
            )
    lines.append("")
    return lines


def _impact_md(audit: Mapping[str, Any]) -> list[str]:
    lines = [
        "## Disparate impact",
        "",
        "Flag rate of one group divided by another's at each level, next to the same ratio of "
        "the true labels (Trokhymovych et al., KDD 2023). *relative* = flag ratio / true "
        "ratio: 1 means the model flags the group exactly as much more often as it truly is "
        "positive (reverted, vandal); above 1 it over-flags the group. 95% bootstrap intervals "
        "in brackets.",
        "",
    ]
    for pair in audit["disparate_impact"].values():
        lines += [
            f"### {pair['group_label']} vs {pair['reference_label']}",
            "",
            "| level | flag rate (group) | flag rate (reference) | flag ratio | true ratio | "
            "relative | within 0.9–1.1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for level, entry in pair["levels"].items():
            never = bool(entry.get("reference_never_flagged"))
            lines.append(
                f"| {level_label(level)} | {pct(entry['group']['flag_rate'], 2)} | "
                f"{pct(entry['reference']['flag_rate'], 2)} | "
                f"{ratio_ci(entry['flag_ratio'], entry['flag_ratio_ci95'], infinite=never)} | "
                f"{ratio_ci(entry['true_ratio'], None)} | "
                f"{ratio_ci(entry['relative'], entry['relative_ci95'], infinite=never)} | "
                f"{fmt(entry['in_band'])} |"
            )
        lines.append("")
    return lines


def _counterfactual_md(audit: Mapping[str, Any]) -> list[str]:
    lines = ["## Counterfactual sensitivity", ""]
    counterfactual = audit.get("counterfactual")
    if not counterfactual:
        note = audit.get("counterfactual_note") or "not computed"
        return [*lines, f"{note[:1].upper()}{note[1:]}.", ""]
    lines += [
        "The same edits scored again with the editor features changed (and nothing else). "
        "|Δp| = how far the probability moves; *level changed* counts edits whose level "
        "(as served, group-aware where the model is) differs.",
        "",
        "| counterfactual | edits | mean \\|Δp\\| | median | p90 | p99 | max | mean Δp | "
        "level changed | newly likely bad | no longer likely bad |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in counterfactual.values():
        if not entry.get("count"):
            lines.append(f"| {entry['label']} | 0 | | | | | | | | | |")
            continue
        q = entry["abs_delta_percentiles"]
        flags = entry["flags"].get("likely_bad", {})
        lines.append(
            f"| {entry['label']} | {entry['count']} | {fmt(entry['mean_abs_delta'], 4)} | "
            f"{fmt(q['p50'], 4)} | {fmt(q['p90'], 4)} | {fmt(q['p99'], 4)} | "
            f"{fmt(q['max'], 4)} | {fmt(entry['mean_delta'], 4)} | {entry['level_changed']} "
            f"({pct(entry['level_changed_share'])}) | {flags.get('newly_flagged', '–')} | "
            f"{flags.get('no_longer_flagged', '–')} |"
        )
    lines.append("")
    return lines


def _comparison_md(audits: Sequence[Mapping[str, Any]], level: str) -> list[str]:
    lines = [
        "## Models side by side: accuracy vs disparate impact",
        "",
        f"Same data, same protocol. Disparate impact of the first pair at *{level_label(level)}*.",
        "",
        "| model | ROC-AUC | PR-AUC | flag ratio | true ratio | relative | precision | recall | "
        "mean \\|Δp\\| anonymous→registered |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for audit in audits:
        pair = next(iter(audit["disparate_impact"].values()))
        entry = pair["levels"].get(level) or {}
        rates = (audit.get("level_rates") or {}).get(level) or {}
        shift = ((audit.get("counterfactual") or {}).get("anonymous_to_registered") or {}).get(
            "mean_abs_delta"
        )
        lines.append(
            f"| {audit.get('display_name') or audit['model']} | "
            f"{with_ci(audit['metrics']['roc_auc'])} | {with_ci(audit['metrics']['pr_auc'])} | "
            f"{ratio_ci(entry.get('flag_ratio'), entry.get('flag_ratio_ci95'))} | "
            f"{ratio_ci(entry.get('true_ratio'), None)} | "
            f"{ratio_ci(entry.get('relative'), entry.get('relative_ci95'))} | "
            f"{fmt(rates.get('precision'))} | {fmt(rates.get('tpr'))} | {fmt(shift, 4)} |"
        )
    lines.append("")
    return lines


def audit_markdown(
    audit: Mapping[str, Any],
    images: Sequence[str],
    comparison: Sequence[Mapping[str, Any]] = (),
) -> str:
    title = f"Fairness audit: {audit['model']} {audit['version']}"
    data = audit.get("data") or {}
    overall = audit["metrics"]
    lines = [f"# {title}", ""]
    if audit.get("warning"):
        lines += [f"> **Warning:** {audit['warning']}", ""]
    if data.get("sha256"):
        where = f"`{data.get('file')}` (sha256 `{str(data['sha256'])[:16]}`…)"
    else:
        files = data.get("files_sha256") or {}
        where = f"`{data.get('directory')}/` ({len(files)} files, sha256 each in audit.json)"
    lines += [
        f"Data: {where}. Scores: {audit.get('source')}.",
        "",
        f"{overall['count']} items, {overall['positives']} positive (base rate "
        f"{fmt(overall['base_rate'])}). ROC-AUC {with_ci(overall['roc_auc'])}, PR-AUC "
        f"{with_ci(overall['pr_auc'])}, ECE {with_ci(overall['ece'], 4)}.",
        "",
    ]
    goal = audit.get("goal")
    if goal:
        verdict = "met" if goal["met"] else "not met"
        lines += [
            f"**Fairness goal ({verdict}):** anonymous/registered flag-rate ratio at "
            f"*{level_label(goal['level'])}* within {goal['band'][0]}–{goal['band'][1]}× the "
            f"true-label ratio: {ratio_ci(goal['relative'], goal['relative_ci95'])}; ROC-AUC ≥ "
            f"{goal['min_roc_auc']}: {fmt(goal['roc_auc'])}.",
            "",
        ]
    if audit.get("scores"):
        lines += [f"Per account: {audit['scores']}.", ""]
    lines += _levels_md(audit)
    if comparison:
        lines += _comparison_md([audit, *comparison], "likely_bad")
    lines += _impact_md(audit)
    lines += _counterfactual_md(audit)
    lines += _slices_md(audit)
    lines += [
        "## Calibration",
        "",
        "Calibration curve over all items (10 equal-width bins):",
        "",
        "| bin | n | mean p | observed rate |",
        "|---|---|---|---|",
    ]
    for b in audit.get("calibration") or []:
        lines.append(
            f"| {fmt(b['lower'], 1)}–{fmt(b['upper'], 1)} | {b['count']} | "
            f"{fmt(b['mean_probability'])} | {fmt(b['observed_rate'])} |"
        )
    lines += [
        "",
        "Per-slice calibration curves: `calibration_slices.png`; ECE per slice above.",
        "",
    ]
    lines += ["## Plots", ""]
    lines += [f"![{name}]({name})" for name in images]
    return "\n".join(lines) + "\n"


def write_audit_report(
    directory: Path,
    audit: Mapping[str, Any],
    *,
    y_true: Any,
    y_prob: Any,
    slices: Sequence[Slice],
    comparison: Sequence[Mapping[str, Any]] = (),
    counterfactual_deltas: Mapping[str, np.ndarray] | None = None,
) -> list[Path]:
    """Write ``audit.json``, ``audit.md``, ``audit.html``, the fairness plots and (through
    :func:`~wikiscore.evaluation.report.write_report`) the evaluation plots and report."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    audit = finite_or_none(dict(audit))
    evaluation = {
        "metrics": audit["metrics"],
        "slices": audit["slices"],
        **({"warning": audit["warning"]} if audit.get("warning") else {}),
    }
    written = write_report(
        directory,
        title=f"{audit['model']} {audit['version']}: evaluation",
        metrics=evaluation,
        y_true=y_true,
        y_prob=y_prob,
        slices=slices,
    )
    images = ["flag_rates.png", "disparate_impact.png"]
    _plot_flag_rates(directory / images[0], audit)
    _plot_relative(directory / images[1], [audit, *comparison])
    if comparison:
        images.append("tradeoff.png")
        _plot_tradeoff(directory / images[-1], [audit, *comparison], "likely_bad")
    if counterfactual_deltas:
        _plot_counterfactual(directory / "counterfactual.png", counterfactual_deltas)
        if (directory / "counterfactual.png").exists():
            images.append("counterfactual.png")
    images += ["calibration.png", "calibration_slices.png", "roc.png", "pr.png"]
    markdown = audit_markdown(audit, images, comparison)
    title = f"Fairness audit: {audit['model']} {audit['version']}"
    doc = dict(audit)
    if comparison:
        doc["comparison"] = [_comparison_entry(a) for a in comparison]
    (directory / "audit.json").write_text(
        json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    (directory / "audit.md").write_text(markdown, encoding="utf-8")
    (directory / "audit.html").write_text(markdown_html(title, markdown), encoding="utf-8")
    return [
        *written,
        *(directory / name for name in images if name not in {p.name for p in written}),
        directory / "audit.json",
        directory / "audit.md",
        directory / "audit.html",
    ]


def _comparison_entry(audit: Mapping[str, Any]) -> dict[str, Any]:
    """What the side-by-side table needs from another model's audit."""
    keep = ("model", "version", "display_name", "metrics", "disparate_impact", "level_rates")
    out = {k: audit[k] for k in keep if k in audit}
    shift = (audit.get("counterfactual") or {}).get("anonymous_to_registered")
    if shift:
        out["counterfactual"] = {"anonymous_to_registered": shift}
    return finite_or_none(out)
