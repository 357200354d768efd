"""Model cards: what each registered model is for, how good it is, for whom, and its limits.

Owns building a card (a JSON-able dict) for a registered model from its artifact metadata
(cross-validated metrics with CIs, levels and thresholds, slices, calibration, fairness figures
recorded at training time, version history) and, when available, its latest audit
(``docs/models/<name>/audit.json``, written by ``wikiscore cards``/``wikiscore audit``), and
rendering it as Markdown or HTML. :func:`card_summary` is the short form for ORES
``model_info``. Intended uses and uses a model is not fit for are stated per model kind, with
the artifact's own ``model_card`` notes taking precedence. Must not compute metrics or train.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from wikiscore.config import repo_root
from wikiscore.evaluation.audit_report import level_label, ratio_ci
from wikiscore.evaluation.markdown import fmt, markdown_html, pct, with_ci
from wikiscore.evaluation.report import threshold_query_table

REPO_ROOT = repo_root()
#: Where ``wikiscore cards`` writes cards and audits (``docs/models/<name>/``); None outside a
#: source checkout (an installed package has no committed audits to read).
DOCS_DIR = REPO_ROOT / "docs" / "models" if REPO_ROOT is not None else None

_KIND_TEXT: dict[str, dict[str, Any]] = {
    "edit": {
        "intended_use": (
            "Rank recent edits so that patrollers review the riskiest first, and filter recent "
            "changes by level. A probability that the edit will be reverted, not a verdict: a "
            "person looks at the edit and decides."
        ),
        "not_for": [
            "reverting edits automatically, or blocking, warning or sanctioning people on the "
            "score alone",
            "judging editors (the score is about one edit; editor features make it partly about "
            "who edits)",
            "wikis other than English Wikipedia (English word lists, 2015 English Wikipedia "
            "behaviour)",
            "measuring edit quality for research without the caveats below (the label is "
            "'reverted', not 'damaging')",
        ],
        "data_dates": "English Wikipedia edits from 2015 (wikimedia/editquality demo set)",
    },
    "user": {
        "intended_use": (
            "Prioritise review of new accounts whose first edits look like those of vandals, "
            "so that patrollers look at them early. A person reviews the account's edits and "
            "decides."
        ),
        "not_for": [
            "blocking or warning accounts automatically — never block on this score",
            "judging people by their username or writing system",
            "anonymous (IP) editors, or accounts on other wikis",
            "reading the probability as the chance that a random new account is a vandal (it "
            "is calibrated on a sample that is about half vandals)",
        ],
        "data_dates": "English Wikipedia accounts registered January 2013 – July 2014 (UMD VEWS)",
    },
}


# -- building -------------------------------------------------------------------------------
def load_audit(name: str, docs_dir: Path | None = None) -> dict[str, Any] | None:
    """The latest committed audit of ``name`` (``docs/models/<name>/audit.json``), if any."""
    base = docs_dir or DOCS_DIR
    if base is None:
        return None
    path = base / name / "audit.json"
    try:
        audit = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return audit if isinstance(audit, dict) else None


def build_card(spec: Any, artifact: Any, audit: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The card of a registered model (``spec`` from the model registry, loaded ``artifact``).

    An audit of another model file (sha256) or version is ignored: the card would mix them.
    """
    meta: Mapping[str, Any] = artifact.metadata
    kind = str(meta.get("kind") or spec.kind)
    texts = _KIND_TEXT.get(kind, _KIND_TEXT["edit"])
    notes: Mapping[str, Any] = meta.get("model_card") or {}
    if audit is not None and (
        str(audit.get("version")) != str(artifact.version)
        or audit.get("model_sha256", meta.get("model_sha256")) != meta.get("model_sha256")
    ):
        audit = None
    card: dict[str, Any] = {
        "name": spec.name,
        "api_name": spec.api_name,
        "version": artifact.version,
        "kind": kind,
        "language": spec.lang,
        "description": meta.get("description") or spec.description,
        "card_url": f"/v1/models/{spec.name}/card",
        "intended_use": notes.get("intended_use") or texts["intended_use"],
        "not_for": _not_for(notes.get("not_for"), texts["not_for"]),
        "label": notes.get("label") or _default_label(kind),
        "known_biases": notes.get("known_biases"),
        "model": {
            "type": meta.get("type") or "LightGBM gradient-boosted trees, calibrated",
            "features": list(artifact.feature_names),
            "calibration": (meta.get("calibration") or {}).get("method"),
            "model_sha256": meta.get("model_sha256"),
            "trained": meta.get("trained"),
            "git": meta.get("git"),
            "environment": meta.get("environment") or meta.get("libraries"),
        },
        "training_data": _training_data(meta, texts["data_dates"]),
        "metrics": _metrics(meta, kind),
        "levels": artifact.levels_by_group(),
        "group_aware_levels": getattr(artifact, "group_levels", None) is not None,
        "thresholds": ((meta.get("statistics") or {}).get("thresholds") or {}).get("true"),
        "slices": _slices(meta, kind, audit),
        "calibration": _calibration(meta, kind, audit),
        "fairness": _fairness(meta, audit),
        "limitations": _limitations(meta, kind, artifact),
        "version_history": meta.get("version_history")
        or [{"version": artifact.version, "date": (meta.get("trained") or "")[:10], "changes": ""}],
        "audit": _audit_summary(audit),
    }
    return card


