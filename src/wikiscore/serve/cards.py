"""``GET /v1/models/{name}/card``: model cards over HTTP.

Owns the card route only: HTML by default, ``?format=md`` for Markdown, ``?format=json`` for the
card as data. ``name`` is a registered model's full name (``enwiki-editrisk``), its API name
(``editrisk``) or a Lift Wing ``{wiki}-{model}`` name (``testwiki-editrisk``). Cards are built
by :mod:`wikiscore.evaluation.cards` (off the event loop, cached per model version). Included
by ``serve/app.py``; must not score anything.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from wikiscore.errors import UnknownModel, WikiscoreError
from wikiscore.serve.errors import ApiError, json_response
from wikiscore.serve.state import get_state
from wikiscore.wikis import WikiRegistry

router = APIRouter()

FORMATS = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8", "json": ""}


def _card(name: str, registry: WikiRegistry) -> dict[str, Any]:
    from wikiscore.evaluation.cards import cached_card
    from wikiscore.models.registry import get_spec

    try:
        return cached_card(name)
    except UnknownModel:
        # Lift Wing style "{wiki}-{model}": the wiki must be served and in the model's language.
        wiki, sep, model = name.partition("-")
        try:
            spec = get_spec(model) if sep and model else None
            served = spec is not None and registry.get_wiki(wiki).lang == spec.lang
        except WikiscoreError:
            served = False
        if not served:
            raise UnknownModel(
                f"unknown model {name!r}; see GET /v1/models for the models served"
            ) from None
        return cached_card(model)


@router.get(
    "/v1/models/{name}/card",
    summary="Model card: intended use, metrics, fairness, limitations",
    response_model=None,
)
async def model_card(
    request: Request,
    name: str,
    format: str = Query("html", description="html (default), md (Markdown) or json", max_length=8),
) -> Response:
    if format not in FORMATS:
        raise ApiError(
            400, "invalid_input", f"format must be one of html, md, json; got {format[:20]!r}"
        )
    try:
        registry = get_state(request).registry
        card = await asyncio.to_thread(_card, name[:200], registry)
    except UnknownModel as exc:
        raise ApiError(404, "unknown_model", exc.message) from None
    except WikiscoreError as exc:  # a registered model whose artifact cannot be loaded
        raise ApiError(503, "model_unavailable", exc.message) from None
    if format == "json":
        return json_response(card)
    from wikiscore.evaluation.cards import card_html, card_markdown

    text = card_markdown(card) if format == "md" else card_html(card)
    return Response(text.encode("utf-8"), 200, media_type=FORMATS[format])
