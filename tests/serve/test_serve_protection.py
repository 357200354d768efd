"""Settings, tokens, rate limits, size limits, error shapes, operations routes and docs.

These need no wiki and no model: the app is built on a registry whose only wiki has a language
no model serves, so every scoring route must answer with a clear error, never a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from wikiscore.errors import ConfigError, InvalidInput
from wikiscore.serve.app import create_app
from wikiscore.serve.logs import JsonFormatter
from wikiscore.serve.protection import RateLimiter, find_token
from wikiscore.serve.settings import ServeSettings, load_settings, parse_tokens_env
from wikiscore.serve.shapes import parse_info_path
from wikiscore.store import Store
from wikiscore.wikis import Wiki, WikiRegistry

ADMIN = "admin-token-0123456789abcdef"
WRITER = "write-token-0123456789abcdef"


def _registry() -> WikiRegistry:
    # A language no model serves: scoring routes must say so instead of failing.
    wiki = Wiki("zuwiki_local", "http://127.0.0.1:9/api.php", lang="zu", local=True)
    return WikiRegistry({wiki.dbname: wiki})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ServeSettings(
        rate_limit=2,
        rate_burst=5,
        max_body_bytes=4096,
        max_query_chars=300,
        tokens=tuple(parse_tokens_env(f"ops:{ADMIN}:admin,tool:{WRITER}:write")),
    )
    app = create_app(_registry(), settings=settings, store=Store(tmp_path / "s.sqlite3"))
    with TestClient(app) as test_client:
        yield test_client


def _error(response: Any) -> dict[str, Any]:
    doc = response.json()
    assert set(doc) == {"error"}, doc
    assert {"type", "code", "message"} <= set(doc["error"])
    return dict(doc["error"])


def test_settings_from_config_and_env() -> None:
    config = {
        "serve": {
            "rate_limit": 5,
            "precache": ["enwiki"],
            "tokens": [{"name": "ops", "token": "x" * 20, "scopes": ["admin"]}],
        }
    }
    settings = load_settings(config, env={"WIKISCORE_API_TOKENS": f"bot:{'y' * 16}"})
    assert settings.rate_limit == 5.0 and settings.precache == ("enwiki",)
    assert [(t.name, sorted(t.scopes)) for t in settings.tokens] == [
        ("ops", ["admin"]),
        ("bot", ["write"]),
    ]
    assert settings.tokens[0].allows("write") and not settings.tokens[1].allows("admin")


@pytest.mark.parametrize(
    ("config", "env", "match"),
    [
        ({"serve": {"rate_limit": "fast"}}, {}, "rate_limit must be a number"),
        ({"serve": {"precache": "enwiki"}}, {}, "list of wiki names"),
        ({}, {"WIKISCORE_API_TOKENS": "nocolon"}, "name:token"),
        ({}, {"WIKISCORE_API_TOKENS": "a:short"}, "too short"),
        ({}, {"WIKISCORE_API_TOKENS": f"a:{'z' * 20}:root"}, "scopes"),
        ({"serve": {"workers": 0}}, {}, "workers"),
    ],
)
def test_bad_settings_say_what_is_wrong(config: Any, env: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_settings(config, env=env)


def test_rate_limiter_refills_at_the_configured_rate() -> None:
    limiter = RateLimiter(rate=2.0, burst=3)
    assert [limiter.check("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check("a", now=0.0) == pytest.approx(0.5)
    assert limiter.check("b", now=0.0) == 0.0  # clients are independent
    assert limiter.check("a", now=0.5) == 0.0  # one token back after 1/rate seconds
    assert limiter.check("a", now=0.5) > 0


def test_token_lookup_needs_the_exact_bearer_token() -> None:
    tokens = parse_tokens_env(f"ops:{ADMIN}:admin")
    assert find_token(tokens, f"Bearer {ADMIN}") == tokens[0]
    assert find_token(tokens, f"bearer  {ADMIN} ") == tokens[0]
    assert find_token(tokens, f"Bearer {ADMIN}x") is None
    assert find_token(tokens, ADMIN) is None and find_token(tokens, None) is None


def test_model_info_paths_keep_quoted_dots() -> None:
    assert parse_info_path('statistics.thresholds.true."maximum recall @ precision >= 0.9"') == [
        "statistics",
        "thresholds",
        "true",
        "maximum recall @ precision >= 0.9",
    ]
    with pytest.raises(InvalidInput, match="unmatched quote"):
        parse_info_path('statistics."open')
    with pytest.raises(InvalidInput, match="empty part"):
        parse_info_path("statistics..x")


def test_health_docs_openapi_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    schema = client.get("/openapi.json").json()
    assert "/v3/scores/{context}/" in schema["paths"]
    assert "/v1/models/{name}:predict" in schema["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()  # works offline: the script is served by us
    script = client.get("/static/docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    metrics = client.get("/metrics").text
    assert 'wikiscore_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics
    assert "wikiscore_http_request_duration_seconds_bucket" in metrics


def test_unknown_context_lists_what_exists(client: TestClient) -> None:
    response = client.get("/v3/scores/zuwiki_local/?revids=1")
    assert response.status_code == 404
    assert "no model for its language (zu)" in _error(response)["message"]
    response = client.get("/v3/scores/nosuchwiki/?revids=1")
    assert response.status_code == 404 and "not a registered wiki" in _error(response)["message"]
    assert client.get("/v3/scores/").json() == {}


def test_bad_requests_are_400_with_a_message(client: TestClient) -> None:
    cases = [
        (client.post("/v1/models/editrisk:predict", content=b"{not json"), "not valid JSON"),
        (client.post("/v1/models/editrisk:predict", content=b"[1]"), "must be a JSON object"),
        (client.post("/v1/models/editrisk:predict", content=b""), "body is empty"),
        (client.post("/v1/models/editrisk:predict", content=b"[" * 3000), "nests too deeply"),
    ]
    for response, words in cases:
        assert response.status_code == 400, response.text
        assert words in _error(response)["message"]


def test_size_limits(client: TestClient) -> None:
    big = json.dumps({"rev_id": 1, "lang": "en", "pad": "x" * 5000}).encode()
    response = client.post("/v1/models/editrisk:predict", content=big)
    assert response.status_code == 413 and _error(response)["type"] == "request_too_large"
    response = client.get("/v3/scores/zuwiki_local/?revids=" + "1|" * 200)
    assert response.status_code == 414


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404 and _error(response)["type"] == "not_found"
    response = client.delete("/healthz")
    assert response.status_code == 405 and _error(response)["type"] == "method_not_allowed"


def test_admin_endpoints_need_an_admin_token(client: TestClient) -> None:
    response = client.post("/admin/models/reload")
    assert response.status_code == 401 and "Bearer" in response.headers["www-authenticate"]
    response = client.post("/admin/models/reload", headers={"Authorization": f"Bearer {WRITER}"})
    assert response.status_code == 403 and "admin" in _error(response)["message"]
    response = client.get("/admin/status", headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 200 and response.json()["by"] == "ops"
    assert ADMIN not in response.text  # tokens are never echoed


def test_admin_endpoints_refuse_when_no_token_is_configured(tmp_path: Path) -> None:
    app = create_app(_registry(), store=Store(tmp_path / "s.sqlite3"))
    with TestClient(app) as test_client:
        response = test_client.get("/admin/status", headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code == 403 and "none is configured" in _error(response)["message"]


def test_rate_limit_answers_429_with_retry_after(client: TestClient) -> None:
    statuses = [client.get("/v3/scores/").status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    response = client.get("/v3/scores/")
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert _error(response)["type"] == "rate_limited"
    # Monitoring and token holders are not throttled.
    assert client.get("/healthz").status_code == 200
    assert (
        client.get("/v3/scores/", headers={"Authorization": f"Bearer {WRITER}"}).status_code == 200
    )


def test_json_log_lines_carry_fields() -> None:
    record = logging.LogRecord("wikiscore.access", logging.INFO, "x", 1, "request", None, None)
    record.fields = {"event": "request", "status": 200, "route": "/healthz"}
    doc = json.loads(JsonFormatter().format(record))
    assert doc["event"] == "request" and doc["status"] == 200 and doc["level"] == "info"
