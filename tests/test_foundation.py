"""The wiki registry, config and store basics."""

from __future__ import annotations

import pytest

from wikiscore.errors import ConfigError, InvalidInput, UnknownWiki
from wikiscore.records import revision_from_json
from wikiscore.store import Store
from wikiscore.wikis import default_registry, parse_wikis_env


def test_default_registry_covers_wikipedias_and_languages() -> None:
    registry = default_registry(config={}, env={})
    assert registry["enwiki"].api_url == "https://en.wikipedia.org/w/api.php"
    assert registry["frwiki"].lang == "fr"
    assert registry["simplewiki"].lang == "en"
    assert registry["be_x_oldwiki"].api_url.startswith("https://be-tarask.")
    assert len(registry) > 300
    assert not any(w.local for w in registry.values())


def test_env_wikis_with_and_without_language() -> None:
    wikis = parse_wikis_env("a=http://127.0.0.1:1/api.php, b=http://[::1]:2/w/api.php@fr")
    assert [(w.dbname, w.api_url, w.lang) for w in wikis] == [
        ("a", "http://127.0.0.1:1/api.php", "en"),
        ("b", "http://[::1]:2/w/api.php", "fr"),
    ]


@pytest.mark.parametrize("bad", ["noequals", "x=ftp://h/api.php", "Bad Name=http://h/api.php"])
def test_env_wikis_rejects_malformed(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_wikis_env(bad)


def test_config_file_wikis_and_unknown_wiki() -> None:
    config = {"wikis": {"testwiki": {"api": "http://127.0.0.1:9/api.php", "lang": "de"}}}
    registry = default_registry(config=config, env={})
    assert registry["testwiki"].lang == "de" and registry["testwiki"].local
    with pytest.raises(UnknownWiki, match="unknown wiki 'nope'"):
        registry.get_wiki("nope")


def test_store_kv_expiry_and_durability(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    store.kv_put("ns", "keep", b"1")
    store.kv_put("ns", "gone", b"2", ttl=-1)
    assert store.kv_get_many("ns", ["keep", "gone"]) == {"keep": b"1"}
    store.close()
    reopened = Store(tmp_path / "s.sqlite3")
    assert reopened.kv_get("ns", "keep") == b"1"
    assert reopened.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_revision_record_validation_names_the_field() -> None:
    with pytest.raises(InvalidInput, match="timestamp"):
        revision_from_json({"rev_id": 1, "timestamp": "yesterday"})
    record = revision_from_json(
        {
            "rev_id": 5,
            "text": "x",
            "parent_text": "",
            "timestamp": "20150101000000",
            "user": {"name": "192.0.2.1", "anon": True},
            "page": {"title": "T", "namespace": 0},
        }
    )
    assert record.user.id == 0 and record.is_creation
    assert record.to_json()["timestamp"] == "2015-01-01T00:00:00Z"
