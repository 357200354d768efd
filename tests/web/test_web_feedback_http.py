"""Feedback over HTTP on the real service app (no wiki needed): CSRF and same-origin checks,
clear 4xx messages, idempotent retries, API-token reviewers, and many reviewers posting at
once to a live uvicorn server."""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from wikiscore.serve.app import create_app
from wikiscore.serve.settings import ApiToken, ServeSettings
from wikiscore.store import Store
from wikiscore.web.feedback import FeedbackStore
from wikiscore.wikis import WikiRegistry, default_registry, parse_wikis_env

TOKEN = ApiToken(name="patrol-bot", token="t" * 40, scopes=frozenset({"write"}))
READ_TOKEN = ApiToken(name="reader", token="r" * 40, scopes=frozenset({"read"}))


def _registry() -> WikiRegistry:
    registry = default_registry(config={}, env={})
    for wiki in parse_wikis_env("testwiki=http://127.0.0.1:9/api.php@en"):
        registry = registry.with_wiki(wiki)
    return registry


def _app(store_path: Path) -> Any:
    settings = ServeSettings(warm_up=False, rate_limit=0, tokens=(TOKEN, READ_TOKEN))
    return create_app(_registry(), settings=settings, store=Store(store_path))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(tmp_path / "store.sqlite3"), base_url="http://testserver") as c:
        yield c


def _csrf(client: TestClient) -> str:
    page = client.get("/patrol/stats")
    assert page.status_code == 200
    match = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page.text)
    assert match, "the page carries its CSRF token"
    return match.group(1)


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "wiki": "testwiki",
        "rev_id": 42,
        "model": "enwiki-editrisk",
        "model_version": "1.0.0",
        "score": 0.93,
        "level": "very_likely_bad",
        "verdict": "false_positive",
        "editor_anon": True,
        "submission_id": str(uuid.uuid4()),
    }
    body.update(overrides)
    return body


def _stored(client: TestClient) -> list[Any]:
    store = client.app.state.wikiscore.store  # type: ignore[attr-defined]
    return list(FeedbackStore(store).iter_all())


def test_pages_are_accessible_and_protected(client: TestClient) -> None:
    page = client.get("/patrol/stats")
    assert page.status_code == 200
    assert '<html lang="en"' in page.text
    assert 'class="skip-link" href="#main"' in page.text and 'id="main"' in page.text
    assert "never used to train models automatically" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    cookie = page.headers["set-cookie"]
    assert "wikiscore_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()


def test_json_feedback_with_csrf_is_stored_and_retries_are_idempotent(client: TestClient) -> None:
    token = _csrf(client)
    body = _body(note="a good edit")
    first = client.post("/patrol/feedback", json=body, headers={"X-CSRF-Token": token})
    assert first.status_code == 201, first.text
    stored = first.json()["feedback"]
    assert stored["verdict"] == "false_positive" and stored["reviewer"].startswith("reviewer-")
    assert stored["reviewer_kind"] == "session" and stored["model_version"] == "1.0.0"
    retry = client.post("/patrol/feedback", json=body, headers={"X-CSRF-Token": token})
    assert retry.status_code == 200 and retry.json()["created"] is False
    assert len(_stored(client)) == 1


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing CSRF token"),
        ({"X-CSRF-Token": "0" * 64}, "does not match this session"),
        ({"Origin": "http://evil.example"}, "another origin"),
        ({"Sec-Fetch-Site": "cross-site"}, "cross-site request refused"),
        ({"Origin": "null"}, "opaque origin"),
    ],
)
def test_csrf_and_cross_origin_posts_are_refused(
    client: TestClient, headers: dict[str, str], message: str
) -> None:
    token = _csrf(client)
    if "X-CSRF-Token" not in headers and headers:
        headers = {**headers, "X-CSRF-Token": token}
    response = client.post("/patrol/feedback", json=_body(), headers=headers)
    assert response.status_code == 403
    assert message in response.json()["error"]["message"]
    assert _stored(client) == []


