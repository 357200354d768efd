"""Score cache tiers: in-process LRU, the SQLite store, and a real Redis shared by replicas."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from wikiscore.errors import ConfigError
from wikiscore.scoring.cache import MemoryCache, StoreCache, TieredCache, score_key
from wikiscore.store import Store
from wikiscore.store.redis_cache import RedisCache, check_redis_url


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


class BrokenTier:
    """A tier that always fails: a stand-in for a Redis that went away mid-request (a real
    dead Redis is tested below; this one also fails on writes without a connect timeout)."""

    name = "broken"

    async def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        raise ConnectionError("gone")

    async def put_many(self, items: Mapping[str, bytes], ttl: float | None = None) -> None:
        raise ConnectionError("gone")

    async def aclose(self) -> None:
        return None


def test_score_key_includes_model_version() -> None:
    assert score_key("enwiki", "enwiki-editrisk", "1.2", 42, "s") != score_key(
        "enwiki", "enwiki-editrisk", "1.3", 42, "s"
    )


def test_memory_cache_is_bounded_and_expires() -> None:
    cache = MemoryCache(max_items=2)
    run(cache.put_many({"a": b"1", "b": b"2"}))
    run(cache.get_many(["a"]))  # a is now the most recently used
    run(cache.put_many({"c": b"3"}))
    assert run(cache.get_many(["a", "b", "c"])) == {"a": b"1", "c": b"3"}
    run(cache.put_many({"d": b"4"}, ttl=-1))
    assert run(cache.get_many(["d"])) == {}


def test_sqlite_hit_fills_memory_and_a_broken_tier_is_skipped(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    memory = MemoryCache()
    run(StoreCache(store).put_many({"k": b"v"}))
    tiered = TieredCache([memory, BrokenTier(), StoreCache(store)])
    assert run(tiered.get_many(["k", "missing"])) == {"k": b"v"}
    assert run(memory.get_many(["k"])) == {"k": b"v"}
    run(tiered.put_many({"k2": b"v2"}))  # the broken tier does not stop the others
    assert store.kv_get("scores", "k2") == b"v2"


def test_redis_url_is_checked() -> None:
    assert check_redis_url("redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="redis://"):
        check_redis_url("http://127.0.0.1:6379")


@pytest.mark.redis
def test_redis_cache_round_trip_ttl_and_prefix(redis_url: str) -> None:
    async def scenario() -> None:
        a = RedisCache(redis_url, prefix="test-a:")
        b = RedisCache(redis_url, prefix="test-b:")
        try:
            assert await a.ping()
            await a.put_many({"x": b"1", "y": b"\x00\xff"}, ttl=30)
            assert await a.get_many(["x", "y", "z"]) == {"x": b"1", "y": b"\x00\xff"}
            assert await b.get_many(["x"]) == {}  # another deployment's prefix
            ttl = await a._client.ttl("test-a:x")
            assert 0 < ttl <= 30
            await a.put_many({"short": b"s"}, ttl=1)
            await asyncio.sleep(1.2)
            assert await a.get_many(["short"]) == {}
            assert await a.delete_prefix() == 2
        finally:
            await a.aclose()
            await b.aclose()

    run(scenario())


@pytest.mark.redis
def test_replicas_share_scores_through_redis(redis_url: str, tmp_path: Path) -> None:
    """Two replicas, each with its own memory and SQLite cache, one Redis between them."""

    async def scenario() -> None:
        shared_a = RedisCache(redis_url, prefix="replicas:")
        shared_b = RedisCache(redis_url, prefix="replicas:")
        memory_b = MemoryCache()
        replica_a = TieredCache(
            [MemoryCache(), StoreCache(Store(tmp_path / "a.sqlite3")), shared_a]
        )
        replica_b = TieredCache([memory_b, StoreCache(Store(tmp_path / "b.sqlite3")), shared_b])
        try:
            await replica_a.put_many({"enwiki|m|1|5|s": b"score"})
            assert await replica_b.get_many(["enwiki|m|1|5|s"]) == {"enwiki|m|1|5|s": b"score"}
            assert await memory_b.get_many(["enwiki|m|1|5|s"]) == {"enwiki|m|1|5|s": b"score"}
        finally:
            await replica_a.aclose()
            await replica_b.aclose()

    run(scenario())


def test_unreachable_redis_degrades_to_a_miss(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once this socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def scenario() -> None:
        dead = RedisCache(f"redis://127.0.0.1:{port}/0", timeout=0.2)
        tiered = TieredCache([MemoryCache(), dead])
        assert await tiered.get_many(["k"]) == {}
        await tiered.put_many({"k": b"v"})  # no exception
        assert await tiered.get_many(["k"]) == {"k": b"v"}  # from memory
        await tiered.aclose()

    run(scenario())
