"""Operations routes: health, readiness, Prometheus metrics, wiki information, offline API
docs, and the admin endpoints (token-protected)."""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from wikiscore import __version__
from wikiscore.serve.errors import ApiError, json_response
from wikiscore.serve.params import contexts
from wikiscore.serve.protection import require_token
from wikiscore.serve.settings import ApiToken
from wikiscore.serve.state import get_scorer, get_state

router = APIRouter()


@router.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
async def healthz() -> Response:
    return json_response({"status": "ok", "version": __version__})


@router.get("/readyz", tags=["operations"], summary="Readiness: started, models loaded")
async def readyz(request: Request) -> Response:
    state = get_state(request)
    ready = state.ready and not state.shutting_down
    doc: dict[str, Any] = {
        "ready": ready,
        "version": __version__,
        "uptime_seconds": round(time.time() - state.started_at, 1),
        "scoring": state.scorer is not None,
        "models": state.models_loaded,
        "contexts": contexts(state.scorer, state.registry),
        "precache": {name: w.status.to_json() for name, w in state.precache.items()},
        "problems": state.problems,
    }
    return json_response(doc, 200 if ready else 503)


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics")
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/wikis", tags=["wikis"], summary="Registered wikis")
async def list_wikis(request: Request) -> Response:
    state = get_state(request)
    return json_response({"wikis": [w.to_json() for w in state.registry.values()]})


@router.get("/v1/wikis/{name}", tags=["wikis"], summary="One registered wiki and its models")
async def wiki_info(request: Request, name: str) -> Response:
    state = get_state(request)
    wiki = state.registry.get(name)
    if wiki is None:
        raise ApiError(404, "unknown_wiki", f"unknown wiki {name[:80]!r}; see GET /v1/wikis")
    doc = wiki.to_json()
    scorer = state.scorer
    doc["models"] = sorted(scorer.models_for(wiki)) if scorer is not None else []
    return json_response(doc)


@router.post(
    "/admin/models/reload",
    tags=["admin"],
    summary="Reload models from disk (needs an admin token)",
)
async def reload_models(
    request: Request, token: ApiToken = Depends(require_token("admin"))
) -> Response:
    state = get_state(request)
    scorer = await get_scorer(request)
    scorer.reload_models()
    state.models_loaded = await scorer.warm_up()
    return json_response({"reloaded": state.models_loaded, "by": token.name})


@router.get("/admin/status", tags=["admin"], summary="Service settings and caches (admin token)")
async def admin_status(
    request: Request, token: ApiToken = Depends(require_token("admin"))
) -> Response:
    state = get_state(request)
    settings = state.settings
    memory = len(state.scorer.memory) if state.scorer is not None else 0
    return json_response(
        {
            "by": token.name,
            "rate_limit": settings.rate_limit,
            "rate_burst": settings.rate_burst,
            "max_body_bytes": settings.max_body_bytes,
            "upstream_timeout": settings.upstream_timeout,
            "workers": settings.workers,
            "shared_cache": bool(settings.cache_url),
            "memory_cache_items": memory,
            "precache": {name: w.status.to_json() for name, w in state.precache.items()},
        }
    )


# -- offline docs ---------------------------------------------------------------------------
def install_docs(app: FastAPI) -> None:
    """Swagger UI from files shipped in a Python package (no CDN: works offline)."""
    static = _swagger_static_dir()
    if static is not None:
        app.mount("/static/docs", StaticFiles(directory=static), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        if static is None:
            return HTMLResponse(_plain_docs(app.openapi()))
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="wikiscore API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )


def _swagger_static_dir() -> Path | None:
    try:
        import fastapi_offline
    except ImportError:
        return None
    static = Path(fastapi_offline.__file__).parent / "static"
    return static if (static / "swagger-ui-bundle.js").exists() else None


def _plain_docs(schema: dict[str, Any]) -> str:
    """A script-free page listing every operation (when Swagger UI's files are missing)."""
    rows = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            params = ", ".join(p.get("name", "") for p in op.get("parameters", []))
            cells = (method.upper(), path, op.get("summary", ""), params)
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>wikiscore API</title></head>"
        "<body><h1>wikiscore API</h1><p>Machine-readable: <a href='/openapi.json'>/openapi.json"
        "</a></p><table border='1' cellpadding='4'><tr><th>method</th><th>path</th>"
        f"<th>summary</th><th>parameters</th></tr>{''.join(rows)}</table></body></html>"
    )
