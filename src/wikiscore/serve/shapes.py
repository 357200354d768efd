"""Response documents: ORES v3 score nesting, Lift Wing revert-risk items, model information.

Pure functions from scoring results (``EditScore``, ``UserScore``, errors) to JSON-ready dicts,
and the parser/evaluator of ORES ``model_info`` paths, including threshold optimisation queries
such as ``statistics.thresholds.true."maximum recall @ precision >= 0.9"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wikiscore.errors import InvalidInput, WikiscoreError

if TYPE_CHECKING:
    from wikiscore.scoring.service import ServedModel

TOP_CONTRIBUTIONS = 5

# Names other clients use for what our edit-risk model predicts ("will this edit be reverted?").
# ORES called it "reverted"; Lift Wing's revert-risk models take a language and a revision.
EDIT_MODEL_ALIASES = {
    "reverted": "editrisk",
    "revertrisk": "editrisk",
    "revertrisk-language-agnostic": "editrisk",
    "revertrisk-multilingual": "editrisk",
}
USER_MODEL_ALIASES = ("user-warning", "userwarning", "vandal-warning")


# -- scores ---------------------------------------------------------------------------------
def _probability(score: Any) -> float:
    p = float(score.probability)
    return p if math.isfinite(p) else 0.0


def error_entry(error: WikiscoreError) -> dict[str, Any]:
    return {"error": {"type": error.error_type, "message": error.message}}


def explanation_doc(score: Any) -> dict[str, Any]:
    contributions = list(getattr(score, "contributions", None) or [])
    contributions.sort(key=lambda c: abs(float(c.contribution)), reverse=True)
    return {
        "level": getattr(score, "level", None),
        "reasons": list(getattr(score, "reasons", None) or []),
        "contributions": [
            {
                "feature": c.feature,
                "label": c.label,
                "value": _plain(c.value),
                "contribution": round(float(c.contribution), 6),
            }
            for c in contributions[:TOP_CONTRIBUTIONS]
        ],
    }


def ores_model_entry(outcome: Any, *, features: bool, explain: bool) -> dict[str, Any]:
    """``{"score": {...}}`` (+ ``features``, ``explanation``) or ``{"error": {...}}``."""
    if isinstance(outcome, WikiscoreError):
        return error_entry(outcome)
    p = _probability(outcome)
    entry: dict[str, Any] = {
        "score": {
            "prediction": bool(outcome.prediction),
            "probability": {"true": p, "false": 1.0 - p},
        }
    }
    entry.update(_extras(outcome, features=features, explain=explain))
    return entry


def ores_context_doc(
    models_doc: Mapping[str, Any],
    scores: Mapping[int, Mapping[str, Any]] | None,
    *,
    features: bool = False,
    explain: bool = False,
) -> dict[str, Any]:
    doc: dict[str, Any] = {"models": dict(models_doc)}
    if scores is not None:
        doc["scores"] = {
            str(rev_id): {
                name: ores_model_entry(outcome, features=features, explain=explain)
                for name, outcome in by_model.items()
            }
            for rev_id, by_model in scores.items()
        }
    return doc


def revert_risk_item(
    model_name: str,
    version: str | None,
    wiki: str,
    rev_id: int | None,
    outcome: Any,
    *,
    features: bool = False,
    explain: bool = False,
) -> dict[str, Any]:
    """One Lift Wing revert-risk prediction (or its error)."""
    item: dict[str, Any] = {
        "model_name": model_name,
        "model_version": version,
        "wiki_db": wiki,
        "revision_id": rev_id,
    }
    if isinstance(outcome, WikiscoreError):
        item.update(error_entry(outcome))
        return item
    p = _probability(outcome)
    item["output"] = {
        "prediction": bool(outcome.prediction),
        "probabilities": {"true": p, "false": 1.0 - p},
    }
    item.update(_extras(outcome, features=features, explain=explain))
    return item


def _extras(outcome: Any, *, features: bool, explain: bool) -> dict[str, Any]:
    """The feature values and the explanation a request asked for, in both API shapes."""
    extras: dict[str, Any] = {}
    if features and outcome.features is not None:
        extras["features"] = {k: _plain(v) for k, v in outcome.features.items()}
    if explain:
        extras["explanation"] = explanation_doc(outcome)
    return extras


def user_warning_doc(
    model_name: str, version: str | None, wiki: str, outcome: Any
) -> dict[str, Any]:
    doc: dict[str, Any] = {"model_name": model_name, "model_version": version, "wiki_db": wiki}
    if isinstance(outcome, WikiscoreError):
        doc.update(error_entry(outcome))
        return doc
    p = _probability(outcome)
    doc["user"] = outcome.username
    doc["output"] = {
        "prediction": bool(outcome.prediction),
        "probabilities": {"true": p, "false": 1.0 - p},
        "level": outcome.level,
        "edits_considered": outcome.edits_considered,
        "reasons": list(outcome.reasons or []),
    }
    return doc


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- model information ----------------------------------------------------------------------
def model_info_doc(model: ServedModel) -> dict[str, Any]:
    """Everything we can say about a model, in ORES's field names where they exist."""
    artifact = model.artifact
    metadata: Mapping[str, Any] = getattr(artifact, "metadata", None) or {}
    statistics = dict(metadata.get("statistics") or metadata.get("metrics") or {})
    levels = list(getattr(artifact, "levels", None) or [])
    if levels and "levels" not in statistics:
        statistics["levels"] = levels
    doc: dict[str, Any] = {
        "version": model.version,
        "type": metadata.get("type") or metadata.get("model_type") or metadata.get("library"),
        "description": model.spec.description,
        "language": model.spec.lang,
        "kind": model.spec.kind,
        "name": model.spec.name,
        "features": list(getattr(artifact, "feature_names", ()) or ()),
        "default_threshold": _plain(getattr(artifact, "default_threshold", None)),
        "params": metadata.get("params"),
        "environment": metadata.get("environment"),
        "trained": metadata.get("trained") or metadata.get("created"),
        "statistics": statistics,
        "card": _card_summary(model.spec.name),
    }
    return _json_safe(doc)


