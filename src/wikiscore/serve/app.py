"""Application factory: the FastAPI app, its shared state and its lifecycle.

``create_app()`` builds the app; the lifespan opens the store, the MediaWiki client pool, the
optional Redis cache and the scorer, loads the models, starts precache workers, and undoes all
of it in reverse on shutdown (uvicorn first stops accepting and lets requests in flight end).

Routers: ORES v3, Lift Wing, operations, model cards (``serve.cards``) and the patrol page
(``web.routes``). Other packages add lifecycle hooks with
``app.state.wikiscore.on_startup/on_shutdown`` and reach the registry, store, pool and scorer
through :mod:`wikiscore.serve.state`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from wikiscore import __version__
from wikiscore.serve import cards, liftwing, ops, ores
from wikiscore.serve.errors import install_error_handlers
from wikiscore.serve.protection import GuardMiddleware
from wikiscore.serve.settings import ServeSettings
from wikiscore.serve.state import ServiceState
from wikiscore.store import Store
from wikiscore.store.background import Foreground
from wikiscore.web import routes as patrol
from wikiscore.wikis import WikiRegistry, default_registry

if TYPE_CHECKING:
    from wikiscore.mediawiki.client import ClientPool
    from wikiscore.scoring.service import Scorer

logger = logging.getLogger("wikiscore.serve")

DESCRIPTION = """\
Scores for Wikimedia edits and users, compatible with ORES v3 (`/v3/scores/…`) and Lift Wing
(`/v1/models/…:predict`). Models are named shortly (`editrisk`); a model serves every
registered wiki of its language. Errors are `{"error": {"type", "code", "message"}}`.
"""


def create_app(
    registry: WikiRegistry | None = None,
    *,
    settings: ServeSettings | None = None,
    store: Store | None = None,
    pool: ClientPool | None = None,
    scorer: Scorer | None = None,
) -> FastAPI:
    """The service. Anything not passed in is created at start-up and closed at shutdown."""
    registry = registry if registry is not None else default_registry()
    settings = settings or ServeSettings()
    state = ServiceState(
        registry=registry, settings=settings, store=store, pool=pool, scorer=scorer
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = await _start(state)
        try:
            yield
        finally:
            await _stop(state, owned)

    app = FastAPI(
        title="wikiscore",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.wikiscore = state
    install_error_handlers(app)
    app.include_router(ops.router)
    app.include_router(ores.router)
    app.include_router(liftwing.router)
    ops.install_docs(app)
    app.include_router(cards.router)
    app.include_router(patrol.router)
    app.add_middleware(GuardMiddleware, settings=settings)
    return app


async def _start(state: ServiceState) -> dict[str, Any]:
    """Open what was not passed in; returns the objects this app owns (to close later)."""
    owned: dict[str, Any] = {}
    settings = state.settings
    if state.store is None:
        from wikiscore.config import store_path

        state.store = owned["store"] = Store(store_path())
        await asyncio.to_thread(state.store.kv_purge_expired)
    if state.scorer is None:
        foreground = Foreground()  # the scorer's CPU step, which cache writes stay out of
        if state.pool is None:
            try:
                from wikiscore.mediawiki.client import ClientPool
            except ImportError as exc:
                state.problems.append(f"the MediaWiki client is not available ({exc})")
            else:
                state.pool = owned["pool"] = ClientPool(
                    state.registry, store=state.store, foreground=foreground
                )
        if state.pool is not None:
            from wikiscore.scoring.service import Scorer

            shared = await _shared_cache(state)
            state.scorer = owned["scorer"] = Scorer(
                state.registry,
                state.pool,
                state.store,
                cache=shared,
                workers=settings.workers,
                processes=settings.processes,
                upstream_timeout=settings.upstream_timeout,
                foreground=foreground,
            )
    if state.scorer is not None and settings.warm_up:
        state.models_loaded = await state.scorer.warm_up()
        state.problems.extend(
            f"model {name} is not available: {why}"
            for name, why in state.scorer.load_failures.items()
        )
    if state.scorer is not None:
        from wikiscore.config import home_dir
        from wikiscore.scoring.precache import PrecacheWorker

        for wiki in settings.precache:
            if wiki in state.precache:
                continue
            worker = PrecacheWorker(
                state.scorer,
                wiki,
                interval=settings.precache_interval,
                eventstreams_url=settings.eventstreams.get(wiki),
                lock_dir=home_dir(),
            )
            state.precache[wiki] = worker
            worker.start()
    for hook in state.on_startup:
        result = hook(state)
        if asyncio.iscoroutine(result):
            await result
    state.ready = True
    logger.info(
        "started",
        extra={
            "fields": {
                "event": "started",
                "models": state.models_loaded,
                "precache": list(state.precache),
                "problems": state.problems,
            }
        },
    )
    return owned


async def _shared_cache(state: ServiceState) -> Any:
    url = state.settings.cache_url
    if not url:
        return None
    from wikiscore.store.redis_cache import RedisCache

    cache = RedisCache(url)
    try:
        await cache.ping()
    except Exception as exc:  # keep serving from local caches; Redis may come back
        message = f"shared cache {url} is not answering ({type(exc).__name__}); retrying per call"
        state.problems.append(message)
        logger.warning(
            "cache_unavailable", extra={"fields": {"event": "cache_unavailable", "url": url}}
        )
    return cache


async def _stop(state: ServiceState, owned: dict[str, Any]) -> None:
    state.ready = False
    state.shutting_down = True
    for worker in list(state.precache.values()):
        await worker.stop()
    for hook in reversed(state.on_shutdown):
        try:
            result = hook(state)
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            logger.exception(
                "shutdown_hook_failed", extra={"fields": {"event": "shutdown_hook_failed"}}
            )
    if "scorer" in owned:
        await owned["scorer"].aclose()
    if "pool" in owned:
        await owned["pool"].aclose()
    if "store" in owned:
        owned["store"].close()
    logger.info("stopped", extra={"fields": {"event": "stopped"}})


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several worker processes: settings come from the
    config file plus the CLI's overrides in ``WIKISCORE_SERVE_OVERRIDES`` (JSON)."""
    import json
    import os

    from wikiscore.serve.settings import load_settings

    overrides = json.loads(os.environ.get("WIKISCORE_SERVE_OVERRIDES", "{}"))
    if "precache" in overrides:
        overrides["precache"] = tuple(overrides["precache"])
    return create_app(settings=load_settings().with_overrides(**overrides))