def test_a_token_from_another_session_is_refused(tmp_path: Path) -> None:
    app = _app(tmp_path / "s.sqlite3")
    with TestClient(app) as alice, TestClient(app) as mallory:
        alice_token = _csrf(alice)
        _csrf(mallory)
        response = mallory.post(
            "/patrol/feedback", json=_body(), headers={"X-CSRF-Token": alice_token}
        )
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"verdict": "meh"}, 400, "verdict: must be one of correct, false_positive"),
        ({"score": 3}, 400, "score: Input should be less than or equal to 1"),
        ({"rev_id": -5}, 400, "rev_id: Input should be greater than 0"),
        ({"note": "x" * 2001}, 400, "note: String should have at most 2000 characters"),
        ({"wiki": "nosuchwiki"}, 404, "unknown wiki 'nosuchwiki'"),
        ({"level": "terrible"}, 400, "level: must be one of likely_good"),
        ({"model_version": ""}, 400, "model_version: must be a model version"),
    ],
)
def test_invalid_feedback_gets_a_clear_4xx(
    client: TestClient, overrides: dict[str, Any], status: int, message: str
) -> None:
    token = _csrf(client)
    response = client.post(
        "/patrol/feedback", json=_body(**overrides), headers={"X-CSRF-Token": token}
    )
    assert response.status_code == status
    assert message in response.json()["error"]["message"]
    assert _stored(client) == []


def test_malformed_bodies_get_a_clear_400(client: TestClient) -> None:
    token = _csrf(client)
    headers = {"X-CSRF-Token": token, "Content-Type": "application/json"}
    broken = client.post("/patrol/feedback", content=b"{not json", headers=headers)
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]["message"]
    listed = client.post("/patrol/feedback", content=b"[1, 2]", headers=headers)
    assert listed.status_code == 400 and "JSON object" in listed.json()["error"]["message"]
    plain = client.post(
        "/patrol/feedback",
        content=b"hello",
        headers={"X-CSRF-Token": token, "Content-Type": "text/plain", "Accept": "application/json"},
    )
    assert plain.status_code == 400 and "form or as JSON" in plain.json()["error"]["message"]


