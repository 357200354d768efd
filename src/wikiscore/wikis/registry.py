"""Wiki registry: the default Wikipedia table, the config file and ``WIKISCORE_WIKIS``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wikiscore.errors import ConfigError, UnknownWiki
from wikiscore.wikis.languages import CONTENT_LANGUAGE, DBNAME_EXCEPTIONS, WIKIPEDIA_CODES

_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*$")
_NAME_RE = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class Wiki:
    """One wiki wikiscore may talk to."""

    dbname: str
    api_url: str
    lang: str = "en"
    # Requests in flight at once; Wikimedia asks for serial requests by default.
    max_concurrency: int = 1
    # True for wikis added by configuration (local test/demo wikis), False for the default table.
    local: bool = False

    @property
    def index_url(self) -> str:
        """``index.php`` next to ``api.php`` (for links to diffs and pages)."""
        base = self.api_url.rsplit("/", 1)[0]
        return f"{base}/index.php"

    @property
    def host(self) -> str:
        return urlsplit(self.api_url).netloc

    def diff_url(self, rev_id: int) -> str:
        return f"{self.index_url}?diff={rev_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "dbname": self.dbname,
            "api_url": self.api_url,
            "lang": self.lang,
            "max_concurrency": self.max_concurrency,
            "local": self.local,
        }


def _wikipedia(code: str) -> Wiki:
    dbname = DBNAME_EXCEPTIONS.get(code, code.replace("-", "_") + "wiki")
    return Wiki(
        dbname=dbname,
        api_url=f"https://{code}.wikipedia.org/w/api.php",
        lang=CONTENT_LANGUAGE.get(code, code),
    )


class WikiRegistry(Mapping[str, Wiki]):
    """An immutable-by-convention mapping dbname → :class:`Wiki`."""

    def __init__(self, wikis: dict[str, Wiki] | None = None) -> None:
        self._wikis: dict[str, Wiki] = dict(wikis or {})

    def __getitem__(self, name: str) -> Wiki:
        return self._wikis[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._wikis)

    def __len__(self) -> int:
        return len(self._wikis)

    def get_wiki(self, name: str) -> Wiki:
        """The wiki called ``name``; :class:`UnknownWiki` naming a few known ones otherwise."""
        wiki = self._wikis.get(name)
        if wiki is None:
            local = [w for w in self._wikis.values() if w.local]
            examples = ", ".join(w.dbname for w in local[:5]) or "enwiki, frwiki, dewiki"
            raise UnknownWiki(
                f"unknown wiki {name!r}: wikis are named by database name (e.g. {examples}); "
                "add local wikis with WIKISCORE_WIKIS or the [wikis] table of the config file"
            )
        return wiki

    def with_wiki(self, wiki: Wiki) -> WikiRegistry:
        return WikiRegistry({**self._wikis, wiki.dbname: wiki})

    def local_wikis(self) -> list[Wiki]:
        return [w for w in self._wikis.values() if w.local]

    def by_lang(self, lang: str) -> list[Wiki]:
        return [w for w in self._wikis.values() if w.lang == lang]


def parse_wikis_env(value: str) -> list[Wiki]:
    """Parse ``name=URL[@lang][,name2=URL2[@lang]]`` (language defaults to en)."""
    wikis = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, sep, rest = item.partition("=")
        name = name.strip()
        if not sep or not name or not rest:
            raise ConfigError(f"WIKISCORE_WIKIS: expected name=URL[@lang], got {item!r}")
        url, lang = rest.strip(), "en"
        head, at, tail = url.rpartition("@")
        if at and "/" not in tail and _LANG_RE.match(tail):
            url, lang = head, tail
        wikis.append(_local_wiki(name, url, lang, 1, "WIKISCORE_WIKIS"))
    return wikis


def _local_wiki(name: str, url: str, lang: str, concurrency: Any, source: str) -> Wiki:
    if not _NAME_RE.match(name):
        raise ConfigError(f"{source}: wiki name {name!r} must be a database name like enwiki")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{source}: {name}: API URL must be http(s)://host/.../api.php, got {url!r}"
        )
    if not _LANG_RE.match(lang):
        raise ConfigError(f"{source}: {name}: {lang!r} is not a language code")
    if not isinstance(concurrency, int) or not 1 <= concurrency <= 32:
        raise ConfigError(f"{source}: {name}: max_concurrency must be an integer from 1 to 32")
    return Wiki(dbname=name, api_url=url, lang=lang, max_concurrency=concurrency, local=True)


def _config_wikis(config: dict[str, Any]) -> list[Wiki]:
    """``[wikis.NAME]`` tables: ``api = "http://..."``, optional ``lang``, ``max_concurrency``."""
    table = config.get("wikis", {})
    if not isinstance(table, dict):
        raise ConfigError("config: [wikis] must be a table of tables")
    wikis = []
    for name, entry in table.items():
        if not isinstance(entry, dict) or "api" not in entry:
            raise ConfigError(f'config: [wikis.{name}] needs api = "http://.../api.php"')
        wikis.append(
            _local_wiki(
                name,
                str(entry["api"]),
                str(entry.get("lang", "en")),
                entry.get("max_concurrency", 1),
                "config",
            )
        )
    return wikis


def default_registry(
    config: dict[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> WikiRegistry:
    """Wikipedia language editions, then config-file wikis, then ``WIKISCORE_WIKIS`` (last wins)."""
    if config is None:
        from wikiscore.config import load_config

        config = load_config()
    env = os.environ if env is None else env
    wikis = {w.dbname: w for w in map(_wikipedia, dict.fromkeys(WIKIPEDIA_CODES))}
    for wiki in _config_wikis(config):
        wikis[wiki.dbname] = wiki
    for wiki in parse_wikis_env(env.get("WIKISCORE_WIKIS", "")):
        wikis[wiki.dbname] = wiki
    return WikiRegistry(wikis)