def _not_for(noted: Any, defaults: list[str]) -> list[str]:
    """An artifact's own list wins; its older one-line note is covered by the defaults."""
    if isinstance(noted, list) and noted:
        return [str(x) for x in noted]
    return list(defaults)


def _default_label(kind: str) -> str:
    if kind == "user":
        return (
            "vandal: the account was blocked for vandalism during data collection; benign: it "
            "was not. Blocks follow reports and reviews, so vandals nobody reported look benign."
        )
    return "reverted: the edit was undone by an identity revert soon after it was made."


def _training_data(meta: Mapping[str, Any], dates: str) -> dict[str, Any]:
    data = dict(meta.get("training_data") or {})
    user_data = (meta.get("training") or {}).get("data")
    if not data and user_data:
        data = {k: v for k, v in user_data.items() if k != "files_sha256"}
        data["files"] = len(user_data.get("files_sha256") or {})
    data["dates"] = dates
    return data


def _metrics(meta: Mapping[str, Any], kind: str) -> dict[str, Any]:
    cv = meta.get("cv") or {}
    if kind == "user":
        per_k = cv.get("per_k") or {}
        return {
            "source": "grouped cross-validation by account, out-of-fold",
            "views": {
                k: {m: per_k[k].get(m) for m in ("roc_auc", "pr_auc", "accuracy", "ece")}
                | {"count": per_k[k].get("count"), "base_rate": per_k[k].get("base_rate")}
                for k in ("1", "3", "5", "10", "all")
                if k in per_k
            },
        }
    metrics = cv.get("metrics") or {}
    keep = ("count", "positives", "base_rate", "roc_auc", "pr_auc", "log_loss", "brier", "ece")
    return {
        "source": (meta.get("statistics") or {}).get("source") or "cross-validation, out-of-fold",
        **{k: metrics.get(k) for k in keep},
    }


def _slices(meta: Mapping[str, Any], kind: str, audit: Mapping[str, Any] | None) -> dict[str, Any]:
    keep = ("label", "count", "base_rate", "mean_probability", "roc_auc", "pr_auc", "ece")
    source = None
    slices: Mapping[str, Any] = {}
    if kind == "edit":
        slices, source = (meta.get("cv") or {}).get("slices") or {}, "cross-validation"
    if audit is not None and audit.get("slices"):
        slices, source = audit["slices"], f"audit ({audit.get('source')})"
    return {
        "source": source,
        "slices": {k: {f: v.get(f) for f in keep} for k, v in slices.items()},
    }