def _card_summary(name: str) -> dict[str, Any] | None:
    """Intended use, limits and fairness headline from the model card (None if it cannot be
    built: model_info must still answer)."""
    from wikiscore.evaluation.cards import card_summary

    try:
        return card_summary(name)
    except (WikiscoreError, OSError, KeyError, ValueError):
        return None


def parse_info_path(path: str) -> list[str]:
    """Split ``a.b."c.d"`` into ``["a", "b", "c.d"]`` (quotes protect dots), like ORES."""
    parts: list[str] = []
    buf = ""
    quote = ""
    for ch in path:
        if quote:
            if ch == quote:
                quote = ""
            else:
                buf += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    if quote:
        raise InvalidInput(f"model_info path {path!r} has an unmatched quote")
    parts.append(buf)
    if any(not p for p in parts):
        raise InvalidInput(f"model_info path {path!r} has an empty part")
    return parts


def select_model_info(model: ServedModel, paths: Sequence[str]) -> dict[str, Any]:
    """The parts of :func:`model_info_doc` named by ``paths`` (ORES ``model_info=`` values)."""
    full = model_info_doc(model)
    selected: dict[str, Any] = {}
    for raw in paths:
        parts = parse_info_path(raw)
        if parts[:2] == ["statistics", "thresholds"] and len(parts) >= 3:
            _threshold_lookup(model, parts, selected)
            continue
        node: Any = full
        for depth, key in enumerate(parts):
            if not isinstance(node, Mapping) or key not in node:
                known = ", ".join(sorted(node)) if isinstance(node, Mapping) else "none"
                where = ".".join(parts[:depth]) or "the model information"
                raise InvalidInput(
                    f"model_info path {raw!r}: {key!r} is not in {where} (available: {known})"
                )
            node = node[key]
        _assign(selected, parts, node)
    return selected


def _threshold_lookup(model: ServedModel, parts: list[str], out: dict[str, Any]) -> None:
    label = parts[2]
    if label != "true":
        raise InvalidInput(
            f"model_info: thresholds are available for the label 'true' only, not {label!r}"
        )
    queries = parts[3:]
    if not queries:
        _assign(out, parts[:3], _json_safe(_threshold_grid(model)))
        return
    if len(queries) > 1:
        raise InvalidInput(
            "model_info: one threshold query per path, e.g. "
            'statistics.thresholds.true."maximum recall @ precision >= 0.9"'
        )
    query = queries[0]
    try:
        found = model.artifact.threshold_query(query)
    except (ValueError, KeyError) as exc:
        raise InvalidInput(
            f"model_info: cannot answer threshold query {query!r}: {exc}; expected e.g. "
            '"maximum recall @ precision >= 0.9" or "maximum filter_rate @ recall >= 0.75"'
        ) from exc
    # ORES answers a list per label: one entry per optimisation asked for (None if unreachable).
    existing = out.setdefault("statistics", {}).setdefault("thresholds", {}).setdefault("true", [])
    existing.append(_json_safe(found) if found is not None else None)


def _threshold_grid(model: ServedModel) -> list[Any]:
    """Statistics at thresholds 0.05, 0.10, … 0.95 (ORES lists one row per threshold)."""
    table = getattr(model.artifact, "threshold_table", None)
    if table is None:
        return list(getattr(model.artifact, "levels", None) or [])
    from wikiscore.evaluation.thresholds import compact_table

    return compact_table(table, [round(0.05 * i, 2) for i in range(1, 20)])


def _assign(target: dict[str, Any], parts: list[str], value: Any) -> None:
    node = target
    for key in parts[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[parts[-1]] = value


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    value = _plain(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
