"""Lift Wing compatible routes (KServe v1 protocol), both families of model names.

``POST /v1/models/{context}-{model}:predict`` — the revscoring family (``enwiki-editrisk``,
also ``enwiki-reverted``): body ``{"rev_id": N, "extended_output": bool}``; answers in the
ORES nesting ``{context: {"models": …, "scores": {rev_id: {model: {"score": …}}}}}``.
``POST /v1/models/{context}-user-warning:predict`` with ``{"user": NAME}``: vandal early warning.

``POST /v1/models/{model}:predict`` — the revert-risk family (``editrisk``, also
``revertrisk-language-agnostic``): body ``{"rev_id": N, "lang": "en"}`` or ``{"rev_id": N,
"wiki": NAME}`` or ``{"instances": [...]}`` (up to 50), or an unsaved edit as a revision record
(``{"lang": "en", "revision": {...}}``); answers ``{"model_name", "model_version", "wiki_db",
"revision_id", "output": {"prediction", "probabilities": {"true", "false"}}}`` or
``{"predictions": [...]}`` for batches. In a batch a failed item carries ``error`` instead of
``output``; a single request that fails answers with the matching HTTP status.

``GET /v1/models`` and ``GET /v1/models/{name}``: KServe v1 model list and readiness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from wikiscore.errors import InvalidInput, UnknownModel, WikiscoreError
from wikiscore.records import RevisionRecord, revision_from_json
from wikiscore.scoring.service import Scorer
from wikiscore.serve.errors import STATUS_BY_TYPE, ApiError, json_response
from wikiscore.serve.params import (
    bad,
    canonical_model,
    context_wiki,
    contexts,
    parse_flag,
    parse_json_body,
    parse_rev_id,
    wiki_for_language,
)
from wikiscore.serve.shapes import (
    EDIT_MODEL_ALIASES,
    USER_MODEL_ALIASES,
    ores_context_doc,
    revert_risk_item,
    user_warning_doc,
)
from wikiscore.serve.state import ServiceState, get_scorer, get_state

router = APIRouter(tags=["Lift Wing (KServe v1)"])

_INSTANCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "rev_id": {"type": "integer", "minimum": 1, "description": "revision id"},
        "lang": {"type": "string", "description": "Wikipedia language code, e.g. en"},
        "wiki": {"type": "string", "description": "any registered wiki, e.g. enwiki"},
        "revision": {"type": "object", "description": "an unsaved edit (revision record)"},
        "extended_output": {"type": "boolean", "description": "include feature values"},
        "explain": {"type": "boolean", "description": "include top feature contributions"},
    },
}
PREDICT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **_INSTANCE_SCHEMA["properties"],
        "user": {"type": "string", "description": "user name ({context}-user-warning)"},
        "instances": {"type": "array", "maxItems": 50, "items": _INSTANCE_SCHEMA},
    },
}
PREDICT_EXAMPLES = {
    "revert-risk": {"summary": "revert risk", "value": {"rev_id": 12345, "lang": "en"}},
    "revscoring": {
        "summary": "{wiki}-{model}",
        "value": {"rev_id": 12345, "extended_output": False},
    },
    "batch": {
        "summary": "batch",
        "value": {"instances": [{"rev_id": 1, "lang": "en"}, {"rev_id": 2, "wiki": "enwiki"}]},
    },
    "user": {"summary": "user warning", "value": {"user": "Example"}},
}


def model_names(state: ServiceState) -> list[str]:
    """Every name ``/v1/models/{name}:predict`` accepts (KServe model list)."""
    scorer = state.scorer
    if scorer is None:
        return []
    plain: dict[str, None] = {}
    per_context: list[str] = []
    for wiki in contexts(scorer, state.registry):
        for name, spec in sorted(scorer.models_for(wiki).items()):
            plain[name] = None
            per_context.append(f"{wiki}-{name}")
            if spec.kind == "edit" and name == "editrisk":
                for alias in EDIT_MODEL_ALIASES:
                    plain[alias] = None
                per_context.append(f"{wiki}-reverted")
            if spec.kind == "user" and name != "user-warning":
                per_context.append(f"{wiki}-user-warning")
                plain["user-warning"] = None
    return sorted(plain) + per_context


@router.get("/v1/models", summary="KServe v1: the models served")
async def list_models(request: Request) -> Response:
    return json_response({"models": model_names(get_state(request))})


@router.get("/v1/models/{name}", summary="KServe v1: readiness of one model")
async def model_ready(request: Request, name: str) -> Response:
    state = get_state(request)
    if name not in model_names(state):
        raise ApiError(404, "unknown_model", f"no model called {name[:80]!r}; see GET /v1/models")
    return json_response({"name": name, "ready": state.ready})


@router.post(
    "/v1/models/{name}:predict",
    summary="Lift Wing prediction (revscoring or revert-risk family, by name)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": PREDICT_SCHEMA, "examples": PREDICT_EXAMPLES}
            },
        }
    },
)
async def predict(request: Request, name: str, scorer: Scorer = Depends(get_scorer)) -> Response:
    state = get_state(request)
    body = parse_json_body(await request.body())
    prefix, dash, rest = name.partition("-")
    if dash and prefix in state.registry:
        wiki = context_wiki(scorer, state.registry, prefix).dbname
        if rest in USER_MODEL_ALIASES or rest in scorer.models_for(wiki, "user"):
            return await _predict_user(scorer, wiki, rest, body)
        return await _predict_revscoring(scorer, wiki, rest, body)
    if name in USER_MODEL_ALIASES:
        return await _predict_user(scorer, _wiki_of(state, body), name, body)
    if not _is_edit_model_name(state, scorer, name):
        raise ApiError(404, "unknown_model", f"no model called {name[:80]!r}; see GET /v1/models")
    return await _predict_revert_risk(state, scorer, name, body)


# -- revscoring family ----------------------------------------------------------------------
async def _predict_revscoring(
    scorer: Scorer, wiki: str, model: str, body: Mapping[str, Any]
) -> Response:
    try:
        canonical = canonical_model(scorer, wiki, model, "edit")
    except UnknownModel as exc:
        raise ApiError(404, exc.error_type, exc.message) from None
    event = body.get("revision_create_event")
    if isinstance(event, Mapping) and "rev_id" not in body:
        body = {**body, "rev_id": event.get("rev_id")}
    if "rev_id" not in body:
        raise bad('expected "rev_id" in the request body, e.g. {"rev_id": 12345}')
    rev_id = parse_rev_id(body["rev_id"])
    features = parse_flag("extended_output", body.get("extended_output"))
    explain = parse_flag("explain", body.get("explain"))
    served = await scorer.served_model(wiki, canonical, "edit")
    scores = await scorer.score_revisions(
        wiki, [canonical], [rev_id], features=features, explain=explain
    )
    doc = ores_context_doc(
        {model: {"version": served.version}},
        {rev_id: {model: scores[rev_id][canonical]}},
        features=features,
        explain=explain,
    )
    return json_response({wiki: doc})


# -- user warning ---------------------------------------------------------------------------
async def _predict_user(scorer: Scorer, wiki: str, model: str, body: Mapping[str, Any]) -> Response:
    try:
        canonical = canonical_model(scorer, wiki, model, "user")
    except UnknownModel as exc:
        raise ApiError(404, exc.error_type, exc.message) from None
    user = body.get("user")
    if not isinstance(user, str) or not user.strip() or len(user) > 255:
        raise bad('expected "user": a user name (at most 255 characters) in the request body')
    served = await scorer.served_model(wiki, canonical, "user")
    outcome = await scorer.score_user(wiki, canonical, user)
    status = _status(outcome)
    return json_response(user_warning_doc(model, served.version, wiki, outcome), status)


# -- revert-risk family ---------------------------------------------------------------------
@dataclass
class _Instance:
    index: int
    wiki: str | None = None
    rev_id: int | None = None
    record: RevisionRecord | None = None
    features: bool = False
    explain: bool = False
    error: WikiscoreError | None = None


def _is_edit_model_name(state: ServiceState, scorer: Scorer, name: str) -> bool:
    if name in EDIT_MODEL_ALIASES:
        return True
    return any(name in scorer.models_for(w, "edit") for w in contexts(scorer, state.registry))


def _wiki_of(state: ServiceState, item: Mapping[str, Any]) -> str:
    wiki = item.get("wiki", item.get("wiki_db"))
    if wiki is not None:
        if not isinstance(wiki, str) or wiki not in state.registry:
            known = ", ".join(contexts(state.scorer, state.registry)[:20]) or "none"
            raise bad(f'"wiki": {str(wiki)[:60]!r} is not a registered wiki (with models: {known})')
        return wiki
    if "lang" in item:
        return wiki_for_language(state.registry, item["lang"])
    raise bad(
        'say which wiki: "lang": "en" (a Wikipedia) or "wiki": "enwiki" (any registered wiki)'
    )


def _parse_instance(
    state: ServiceState, index: int, item: Any, defaults: Mapping[str, Any]
) -> _Instance:
    inst = _Instance(index)
    try:
        if not isinstance(item, Mapping):
            raise bad(f"instance {index} must be a JSON object")
        inst.wiki = _wiki_of(state, item)
        inst.features = parse_flag(
            "extended_output", item.get("extended_output", defaults.get("extended_output"))
        )
        inst.explain = parse_flag("explain", item.get("explain", defaults.get("explain")))
        if "revision" in item:
            inst.record = revision_from_json(item["revision"])
            inst.rev_id = inst.record.rev_id
        elif "text" in item:
            inst.record = revision_from_json(dict(item))
            inst.rev_id = inst.record.rev_id
        elif "rev_id" in item:
            inst.rev_id = parse_rev_id(item["rev_id"])
        else:
            raise bad('expected "rev_id" (a saved revision) or "revision" (an unsaved edit)')
        if inst.record is not None and inst.record.text is None:
            raise InvalidInput(
                'an unsaved edit needs "text" (and "parent_text", "" for a new page)'
            )
    except ApiError as exc:
        inst.error = InvalidInput(exc.message)
    except WikiscoreError as exc:
        inst.error = exc
    return inst


async def _predict_revert_risk(
    state: ServiceState, scorer: Scorer, name: str, body: Mapping[str, Any]
) -> Response:
    batch = "instances" in body
    if batch:
        items = body["instances"]
        if not isinstance(items, list) or not items:
            raise bad('"instances" must be a non-empty array of objects')
        if len(items) > state.settings.max_batch:
            raise bad(f'Too many "instances": {len(items)}. Max of {state.settings.max_batch}.')
        instances = [_parse_instance(state, i, item, body) for i, item in enumerate(items)]
    else:
        instances = [_parse_instance(state, 0, body, {})]
        if instances[0].error is not None:
            error = instances[0].error
            raise ApiError(
                STATUS_BY_TYPE.get(error.error_type, 400), error.error_type, error.message
            )

    outcomes: dict[int, tuple[str | None, Any]] = {}
    groups: dict[tuple[str, bool, bool], list[_Instance]] = {}
    for inst in instances:
        if inst.error is not None:
            outcomes[inst.index] = (None, inst.error)
        else:
            assert inst.wiki is not None
            groups.setdefault((inst.wiki, inst.features, inst.explain), []).append(inst)
    for (wiki, features, explain), group in groups.items():
        await _score_group(scorer, name, wiki, group, features, explain, outcomes)

    docs = []
    for inst in instances:
        version, outcome = outcomes[inst.index]
        docs.append(
            revert_risk_item(
                name,
                version,
                inst.wiki or "",
                inst.rev_id,
                outcome,
                features=inst.features,
                explain=inst.explain,
            )
        )
    if batch:
        return json_response({"predictions": docs})
    return json_response(docs[0], _status(outcomes[0][1]))


async def _score_group(
    scorer: Scorer,
    name: str,
    wiki: str,
    group: list[_Instance],
    features: bool,
    explain: bool,
    outcomes: dict[int, tuple[str | None, Any]],
) -> None:
    try:
        canonical = canonical_model(scorer, wiki, name, "edit")
        served = await scorer.served_model(wiki, canonical, "edit")
    except WikiscoreError as exc:
        for inst in group:
            outcomes[inst.index] = (None, exc)
        return
    saved = [inst for inst in group if inst.record is None]
    unsaved = [inst for inst in group if inst.record is not None]
    if saved:
        ids = [inst.rev_id for inst in saved if inst.rev_id is not None]
        scores = await scorer.score_revisions(
            wiki, [canonical], ids, features=features, explain=explain
        )
        for inst in saved:
            assert inst.rev_id is not None
            outcomes[inst.index] = (served.version, scores[inst.rev_id][canonical])
    if unsaved:
        records = [inst.record for inst in unsaved if inst.record is not None]
        results = await scorer.score_records(
            wiki, canonical, records, features=features, explain=explain
        )
        for inst, outcome in zip(unsaved, results, strict=True):
            outcomes[inst.index] = (served.version, outcome)


def _status(outcome: Any) -> int:
    if isinstance(outcome, WikiscoreError):
        return STATUS_BY_TYPE.get(outcome.error_type, 400)
    return 200