def _calibration(
    meta: Mapping[str, Any], kind: str, audit: Mapping[str, Any] | None
) -> dict[str, Any]:
    cv = meta.get("cv") or {}
    out: dict[str, Any] = {
        "method": (meta.get("calibration") or {}).get("method"),
        "selection": meta.get("calibration_selection") or meta.get("calibration_report"),
    }
    if kind == "edit":
        out["curve"] = cv.get("calibration_curve")
        out["ece"] = (cv.get("metrics") or {}).get("ece")
        out["source"] = "cross-validation, out-of-fold"
    else:
        per_k = cv.get("per_k") or {}
        out["ece"] = (per_k.get("all") or {}).get("ece")
        out["ece_first_edit"] = (per_k.get("1") or {}).get("ece")
        out["source"] = "cross-validation, each account after all its edits; per k above"
        prefix = meta.get("prefix_calibration") or {}
        if prefix.get("method"):
            out["method"] = prefix["method"]
    report = meta.get("calibration_report") or {}
    if report.get("criterion"):
        out["criterion"] = report["criterion"]
    if audit is not None:
        out["curve"] = audit.get("calibration") or out.get("curve")
        out["ece"] = (audit.get("metrics") or {}).get("ece") or out.get("ece")
        out["source"] = f"audit ({audit.get('source')})"
    return out


def _fairness(meta: Mapping[str, Any], audit: Mapping[str, Any] | None) -> dict[str, Any]:
    cv = meta.get("cv") or {}
    cv_fairness = cv.get("fairness")
    out: dict[str, Any] = {"cv": cv_fairness}
    if meta.get("kind") == "user" and cv.get("slices"):
        out["cv_user_slices"] = cv["slices"]
    step = next(
        (s for s in meta.get("postprocessing") or [] if s.get("op") == "group_levels"), None
    )
    if step is not None:
        out["group_levels_derivation"] = step.get("derivation")
    if audit is not None:
        out["disparate_impact"] = audit.get("disparate_impact")
        out["counterfactual"] = audit.get("counterfactual")
        out["counterfactual_note"] = audit.get("counterfactual_note")
        out["goal"] = audit.get("goal")
        out["comparison"] = audit.get("comparison")
        out["variants"] = audit.get("variants")
    return out


def _limitations(meta: Mapping[str, Any], kind: str, artifact: Any) -> list[str]:
    out: list[str] = []
    data = meta.get("training_data") or {}
    if data.get("leakage_note"):
        out.append(data["leakage_note"])
    for mask in (meta.get("inputs") or {}).get("masks") or []:
        if mask.get("reason"):
            out.append(mask["reason"])
    if kind == "edit":
        out += [
            "Trained on 2015 English Wikipedia edits: vandalism, patrolling and the editor "
            "population have changed since; check on recent labelled edits before relying on "
            "the figures.",
            "The label is 'reverted': it includes good-faith mistakes and edit wars, and misses "
            "damaging edits nobody reverted.",
            "Small slices (bots and administrators: few reverted edits) have wide intervals.",
        ]
        if getattr(artifact, "group_levels", None) is not None:
            levels = artifact.levels_by_group()
            precision = {
                g: next((lv.get("precision") for lv in lvs if lv["name"] == "likely_bad"), None)
                for g, lvs in levels.items()
            }
            text = ", ".join(f"{g} {fmt(p, 2)}" for g, p in precision.items())
            out.append(
                "Group-aware levels trade equal precision for a flag-rate ratio that matches "
                f"reality: 'likely bad' is right about as often as {text} (out-of-fold "
                "precision by group); the probability itself is the same for everyone."
            )
            out += _group_level_gaps(meta, levels)
        if "revision.user.is_anon" not in artifact.feature_names:
            out.append(
                "Without editor features the model ranks edits less well than the full model "
                "and under-flags anonymous edits relative to how often they are reverted."
            )
    else:
        if meta.get("base_rate_note"):
            out.append(meta["base_rate_note"])
        out += [
            "Only registered accounts created in 2013–2014 on English Wikipedia; labels come "
            "from blocks, so unreported vandals count as benign.",
            "Username features (length, digits, script) can flag accounts with unusual or "
            "non-Latin names more often; see the slices.",
            "The audit's account age is the time from an account's first to its last edit "
            "(the data has no registration times).",
        ]
    return out


