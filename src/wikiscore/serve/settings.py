"""Service settings: limits, tokens, cache, precaching — from the config file, env and CLI.

The ``[serve]`` table of the config file, e.g.::

    [serve]
    rate_limit = 20          # sustained requests per second per client (0: no limit)
    rate_burst = 100         # requests a client may send at once
    max_body_bytes = 8388608
    upstream_timeout = 15.0  # seconds; a slower wiki gives per-revision error objects
    workers = 2              # scoring threads
    processes = 0            # >0: that many scoring processes instead of threads
    cache = "redis://127.0.0.1:6379/0"
    precache = ["enwiki"]
    trust_forwarded = false  # take the client address from X-Client-IP / X-Forwarded-For

    [serve.eventstreams]     # follow these wikis with EventStreams instead of polling
    enwiki = "https://stream.wikimedia.org/v2/stream/recentchange"

    [[serve.tokens]]         # API tokens for write and admin endpoints
    name = "ops"
    token = "a long random string"
    scopes = ["admin", "write"]

``WIKISCORE_API_TOKENS="name:token:admin+write,name2:token2:write"`` adds tokens from the
environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from wikiscore.errors import ConfigError

SCOPES = ("read", "write", "admin")


@dataclass(frozen=True)
class ApiToken:
    name: str
    token: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        # admin can do everything write can.
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class ServeSettings:
    rate_limit: float = 20.0
    rate_burst: int = 100
    max_body_bytes: int = 8 * 1024 * 1024
    max_query_chars: int = 8192
    max_batch: int = 50
    upstream_timeout: float = 15.0
    workers: int = 2
    processes: int = 0
    cache_url: str | None = None
    precache: tuple[str, ...] = ()
    precache_interval: float = 2.0
    eventstreams: Mapping[str, str] = field(default_factory=dict)
    trust_forwarded: bool = False
    tokens: tuple[ApiToken, ...] = ()
    warm_up: bool = True
    json_logs: bool = True

    def with_overrides(self, **overrides: Any) -> ServeSettings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def load_settings(
    config: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> ServeSettings:
    """Settings from the ``[serve]`` table and ``WIKISCORE_API_TOKENS``; ConfigError if bad."""
    if config is None:
        from wikiscore.config import load_config

        config = load_config()
    env = os.environ if env is None else env
    table = config.get("serve", {})
    if not isinstance(table, Mapping):
        raise ConfigError("config: [serve] must be a table")
    defaults = ServeSettings()
    values: dict[str, Any] = {}
    for key, kind in (
        ("rate_limit", float),
        ("rate_burst", int),
        ("max_body_bytes", int),
        ("upstream_timeout", float),
        ("workers", int),
        ("processes", int),
        ("precache_interval", float),
    ):
        if key in table:
            values[key] = _number(table[key], kind, key)
    for key in ("trust_forwarded", "warm_up", "json_logs"):
        if key in table:
            if not isinstance(table[key], bool):
                raise ConfigError(f"config: serve.{key} must be true or false")
            values[key] = table[key]
    if "cache" in table:
        values["cache_url"] = str(table["cache"])
    if "precache" in table:
        precache = table["precache"]
        if not isinstance(precache, list) or not all(isinstance(w, str) for w in precache):
            raise ConfigError(
                'config: serve.precache must be a list of wiki names, e.g. ["enwiki"]'
            )
        values["precache"] = tuple(precache)
    streams = table.get("eventstreams", {})
    if not isinstance(streams, Mapping) or not all(isinstance(v, str) for v in streams.values()):
        raise ConfigError("config: [serve.eventstreams] must map wiki names to stream URLs")
    values["eventstreams"] = dict(streams)
    tokens = [
        *_config_tokens(table.get("tokens", [])),
        *parse_tokens_env(env.get("WIKISCORE_API_TOKENS", "")),
    ]
    values["tokens"] = tuple(tokens)
    settings = replace(defaults, **values)
    check_settings(settings)
    return settings


def check_settings(settings: ServeSettings) -> None:
    if settings.rate_limit < 0 or settings.rate_burst < 1:
        raise ConfigError("serve: rate_limit must be >= 0 and rate_burst >= 1")
    if settings.max_body_bytes < 1024:
        raise ConfigError("serve: max_body_bytes must be at least 1024")
    if not 0 < settings.upstream_timeout <= 300:
        raise ConfigError("serve: upstream_timeout must be between 0 and 300 seconds")
    if not 1 <= settings.workers <= 64:
        raise ConfigError("serve: workers must be from 1 to 64")
    if not 0 <= settings.processes <= 64:
        raise ConfigError("serve: processes must be from 0 (threads) to 64")
    if settings.precache_interval < 0.1:
        raise ConfigError("serve: precache_interval must be at least 0.1 seconds")


def parse_tokens_env(value: str) -> list[ApiToken]:
    """``name:token[:scope+scope]`` items separated by commas (scopes default to write)."""
    tokens = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        parts = item.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ConfigError(
                "WIKISCORE_API_TOKENS: expected name:token[:admin+write], got an item with "
                f"{len(parts)} field(s)"
            )
        scopes = parts[2].split("+") if len(parts) == 3 else ["write"]
        tokens.append(_token(parts[0], parts[1], scopes, "WIKISCORE_API_TOKENS"))
    return tokens


def _config_tokens(entries: Any) -> list[ApiToken]:
    if not isinstance(entries, list):
        raise ConfigError("config: serve.tokens must be an array of tables ([[serve.tokens]])")
    tokens = []
    for entry in entries:
        if not isinstance(entry, Mapping) or "token" not in entry or "name" not in entry:
            raise ConfigError('config: each [[serve.tokens]] needs name = "..." and token = "..."')
        tokens.append(
            _token(
                str(entry["name"]), str(entry["token"]), entry.get("scopes", ["write"]), "config"
            )
        )
    return tokens


def _token(name: str, token: str, scopes: Any, source: str) -> ApiToken:
    if len(token) < 16:
        raise ConfigError(f"{source}: token {name!r} is too short (at least 16 characters)")
    if not isinstance(scopes, list) or not scopes or any(s not in SCOPES for s in scopes):
        raise ConfigError(f"{source}: token {name!r}: scopes must be some of {', '.join(SCOPES)}")
    return ApiToken(name=name, token=token, scopes=frozenset(scopes))


def _number(value: Any, kind: type, key: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"config: serve.{key} must be a number")
    return kind(value)
