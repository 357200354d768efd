"""The service's shared state (``app.state.wikiscore``) and the dependencies that read it.

Routers of every package (ORES v3, Lift Wing, operations, the patrol page) get the registry,
store, client pool and scorer from here, and may register start-up/shut-down hooks.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fastapi import Request

from wikiscore.serve.errors import ApiError
from wikiscore.serve.settings import ServeSettings
from wikiscore.store import Store
from wikiscore.wikis import WikiRegistry

if TYPE_CHECKING:
    from wikiscore.mediawiki.client import ClientPool
    from wikiscore.scoring.precache import PrecacheWorker
    from wikiscore.scoring.service import Scorer

Hook = Callable[["ServiceState"], Awaitable[None] | None]


@dataclass
class ServiceState:
    registry: WikiRegistry
    settings: ServeSettings
    store: Store | None = None
    pool: ClientPool | None = None
    scorer: Scorer | None = None
    precache: dict[str, PrecacheWorker] = field(default_factory=dict)
    ready: bool = False
    shutting_down: bool = False
    started_at: float = field(default_factory=time.time)
    models_loaded: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Other packages hang their own objects here (e.g. the patrol page's templates).
    extras: dict[str, Any] = field(default_factory=dict)
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)


def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.wikiscore
    return state


async def get_scorer(request: Request) -> Scorer:
    """The scorer, or 503 when scoring is not available (still starting, or no client yet).

    A coroutine on purpose: FastAPI runs plain-function dependencies in a thread pool, and a
    thread hop would cost more than the whole cached-score path."""
    state = get_state(request)
    if state.scorer is None:
        reason = "; ".join(state.problems) or "the service is starting"
        raise ApiError(503, "service_unavailable", f"scoring is not available: {reason}")
    return state.scorer
