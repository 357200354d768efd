"""The vandal early warning evaluation report: plots, Markdown and HTML from metrics JSON.

Owns turning the metrics of ``wikiscore evaluate user-warning`` (per-k metrics and edits-to-flag
of the model, ClueBot NG and STiki) into ``metrics.json``, ``accuracy_auc_by_k.png``,
``edits_to_flag.png``, ``report.md`` and ``report.html`` in one directory. Must not compute
metrics or read data (it only formats what it is given).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wikiscore.evaluation.markdown import markdown_html
from wikiscore.evaluation.report import pyplot

DETECTORS = (("model", "wikiscore"), ("cluebot_ng", "ClueBot NG"), ("stiki", "STiki"))


def _value(metric: dict[str, Any] | None) -> float | None:
    return None if not metric else metric.get("value")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _ci(metric: dict[str, Any] | None) -> str:
    ci = (metric or {}).get("ci95")
    return "" if not ci else f" [{ci[0]:.3f}, {ci[1]:.3f}]"


def _plot_per_k(per_k: dict[str, Any], path: Path) -> None:
    plt = pyplot()

    labels = list(per_k)
    xs = list(range(len(labels)))
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, name in (("accuracy", "accuracy"), ("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC")):
        values = [_value(per_k[k].get(key)) or 0.0 for k in labels]
        lows, highs = [], []
        for k, v in zip(labels, values, strict=True):
            ci = per_k[k].get(key, {}).get("ci95") or [v, v]
            lows.append(max(v - ci[0], 0.0))
            highs.append(max(ci[1] - v, 0.0))
        ax.errorbar(xs, values, yerr=[lows, highs], marker="o", capsize=3, label=name)
    ax.set_xticks(xs, labels)
    ax.set_xlabel("edits considered (k; 'all' = every edit in the data)")
    ax.set_ylabel("score (95% bootstrap CI)")
    ax.set_title("Vandal early warning: quality by number of edits seen")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_edits_to_flag(early: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    import numpy as np

    present = [(key, name) for key, name in DETECTORS if key in early]
    if not present:
        return
    buckets = list(early[present[0][0]]["histogram"])
    xs = np.arange(len(buckets))
    width = 0.8 / len(present)
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, (key, name) in enumerate(present):
        hist = early[key]["histogram"]
        total = max(sum(hist.values()), 1)
        fpr = early[key].get("fpr")
        label = f"{name} (FPR {fpr:.1%})" if fpr is not None else name
        ax.bar(xs + i * width, [hist[b] / total for b in buckets], width, label=label)
    ax.set_xticks(xs + width * (len(present) - 1) / 2, buckets)
    ax.set_xlabel("edit at which a vandal is first flagged")
    ax.set_ylabel("share of vandals")
    ax.set_title("Edits before a vandal is flagged")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_report(metrics: dict[str, Any]) -> str:
    per_k = metrics.get("per_k", {})
    early = metrics.get("early_warning", {})
    data = metrics.get("data", {})
    lines = [
        f"# Vandal early warning — {metrics.get('model', '')} {metrics.get('version', '')}",
        "",
        f"Data: `{data.get('directory', '')}` — {data.get('users', '?')} accounts "
        f"({data.get('vandals', '?')} vandals), {data.get('edits', '?')} edits.",
        "",
        "## Quality by number of edits seen",
        "",
        "k = the account's first k edits (accounts with fewer use all they have). "
        "Accuracy at probability 0.5; 95% bootstrap intervals in brackets.",
        "",
        "| k | accuracy | ROC-AUC | PR-AUC | ECE |",
        "|---|---|---|---|---|",
    ]
    for k, m in per_k.items():
        lines.append(
            f"| {k} | {_fmt(_value(m.get('accuracy')))}{_ci(m.get('accuracy'))} "
            f"| {_fmt(_value(m.get('roc_auc')))}{_ci(m.get('roc_auc'))} "
            f"| {_fmt(_value(m.get('pr_auc')))}{_ci(m.get('pr_auc'))} "
            f"| {_fmt(_value(m.get('ece')))} |"
        )
    lines += [
        "",
        "![accuracy and AUC by k](accuracy_auc_by_k.png)",
        "",
        "## Edits before a vandal is flagged",
        "",
        f"Each detector re-scores an account after every edit; it flags the account at the "
        f"first edit reaching its threshold. Target false-positive rate (benign accounts ever "
        f"flagged): {early.get('target_fpr', 0.05):.0%}. ClueBot NG has no threshold to set: "
        "its rate is what it is.",
        "",
        "| detector | threshold | FPR | vandals flagged | mean edits | median |",
        "|---|---|---|---|---|---|",
    ]
    rows = [
        *DETECTORS,
        ("model_at_cluebot_fpr", "wikiscore at ClueBot's FPR"),
        ("model_at_trained_threshold", "wikiscore at its trained threshold"),
    ]
    for key, name in rows:
        r = early.get(key)
        if not r:
            continue
        lines.append(
            f"| {name} | {_fmt(r.get('threshold'))} | {_fmt(r.get('fpr'))} "
            f"| {r.get('vandals_flagged')} / {r.get('vandals')} ({_fmt(r.get('recall'))}) "
            f"| {_fmt(r.get('mean_edits'), 2)} | {_fmt(r.get('median_edits'), 1)} |"
        )
    for key, other in (
        ("vs_cluebot_on_common_vandals", "ClueBot NG"),
        ("vs_stiki_on_common_vandals", "STiki"),
    ):
        c = early.get(key)
        if c and c.get("vandals"):
            lines.append(
                f"\nOn the {c['vandals']} vandals both flag: wikiscore after "
                f"{c['mean_edits_a']:.2f} edits, {other} after {c['mean_edits_b']:.2f}; "
                f"wikiscore is earlier for {c['a_earlier']:.0%} of them."
            )
    lines += ["", "![edits to flag](edits_to_flag.png)", ""]
    slices = metrics.get("slices") or {}
    if slices:
        lines += [
            "## Who is flagged wrongly",
            "",
            "False-positive rate among benign accounts of each group (probability >= 0.5 at "
            "k = 1 and with all edits; and ever flagged at the 5% flag threshold).",
            "",
            "| group | accounts | vandals | FPR k=1 | FPR all | recall all | benign ever flagged |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, entry in slices.items():
            lines.append(
                f"| {name.replace('_', ' ')} | {entry['accounts']} | {entry['vandals']} "
                f"| {_fmt(entry['k1']['fpr'])} | {_fmt(entry['kall']['fpr'])} "
                f"| {_fmt(entry['kall']['recall'])} | {_fmt(entry.get('benign_ever_flagged'))} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_report(directory: Path, metrics: dict[str, Any]) -> list[Path]:
    """Write the report files; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / "metrics.json"]
    written[0].write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    if metrics.get("per_k"):
        _plot_per_k(metrics["per_k"], directory / "accuracy_auc_by_k.png")
        written.append(directory / "accuracy_auc_by_k.png")
    if metrics.get("early_warning"):
        _plot_edits_to_flag(metrics["early_warning"], directory / "edits_to_flag.png")
        written.append(directory / "edits_to_flag.png")
    markdown = markdown_report(metrics)
    (directory / "report.md").write_text(markdown, encoding="utf-8")
    (directory / "report.html").write_text(
        markdown_html("Vandal early warning", markdown), encoding="utf-8"
    )
    written += [directory / "report.md", directory / "report.html"]
    return written