def test_form_post_redirects_back_and_refuses_open_redirects(client: TestClient) -> None:
    token = _csrf(client)
    form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in _body().items()}
    ok = client.post(
        "/patrol/feedback",
        data={**form, "csrf_token": token, "next": "/patrol/review/testwiki/42?model=m"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/patrol/review/testwiki/42?model=m&saved=false_positive"
    evil = client.post(
        "/patrol/feedback",
        data={**form, "submission_id": str(uuid.uuid4()), "csrf_token": token,
              "next": "//evil.example/x"},
        follow_redirects=False,
    )  # fmt: skip
    assert evil.status_code == 303 and evil.headers["location"] == "/?saved=false_positive"
    bad = client.post("/patrol/feedback", data={**form, "verdict": "x", "csrf_token": token})
    assert bad.status_code == 400 and "verdict: must be one of" in bad.text
    assert "text/html" in bad.headers["content-type"]


def test_reviewer_name_is_kept_with_feedback(client: TestClient) -> None:
    token = _csrf(client)
    named = client.post(
        "/patrol/reviewer",
        data={"reviewer": "  Ann   Patroller ", "csrf_token": token, "next": "/patrol/stats"},
        follow_redirects=False,
    )
    assert named.status_code == 303 and named.headers["location"] == "/patrol/stats"
    assert "Reviewing as Ann Patroller" in client.get("/patrol/stats").text
    client.post("/patrol/feedback", json=_body(), headers={"X-CSRF-Token": token})
    assert [f.reviewer for f in _stored(client)] == ["Ann Patroller"]
    empty = client.post("/patrol/reviewer", data={"reviewer": " ", "csrf_token": token})
    assert empty.status_code == 400 and "must not be empty" in empty.text
    forged = client.post("/patrol/reviewer", data={"reviewer": "Eve"})
    assert forged.status_code == 403


def test_api_token_reviewers_need_no_csrf(client: TestClient) -> None:
    ok = client.post(
        "/patrol/feedback", json=_body(), headers={"Authorization": f"Bearer {TOKEN.token}"}
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["feedback"]["reviewer"] == "patrol-bot"
    assert ok.json()["feedback"]["reviewer_kind"] == "token"
    for header in (f"Bearer {READ_TOKEN.token}", "Bearer wrong"):
        refused = client.post("/patrol/feedback", json=_body(), headers={"Authorization": header})
        assert refused.status_code == 401
        assert "write scope" in refused.json()["error"]["message"]
    assert len(_stored(client)) == 1


def test_stats_page_counts_latest_verdicts(client: TestClient) -> None:
    token = _csrf(client)
    for verdict, level in [
        ("false_positive", "very_likely_bad"),
        ("correct", "very_likely_bad"),
        ("false_positive", "likely_bad"),
    ]:
        body = _body(verdict=verdict, level=level, rev_id=len(verdict) + len(level))
        assert client.post(
            "/patrol/feedback", json=body, headers={"X-CSRF-Token": token}
        ).status_code == 201  # fmt: skip
    page = client.get("/patrol/stats?model=enwiki-editrisk").text
    assert "enwiki-editrisk, version 1.0.0" in page
    assert "3 reviews by 1 reviewer," in page
    assert "50% of 2 decided" in page  # very likely bad: 1 false positive of 2
    assert "100% of 1 decided" in page  # likely bad
    assert "No feedback yet." in client.get("/patrol/stats?model=other").text


def test_static_files_are_cacheable_and_confined(client: TestClient) -> None:
    page = client.get("/patrol/stats").text
    css_url = re.search(r'href="(/patrol/static/patrol\.css\?v=[0-9a-f]+)"', page)
    assert css_url
    css = client.get(css_url.group(1))
    assert css.status_code == 200 and "immutable" in css.headers["cache-control"]
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/patrol/static/patrol.js").headers["cache-control"] == "no-cache"
    for name in ("../routes.py", "secret.txt", "%2e%2e%2fserve"):
        assert client.get(f"/patrol/static/{name}").status_code == 404


# -- many reviewers at once, over real HTTP ----------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_many_reviewers_post_at_once(tmp_path: Path) -> None:
    import uvicorn

    db = tmp_path / "store.sqlite3"
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(_app(db), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    failures: list[str] = []

    def reviewer(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            page = http.get("/patrol/stats").text
            token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
            for i in range(15):
                response = http.post(
                    "/patrol/feedback",
                    json=_body(rev_id=1 + i, verdict="correct"),
                    headers={"X-CSRF-Token": token, "Origin": base},
                )
                if response.status_code != 201:
                    failures.append(f"{n}/{i}: {response.status_code} {response.text}")

    try:
        threads = [threading.Thread(target=reviewer, args=(n,)) for n in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert failures == []
    rows = list(FeedbackStore(Store(db)).iter_all())
    assert len(rows) == 150
    assert len({r.reviewer for r in rows}) == 10  # one pseudonymous session per reviewer


@pytest.mark.parametrize("trusted", [True, False])
def test_origin_behind_a_reverse_proxy(tmp_path: Path, trusted: bool) -> None:
    """A proxy that rewrites Host: its X-Forwarded-Host counts only when the operator trusts it."""
    settings = ServeSettings(warm_up=False, rate_limit=0, trust_forwarded=trusted)
    app = create_app(_registry(), settings=settings, store=Store(tmp_path / "s.sqlite3"))
    with TestClient(app) as client:
        token = _csrf(client)
        headers = {
            "X-CSRF-Token": token,
            "Origin": "https://patrol.example.org",
            "X-Forwarded-Host": "patrol.example.org",
        }
        response = client.post("/patrol/feedback", json=_body(), headers=headers)
        assert response.status_code == (201 if trusted else 403)
