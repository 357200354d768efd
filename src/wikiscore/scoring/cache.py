"""Score caches: an in-process LRU, the embedded SQLite store and (optionally) Redis, tiered.

Owns the cache key of a score — (wiki, model, model version, revision, variant) — and the
byte encoding of cached scores. A new model version never sees an old score: the version is in
the key. Tiers are consulted fastest first; a hit in a slower tier fills the faster ones.
Must not know about HTTP or fetch anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from wikiscore.scoring import metrics
from wikiscore.store import Store

SCORE_NAMESPACE = "scores"
# Scores are immutable for a (model version, revision); the expiry only bounds disk use and
# lets a later deletion/suppression of the revision stop being served from cache eventually.
DEFAULT_SCORE_TTL = 14 * 24 * 3600.0


class ScoreCache(Protocol):
    """An async byte cache. ``get_many`` returns only the keys it has."""

    name: str

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]: ...

    async def put_many(self, items: Mapping[str, bytes], ttl: float | None = None) -> None: ...

    async def aclose(self) -> None: ...


def score_key(wiki: str, model: str, version: str, rev_id: int, variant: str) -> str:
    """``wiki|model|version|rev_id|variant``; variant "s" is a plain score, "x" explained."""
    return f"{wiki}|{model}|{version}|{rev_id}|{variant}"


class MemoryCache:
    """A bounded LRU in this process, with per-entry expiry. Not shared between replicas."""

    name = "memory"

    def __init__(self, max_items: int = 100_000) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[bytes, float | None]] = OrderedDict()

    def get_many_now(self, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        now = time.monotonic()
        for key in keys:
            entry = self._items.get(key)
            if entry is None:
                continue
            value, expires = entry
            if expires is not None and expires <= now:
                del self._items[key]
                continue
            self._items.move_to_end(key)
            found[key] = value
        return found

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        return self.get_many_now(keys)

    async def put_many(self, items: Mapping[str, bytes], ttl: float | None = None) -> None:
        expires = time.monotonic() + ttl if ttl is not None else None
        for key, value in items.items():
            self._items[key] = (value, expires)
            self._items.move_to_end(key)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    async def aclose(self) -> None:
        self._items.clear()


class StoreCache:
    """Scores in the embedded SQLite store (``kv_cache`` table), read and written in a thread."""

    name = "sqlite"

    def __init__(self, store: Store, namespace: str = SCORE_NAMESPACE) -> None:
        self.store = store
        self.namespace = namespace

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        return await asyncio.to_thread(self.store.kv_get_many, self.namespace, list(keys))

    async def put_many(self, items: Mapping[str, bytes], ttl: float | None = None) -> None:
        if items:
            await asyncio.to_thread(self.store.kv_put_many, self.namespace, dict(items), ttl)

    async def aclose(self) -> None:
        return None


class TieredCache:
    """Memory → SQLite → shared (Redis) cache. A failing tier is skipped, never fatal."""

    name = "tiered"

    def __init__(self, tiers: Sequence[ScoreCache], ttl: float | None = DEFAULT_SCORE_TTL) -> None:
        self.tiers = list(tiers)
        self.ttl = ttl

    @property
    def memory(self) -> MemoryCache | None:
        for tier in self.tiers:
            if isinstance(tier, MemoryCache):
                return tier
        return None

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        remaining = list(dict.fromkeys(keys))
        for depth, tier in enumerate(self.tiers):
            if not remaining:
                break
            try:
                hits = await tier.get_many(remaining)
            except Exception as exc:  # a broken shared cache must not fail scoring
                metrics.CACHE_ERRORS.labels(tier=tier.name).inc()
                metrics.log_event("cache_error", tier=tier.name, error=str(exc))
                continue
            if hits:
                metrics.CACHE_LOOKUPS.labels(tier=tier.name, result="hit").inc(len(hits))
                found.update(hits)
                remaining = [k for k in remaining if k not in hits]
                for upper in self.tiers[:depth]:
                    await self._safe_put(upper, hits)
        if remaining:
            metrics.CACHE_LOOKUPS.labels(tier="all", result="miss").inc(len(remaining))
        return found

    async def put_many(
        self,
        items: Mapping[str, bytes],
        ttl: float | None = None,
        *,
        only: ScoreCache | None = None,
        skip: ScoreCache | None = None,
    ) -> None:
        """Put into every tier, or ``only`` one of them, or all but ``skip``."""
        if not items:
            return
        for tier in self.tiers:
            if (only is not None and tier is not only) or tier is skip:
                continue
            await self._safe_put(tier, items, ttl if ttl is not None else self.ttl)

    async def _safe_put(
        self, tier: ScoreCache, items: Mapping[str, bytes], ttl: float | None = None
    ) -> None:
        try:
            await tier.put_many(items, ttl if ttl is not None else self.ttl)
        except Exception as exc:
            metrics.CACHE_ERRORS.labels(tier=tier.name).inc()
            metrics.log_event("cache_error", tier=tier.name, error=str(exc))

    async def aclose(self) -> None:
        for tier in self.tiers:
            try:
                await tier.aclose()
            except Exception as exc:  # closing is best effort at shutdown
                metrics.log_event("cache_close_error", tier=tier.name, error=str(exc))


# -- encoding ---------------------------------------------------------------------------------
def encode_score(score: Any) -> bytes:
    """An ``EditScore`` (dataclass) as compact JSON bytes."""
    return json.dumps(
        dataclasses.asdict(score), separators=(",", ":"), default=_json_default
    ).encode()


def decode_score(data: bytes) -> Any:
    """The ``EditScore`` encoded by :func:`encode_score`."""
    from wikiscore.scoring.result import Contribution, EditScore

    doc = json.loads(data)
    contributions = doc.get("contributions")
    if contributions is not None:
        doc["contributions"] = [Contribution(**c) for c in contributions]
    known = {f.name for f in dataclasses.fields(EditScore)}
    return EditScore(**{k: v for k, v in doc.items() if k in known})


def _json_default(value: Any) -> Any:
    # numpy scalars and similar: anything with .item() becomes a plain Python number.
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)
