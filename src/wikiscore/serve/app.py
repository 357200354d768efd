"""Application factory."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException

from wikiscore import __version__
from wikiscore.wikis import WikiRegistry, default_registry


def create_app(registry: WikiRegistry | None = None) -> FastAPI:
    registry = registry if registry is not None else default_registry()
    app = FastAPI(title="wikiscore", version=__version__)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/v1/wikis")
    async def list_wikis() -> dict[str, Any]:
        return {"wikis": [w.to_json() for w in registry.values()]}

    @app.get("/v1/wikis/{name}")
    async def wiki_info(name: str) -> dict[str, Any]:
        wiki = registry.get(name)
        if wiki is None:
            raise HTTPException(404, detail=f"unknown wiki {name!r}")
        return wiki.to_json()

    return app
