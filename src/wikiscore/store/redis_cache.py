"""Optional Redis cache shared by several replicas of the service.

Owns talking to Redis: ``MGET`` for lookups, pipelined ``SET … EX`` for writes, a key prefix so
one Redis can hold several deployments, and short timeouts so a slow Redis degrades to a cache
miss instead of a slow request. Values are opaque bytes (callers encode and decode them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from wikiscore.errors import ConfigError


def check_redis_url(url: str) -> str:
    """A ``redis://host[:port][/db]``, ``rediss://…`` or ``unix://…`` URL; else ConfigError."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or (
        parts.scheme != "unix" and not parts.hostname
    ):
        raise ConfigError(
            f"cache URL must look like redis://host:6379/0 (or rediss://, unix://), got {url!r}"
        )
    return url


class RedisCache:
    """An async byte cache in Redis (``redis.asyncio``), with a key prefix."""

    name = "redis"

    def __init__(
        self, url: str, *, prefix: str = "wikiscore:scores:", timeout: float = 0.5
    ) -> None:
        import redis.asyncio as redis_asyncio

        self.url = check_redis_url(url)
        self.prefix = prefix
        self._client = redis_asyncio.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
        )

    async def ping(self) -> bool:
        return bool(await self._client.ping())

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        values = await self._client.mget([self.prefix + k for k in keys])
        return {
            k: v if isinstance(v, bytes) else str(v).encode()
            for k, v in zip(keys, values, strict=True)
            if v is not None
        }

    async def put_many(self, items: Mapping[str, bytes], ttl: float | None = None) -> None:
        if not items:
            return
        expire = max(1, math.ceil(ttl)) if ttl is not None else None
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(self.prefix + key, value, ex=expire)
            await pipe.execute()

    async def delete_prefix(self) -> int:
        """Remove every key under this cache's prefix (used by admin cache flushes)."""
        removed = 0
        async for key in self._client.scan_iter(match=self.prefix + "*", count=500):
            removed += int(await self._client.delete(key))
        return removed

    async def aclose(self) -> None:
        await self._client.aclose()