def _group_level_gaps(
    meta: Mapping[str, Any], levels: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    """What the group-aware levels do not fix: levels left pooled, empty levels."""
    out = []
    steps: list[Mapping[str, Any]] = list(meta.get("postprocessing") or [])
    step = next((s for s in steps if s.get("op") == "group_levels"), {})
    for level, found in ((step.get("derivation") or {}).get("levels") or {}).items():
        if not found.get("reachable"):
            out.append(
                f"'{level_label(level)}' keeps pooled thresholds: no per-group thresholds "
                "matched the true flag-rate ratio while keeping its precision of "
                f"{fmt(found.get('min_precision'), 2)}, so it flags groups out of proportion "
                "(see the fairness table; it concerns very few edits)."
            )
    for group, lvs in levels.items():
        good = next((lv for lv in lvs if lv["name"] == "likely_good"), None)
        if good is not None and not good.get("match_rate"):
            out.append(
                f"No {group} edit is rated 'likely good': even the safest {group} edits have a "
                f"revert probability above {fmt(good.get('upper'))}, so every {group} edit is at "
                "least 'may have problems'."
            )
    return out


def _audit_summary(audit: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if audit is None:
        return None
    return {
        "source": audit.get("source"),
        "data": audit.get("data"),
        "warning": audit.get("warning"),
        "metrics": {k: (audit.get("metrics") or {}).get(k) for k in ("roc_auc", "pr_auc")},
        "report": "audit.html",
    }


# -- rendering ------------------------------------------------------------------------------
def card_markdown(card: Mapping[str, Any]) -> str:
    """The card as Markdown (the HTML page is rendered from this)."""
    lines = [
        f"# Model card: {card['name']} {card['version']}",
        "",
        f"{card['description']}",
        "",
        f"API name `{card['api_name']}` · kind `{card['kind']}` · language `{card['language']}` "
        f"· served at `/v3/scores/<wiki>/?models={card['api_name']}` and "
        f"`/v1/models/<wiki>-{card['api_name']}:predict` · this card: `{card['card_url']}`",
        "",
        "## Intended use",
        "",
        str(card["intended_use"]),
        "",
        "## Not fit for",
        "",
        *[f"- {item}" for item in card["not_for"]],
        "",
        "## Label",
        "",
        str(card["label"]),
        "",
    ]
    if card.get("known_biases"):
        lines += ["## Known biases", "", str(card["known_biases"]), ""]
    lines += _training_md(card)
    lines += _metrics_md(card)
    lines += _levels_md(card)
    lines += _fairness_md(card)
    lines += _slices_md(card)
    lines += _calibration_md(card)
    lines += ["## Limitations", "", *[f"- {item}" for item in card["limitations"]], ""]
    lines += [
        "## Version history",
        "",
        "| version | date | changes |",
        "|---|---|---|",
        *[
            f"| {h.get('version')} | {h.get('date')} | {h.get('changes')} |"
            for h in card["version_history"]
        ],
        "",
    ]
    model = card["model"]
    git = model.get("git") or {}
    lines += [
        "## Provenance",
        "",
        f"- model: {model['type']}; calibration `{model.get('calibration')}`; model file "
        f"sha256 `{model.get('model_sha256')}`",
        f"- trained {model.get('trained') or '–'} at commit `{git.get('commit') or '–'}`"
        + (" (uncommitted changes)" if git.get("dirty") else ""),
        f"- inputs: {', '.join(f'`{f}`' for f in model['features'])}",
        "",
    ]
    return "\n".join(lines) + "\n"


def _training_md(card: Mapping[str, Any]) -> list[str]:
    data = card["training_data"]
    rows = [
        f"- {data.get('dates')}",
        f"- file: `{data.get('file') or data.get('directory') or '–'}`"
        + (f", sha256 `{data['sha256']}`" if data.get("sha256") else ""),
    ]
    if data.get("rows") is not None:
        rows.append(f"- {data['rows']} edits, {data.get('positives')} reverted")
    if data.get("users") is not None:
        rows.append(
            f"- {data['users']} accounts ({data.get('vandals')} vandals), {data.get('edits')} edits"
        )
    return ["## Training data", "", *rows, ""]


def _metrics_md(card: Mapping[str, Any]) -> list[str]:
    metrics = card["metrics"]
    lines = ["## Metrics", "", f"Source: {metrics.get('source')}. 95% bootstrap intervals.", ""]
    if "views" in metrics:
        lines += ["| first k edits | accounts | ROC-AUC | PR-AUC | accuracy | ECE |"]
        lines += ["|---|---|---|---|---|---|"]
        for k, m in metrics["views"].items():
            lines.append(
                f"| {k} | {m.get('count')} | {with_ci(m.get('roc_auc'))} | "
                f"{with_ci(m.get('pr_auc'))} | {with_ci(m.get('accuracy'))} | "
                f"{with_ci(m.get('ece'), 4)} |"
            )
    else:
        lines += [
            f"{metrics.get('count')} edits, {metrics.get('positives')} reverted (base rate "
            f"{fmt(metrics.get('base_rate'))}).",
            "",
            "| metric | value |",
            "|---|---|",
        ]
        for key, label in (
            ("roc_auc", "ROC-AUC"),
            ("pr_auc", "PR-AUC"),
            ("log_loss", "log loss"),
            ("brier", "Brier score"),
            ("ece", "expected calibration error"),
        ):
            lines.append(f"| {label} | {with_ci(metrics.get(key), 4 if key == 'ece' else 3)} |")
    audit = card.get("audit")
    if audit:
        lines += [
            "",
            f"Latest audit ({audit.get('source')}): ROC-AUC "
            f"{with_ci(audit['metrics'].get('roc_auc'))}, PR-AUC "
            f"{with_ci(audit['metrics'].get('pr_auc'))} — full report: "
            f"[{audit['report']}]({audit['report']}).",
        ]
    return [*lines, ""]


def _levels_md(card: Mapping[str, Any]) -> list[str]:
    lines = ["## Levels and thresholds", ""]
    if card.get("group_aware_levels"):
        lines += [
            "Levels are **group-aware**: every editor gets the same calibrated probability; the "
            "probability at which an edit becomes *likely bad* (and higher) differs between "
            "anonymous and registered editors. Per group, precision is the share of the "
            "group's flagged edits that were reverted, recall the share of its reverted edits "
            "that were flagged (out-of-fold).",
            "",
        ]
    if card["kind"] == "user":
        lines += [
            "An account is flagged at a level as soon as one of its scores (after each edit) "
            "reaches it. Out-of-fold, over all of an account's edits in the data:",
            "",
            "| level | probability from | to | benign accounts ever flagged | vandals flagged | "
            "mean edits before the flag |",
            "|---|---|---|---|---|---|",
        ]
        for lv in next(iter(card["levels"].values())):
            lines.append(
                f"| {level_label(str(lv['name']))} | {fmt(lv.get('threshold'))} | "
                f"{fmt(lv.get('upper'))} | {pct(lv.get('user_fpr'))} | "
                f"{pct(lv.get('vandal_recall'))} | {fmt(lv.get('mean_edits_to_flag'), 2)} |"
            )
        return [*lines, ""]
    lines += [
        "| group | level | probability from | to | precision | recall | share of group |",
        "|---|---|---|---|---|---|---|",
    ]
    for group, levels in card["levels"].items():
        for lv in levels:
            lines.append(
                f"| {group} | {level_label(str(lv['name']))} | {fmt(lv.get('threshold'))} | "
                f"{fmt(lv.get('upper'))} | {fmt(lv.get('precision'))} | "
                f"{fmt(lv.get('recall'))} | {pct(lv.get('match_rate'))} |"
            )
    thresholds = card.get("thresholds") or {}
    if thresholds:
        lines += [
            "",
            "ORES threshold queries (out-of-fold, all editors pooled):",
            "",
            *threshold_query_table(thresholds),
        ]
    return [*lines, ""]


def _pair_rows(impact: Mapping[str, Any], label: str) -> list[str]:
    rows = []
    for level, entry in impact.items():
        never = bool(entry.get("reference_never_flagged"))
        rows.append(
            f"| {label} | {level_label(level)} | {pct(entry['group']['flag_rate'], 2)} | "
            f"{pct(entry['reference']['flag_rate'], 2)} | "
            f"{ratio_ci(entry['flag_ratio'], entry.get('flag_ratio_ci95'), infinite=never)} | "
            f"{ratio_ci(entry['true_ratio'], None)} | "
            f"{ratio_ci(entry['relative'], entry.get('relative_ci95'), infinite=never)} |"
        )
    return rows


def _fairness_md(card: Mapping[str, Any]) -> list[str]:
    fairness = card["fairness"]
    lines = ["## Fairness", ""]
    cv = fairness.get("cv")
    if cv:
        lines += [
            "Anonymous vs registered editors on the out-of-fold predictions: flag rate of "
            "anonymous edits / flag rate of registered edits at each level, next to the same "
            "ratio of true reverts (the KDD 2023 protocol). *relative* = flag ratio / true "
            "ratio; 1 = flags each group exactly as much more as reality.",
            "",
            "| levels | level | anonymous flagged | registered flagged | flag ratio | "
            "true ratio | relative |",
            "|---|---|---|---|---|---|---|",
            *_pair_rows(cv.get("pooled_levels") or {}, "pooled"),
        ]
        if cv.get("group_levels"):
            lines += _pair_rows(cv["group_levels"], "group-aware (as served)")
            lines += _pair_rows(cv["group_levels_cross_fitted"], "group-aware, cross-fitted")
            lines += ["", str(cv.get("cross_fitted_note") or "")]
        lines.append("")
        if cv.get("group_levels"):
            lines += _tradeoff_md(cv)
    user_slices = fairness.get("cv_user_slices")
    if user_slices:
        lines += _user_slices_md(user_slices)
    goal = fairness.get("goal")
    if goal:
        verdict = "met" if goal["met"] else "not met"
        lines += [
            f"**Goal ({verdict}):** likely-bad flag-rate ratio within "
            f"{goal['band'][0]}–{goal['band'][1]}× the true ratio: "
            f"{ratio_ci(goal['relative'], goal.get('relative_ci95'))}; ROC-AUC "
            f"{fmt(goal['roc_auc'])} (≥ {goal['min_roc_auc']} wanted). Measured by the latest "
            "audit.",
            "",
        ]
    comparison = fairness.get("comparison") or []
    if comparison:
        lines += [
            "Compared on the same data (latest audit):",
            "",
            "| model | ROC-AUC | PR-AUC | likely-bad flag ratio | relative to true ratio |",
            "|---|---|---|---|---|",
        ]
        for other in comparison:
            pairs: Mapping[str, Any] = other.get("disparate_impact") or {}
            pair: Mapping[str, Any] = next(iter(pairs.values()), {})
            entry = (pair.get("levels") or {}).get("likely_bad") or {}
            lines.append(
                f"| {other.get('display_name') or other.get('model')} | "
                f"{with_ci(other['metrics'].get('roc_auc'))} | "
                f"{with_ci(other['metrics'].get('pr_auc'))} | "
                f"{ratio_ci(entry.get('flag_ratio'), entry.get('flag_ratio_ci95'))} | "
                f"{ratio_ci(entry.get('relative'), entry.get('relative_ci95'))} |"
            )
        lines.append("")
    impact = fairness.get("disparate_impact") or {}
    if impact and not cv:
        lines += [
            "From the latest audit:",
            "",
            "| pair | level | group flagged | reference flagged | flag ratio | true ratio | "
            "relative |",
            "|---|---|---|---|---|---|---|",
        ]
        for pair in impact.values():
            label = f"{pair['group_label']} vs {pair['reference_label']}"
            lines += _pair_rows(pair["levels"], label)
        lines.append("")
    counterfactual = fairness.get("counterfactual")
    if counterfactual:
        lines += [
            "Counterfactual sensitivity (latest audit): the same edits re-scored with the "
            "editor features flipped.",
            "",
            "| counterfactual | edits | mean \\|Δp\\| | p99 \\|Δp\\| | level changed |",
            "|---|---|---|---|---|",
        ]
        for entry in counterfactual.values():
            if not entry.get("count"):
                continue
            lines.append(
                f"| {entry['label']} | {entry['count']} | {fmt(entry['mean_abs_delta'], 4)} | "
                f"{fmt(entry['abs_delta_percentiles']['p99'], 4)} | {entry['level_changed']} "
                f"({pct(entry['level_changed_share'])}) |"
            )
        lines.append("")
    elif fairness.get("counterfactual_note"):
        lines += [f"Counterfactual sensitivity: {fairness['counterfactual_note']}.", ""]
    if not cv and not impact and not user_slices:
        lines += ["No fairness audit recorded for this version yet (run `wikiscore cards`).", ""]
    return lines


def _user_slices_md(slices: Mapping[str, Any]) -> list[str]:
    """The user model's cross-validated slices: false alarms on benign accounts by group."""
    lines = [
        "Who bears the false alarms (cross-validated, recorded at training): benign accounts "
        "flagged at p ≥ 0.5 after their first edit (k = 1) and after all their edits, and "
        "benign accounts ever reaching *likely vandal*, by username script and first edit.",
        "",
        "| accounts | n | vandals | FPR k=1 | recall k=1 | FPR all edits | recall all edits | "
        "benign ever likely vandal |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, entry in slices.items():
        k1, kall = entry.get("k1") or {}, entry.get("kall") or {}
        lines.append(
            f"| {key.replace('_', ' ')} | {entry.get('accounts')} | {entry.get('vandals')} | "
            f"{pct(k1.get('fpr'))} | {pct(k1.get('recall'))} | {pct(kall.get('fpr'))} | "
            f"{pct(kall.get('recall'))} | {pct(entry.get('benign_ever_flagged'))} |"
        )
    return [*lines, ""]


def _tradeoff_md(cv: Mapping[str, Any]) -> list[str]:
    lines = [
        "Trade-off of the group-aware levels (out-of-fold; ROC-AUC and PR-AUC do not change, "
        "the probabilities are the same):",
        "",
        "| level | group | pooled: flagged | precision | recall | group-aware: flagged | "
        "precision | recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    pooled, grouped = cv.get("pooled_levels") or {}, cv.get("group_levels") or {}
    for level in pooled:
        for side, name in (("group", "anonymous"), ("reference", "registered")):
            a, b = pooled[level][side], grouped.get(level, {}).get(side, {})
            lines.append(
                f"| {level_label(level)} | {name} | {pct(a.get('flag_rate'), 2)} | "
                f"{fmt(a.get('precision'))} | {fmt(a.get('tpr'))} | "
                f"{pct(b.get('flag_rate'), 2)} | {fmt(b.get('precision'))} | "
                f"{fmt(b.get('tpr'))} |"
            )
    return [*lines, ""]


def _slices_md(card: Mapping[str, Any]) -> list[str]:
    slices = card["slices"]
    if not slices.get("slices"):
        return []
    lines = [
        "## Slices",
        "",
        f"Source: {slices.get('source')}.",
        "",
        "| slice | n | base rate | mean p | ROC-AUC | PR-AUC | ECE |",
        "|---|---|---|---|---|---|---|",
    ]
    for entry in slices["slices"].values():
        lines.append(
            f"| {entry.get('label')} | {entry.get('count')} | {fmt(entry.get('base_rate'))} | "
            f"{fmt(entry.get('mean_probability'))} | {with_ci(entry.get('roc_auc'))} | "
            f"{with_ci(entry.get('pr_auc'))} | {with_ci(entry.get('ece'), 4)} |"
        )
    return [*lines, ""]


def _calibration_md(card: Mapping[str, Any]) -> list[str]:
    calibration = card["calibration"]
    lines = [
        "## Calibration",
        "",
        f"Calibration map: `{calibration.get('method')}`, chosen by "
        f"{calibration.get('criterion') or 'cross-fitted log loss'}. "
        f"ECE: {with_ci(calibration.get('ece'), 4)} ({calibration.get('source') or '–'}); per "
        "slice in the table above.",
        "",
    ]
    if calibration.get("ece_first_edit") is not None:
        lines[-1:-1] = [
            f"ECE after the first edit alone: {with_ci(calibration['ece_first_edit'], 4)}. "
            "Probabilities are calibrated for accounts as a live scorer meets them (after each "
            "edit); an account's last prefix is seen only once it stopped editing, which a live "
            "scorer cannot know, so the all-edits view reads low.",
        ]
    curve = calibration.get("curve") or []
    if curve:
        lines += ["| probability bin | n | mean predicted | observed |", "|---|---|---|---|"]
        for b in curve:
            lines.append(
                f"| {fmt(b['lower'], 1)}–{fmt(b['upper'], 1)} | {b['count']} | "
                f"{fmt(b['mean_probability'])} | {fmt(b['observed_rate'])} |"
            )
        lines.append("")
    return lines


def card_html(card: Mapping[str, Any]) -> str:
    return markdown_html(f"Model card: {card['name']} {card['version']}", card_markdown(card))


# -- registered models ----------------------------------------------------------------------
def model_card(name: str, *, docs_dir: Path | None = None) -> dict[str, Any]:
    """The card of a registered model by full or API name (UnknownModel if none)."""
    from wikiscore.models.registry import get_spec, load_model

    spec = get_spec(name)
    artifact = load_model(spec.name)
    return build_card(spec, artifact, load_audit(spec.name, docs_dir))


@lru_cache(maxsize=32)
def _cached_card(name: str, version: str) -> str:
    return json.dumps(model_card(name), allow_nan=False)


def cached_card(name: str) -> dict[str, Any]:
    """:func:`model_card`, cached per model version (serving)."""
    from wikiscore.models.registry import get_spec, load_model

    spec = get_spec(name)
    return json.loads(_cached_card(spec.name, load_model(spec.name).version))


def card_summary(name: str) -> dict[str, Any]:
    """Short card for ORES ``model_info``: intended use, limits, headline fairness figures."""
    card = cached_card(name)
    summary: dict[str, Any] = {
        "version": card["version"],
        "url": card["card_url"],
        "intended_use": card["intended_use"],
        "not_for": card["not_for"],
        "group_aware_levels": card["group_aware_levels"],
        "limitations": card["limitations"],
    }
    cv = (card.get("fairness") or {}).get("cv") or {}
    served = cv.get("group_levels") or cv.get("pooled_levels")
    if served:
        summary["anonymous_vs_registered"] = {
            level: {k: entry.get(k) for k in ("flag_ratio", "true_ratio", "relative")}
            for level, entry in served.items()
        }
    return summary


def write_card(directory: Path, card: Mapping[str, Any]) -> list[Path]:
    """``card.md``, ``card.html`` and ``card.json`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "card.md", directory / "card.html", directory / "card.json"]
    paths[0].write_text(card_markdown(card), encoding="utf-8")
    paths[1].write_text(card_html(card), encoding="utf-8")
    paths[2].write_text(
        json.dumps(card, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return paths
