"""ORES v3 compatible routes: ``/v3/scores/…``.

Same paths, parameters and JSON nesting as ORES v3, so clients written for ORES (e.g.
``ores.api.Session``) work unchanged::

    GET /v3/scores/                                   contexts and their models
    GET /v3/scores/{context}/?models=a|b&revids=1|2   up to 50 revisions, several models
    GET /v3/scores/{context}/{revid}/                 one revision, every model
    GET /v3/scores/{context}/{revid}/{model}/         one revision, one model

Parameters: ``features`` (feature values next to each score), ``model_info`` (``|``-separated
paths such as ``version`` or ``statistics.thresholds.true."maximum recall @ precision >= 0.9"``),
``explain`` (top feature contributions in plain words; a wikiscore extension).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from wikiscore.errors import UnknownModel, WikiscoreError
from wikiscore.scoring.service import ModelUnavailable, Scorer
from wikiscore.serve.errors import ApiError, json_response
from wikiscore.serve.params import (
    canonical_model,
    context_wiki,
    contexts,
    parse_flag,
    parse_names,
    parse_rev_id,
    parse_rev_ids,
    resolve_models,
)
from wikiscore.serve.shapes import error_entry, ores_context_doc, select_model_info
from wikiscore.serve.state import ServiceState, get_scorer, get_state

router = APIRouter(tags=["ORES v3"])

MODEL_INFO_HELP = (
    "'|'-separated model information paths, e.g. version, statistics, "
    'statistics.thresholds.true."maximum recall @ precision >= 0.9". Default: version.'
)
FEATURES_HELP = "Include the feature values used for each score (present or true)."
EXPLAIN_HELP = "Include the top feature contributions with plain-language labels."


async def _models_doc(
    scorer: Scorer,
    wiki: str,
    names: dict[str, str],
    info_paths: list[str],
) -> dict[str, Any]:
    doc = {}
    for requested, canonical in names.items():
        try:
            served = await scorer.served_model(wiki, canonical, "edit")
        except ModelUnavailable as exc:  # its scores carry the same error
            doc[requested] = error_entry(exc)
            continue
        if info_paths:
            try:
                doc[requested] = select_model_info(served, info_paths)
            except WikiscoreError as exc:
                raise ApiError(400, exc.error_type, exc.message) from None
        else:
            doc[requested] = {"version": served.version}
    return doc


def _refuse_injection(params: Any) -> None:
    """ORES let clients inject feature values (``inject=``, ``feature.X=``); we do not, and
    silently ignoring them would return scores the client did not ask for."""
    for key in params:
        if key == "inject" or key.startswith(("feature.", "datasource.")):
            raise ApiError(
                400, "invalid_input", f"{key[:60]!r}: feature injection is not supported"
            )


async def _score_context(
    state: ServiceState,
    scorer: Scorer,
    context: str,
    *,
    models: list[str],
    rev_ids: list[int],
    features: bool,
    explain: bool,
    info_paths: list[str],
    request_params: Any = (),
    model_status: int = 400,
) -> Response:
    wiki = context_wiki(scorer, state.registry, context).dbname
    _refuse_injection(request_params)
    if not models:
        models = sorted(scorer.models_for(wiki, "edit"))
    names = resolve_models(scorer, wiki, models, status=model_status)
    models_doc = await _models_doc(scorer, wiki, names, info_paths)
    scores = None
    if rev_ids:
        by_rev = await scorer.score_revisions(
            wiki, list(dict.fromkeys(names.values())), rev_ids, features=features, explain=explain
        )
        scores = {
            rev_id: {requested: by_rev[rev_id][canonical] for requested, canonical in names.items()}
            for rev_id in dict.fromkeys(rev_ids)
        }
    doc = ores_context_doc(models_doc, scores, features=features, explain=explain)
    return json_response({wiki: doc})


@router.get("/v3/scores", include_in_schema=False)  # ORES answers with or without the slash
@router.get("/v3/scores/", summary="Contexts (wikis) and the models each offers")
async def ores_contexts(
    request: Request,
    model_info: str | None = Query(None, description=MODEL_INFO_HELP),
) -> Response:
    state = get_state(request)
    scorer = state.scorer
    info_paths = parse_names(model_info, "model_info")
    doc: dict[str, Any] = {}
    for wiki in contexts(scorer, state.registry):
        assert scorer is not None
        names = {name: name for name in sorted(scorer.models_for(wiki, "edit"))}
        doc[wiki] = {"models": await _models_doc(scorer, wiki, names, info_paths)}
    return json_response(doc)


@router.get("/v3/scores/{context}", include_in_schema=False)
@router.get(
    "/v3/scores/{context}/",
    summary="Score up to 50 revisions with one or more models",
    description="Without revids, returns the context's model information only.",
)
async def ores_scores(
    request: Request,
    context: str,
    models: str | None = Query(None, description="'|'-separated model names (default: all)"),
    revids: str | None = Query(None, description="'|'-separated revision ids (at most 50)"),
    features: str | None = Query(None, description=FEATURES_HELP),
    model_info: str | None = Query(None, description=MODEL_INFO_HELP),
    explain: str | None = Query(None, description=EXPLAIN_HELP),
    scorer: Scorer = Depends(get_scorer),
) -> Response:
    state = get_state(request)
    return await _score_context(
        state,
        scorer,
        context,
        models=parse_names(models, "models"),
        rev_ids=parse_rev_ids(revids, state.settings.max_batch),
        features=parse_flag("features", features),
        explain=parse_flag("explain", explain),
        info_paths=parse_names(model_info, "model_info"),
        request_params=request.query_params,
    )


@router.get("/v3/scores/{context}/{revid}", include_in_schema=False)
@router.get("/v3/scores/{context}/{revid}/", summary="Score one revision with every model")
async def ores_revision(
    request: Request,
    context: str,
    revid: str,
    models: str | None = Query(None, description="'|'-separated model names (default: all)"),
    features: str | None = Query(None, description=FEATURES_HELP),
    model_info: str | None = Query(None, description=MODEL_INFO_HELP),
    explain: str | None = Query(None, description=EXPLAIN_HELP),
    scorer: Scorer = Depends(get_scorer),
) -> Response:
    state = get_state(request)
    return await _score_context(
        state,
        scorer,
        context,
        models=parse_names(models, "models"),
        rev_ids=[parse_rev_id(revid, "revid")],
        features=parse_flag("features", features),
        explain=parse_flag("explain", explain),
        info_paths=parse_names(model_info, "model_info"),
        request_params=request.query_params,
    )


@router.get("/v3/scores/{context}/{revid}/{model}", include_in_schema=False)
@router.get("/v3/scores/{context}/{revid}/{model}/", summary="Score one revision with one model")
async def ores_revision_model(
    request: Request,
    context: str,
    revid: str,
    model: str,
    features: str | None = Query(None, description=FEATURES_HELP),
    model_info: str | None = Query(None, description=MODEL_INFO_HELP),
    explain: str | None = Query(None, description=EXPLAIN_HELP),
    scorer: Scorer = Depends(get_scorer),
) -> Response:
    state = get_state(request)
    wiki = context_wiki(scorer, state.registry, context).dbname
    try:
        canonical_model(scorer, wiki, model, "edit")
    except UnknownModel as exc:
        raise ApiError(404, exc.error_type, exc.message) from None
    return await _score_context(
        state,
        scorer,
        context,
        models=[model],
        rev_ids=[parse_rev_id(revid, "revid")],
        features=parse_flag("features", features),
        explain=parse_flag("explain", explain),
        info_paths=parse_names(model_info, "model_info"),
        request_params=request.query_params,
        model_status=404,
    )
