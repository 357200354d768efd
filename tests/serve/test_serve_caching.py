"""The serving path against the real local wiki: caching, single flight, batching, upstream
faults, precaching of a live edit, and replicas sharing scores through a real Redis.

Upstream requests are counted from the wiki's own access log (every request it received).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from serve_helpers import LiveServer, make_edits, new_app

from wikiscore.localwiki.server import access_log, clear_access_log, clear_faults, set_faults

pytestmark = pytest.mark.wiki


def _revision_requests(local_wiki: Any, rev_id: int | None = None) -> list[str]:
    uris = [entry["uri"] for entry in access_log(local_wiki.directory)]
    found = [u for u in uris if "api.php" in u and "prop=revisions" in u]
    if rev_id is None:
        return found
    return [u for u in found if str(rev_id) in u]


def _wiki_requests(local_wiki: Any) -> list[str]:
    return [e["uri"] for e in access_log(local_wiki.directory) if "api.php" in e["uri"]]


def test_second_request_is_served_from_cache(service: Any, local_wiki: Any) -> None:
    rev_ids = make_edits(local_wiki, 2)
    path = "/v3/scores/testwiki/?models=editrisk&revids=" + "|".join(map(str, rev_ids))
    clear_access_log(local_wiki.directory)
    first = service.get(path)
    assert first.status_code == 200
    assert _revision_requests(local_wiki)  # fetched from the wiki the first time
    clear_access_log(local_wiki.directory)
    second = service.get(path)
    assert second.json() == first.json()
    assert _wiki_requests(local_wiki) == []  # and not again


def test_an_explained_score_also_answers_plain_requests(service: Any, local_wiki: Any) -> None:
    (rev_id,) = make_edits(local_wiki, 1)
    explained = service.get(f"/v3/scores/testwiki/{rev_id}/editrisk?explain=true").json()
    clear_access_log(local_wiki.directory)
    plain = service.get(f"/v3/scores/testwiki/{rev_id}/editrisk").json()
    assert _wiki_requests(local_wiki) == []
    entry = plain["testwiki"]["scores"][str(rev_id)]["editrisk"]
    assert set(entry) == {"score"}
    assert entry["score"] == explained["testwiki"]["scores"][str(rev_id)]["editrisk"]["score"]


def test_identical_requests_in_flight_are_computed_once(service: Any, local_wiki: Any) -> None:
    (rev_id,) = make_edits(local_wiki, 1)
    clear_access_log(local_wiki.directory)
    # Slow the wiki's first answer down so that all requests are in flight together.
    set_faults(local_wiki.directory, [{"kind": "delay", "seconds": 1.0, "times": 1}])
    try:
        with ThreadPoolExecutor(6) as pool:
            responses = list(
                pool.map(lambda _: service.get(f"/v3/scores/testwiki/{rev_id}/editrisk"), range(6))
            )
    finally:
        clear_faults(local_wiki.directory)
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    fetches = [u for u in _revision_requests(local_wiki, rev_id) if "rvprop" in u]
    assert len(fetches) == 1, fetches


def test_a_batch_is_fetched_in_at_most_two_round_trips(service: Any, local_wiki: Any) -> None:
    rev_ids = make_edits(local_wiki, 20, ip="198.51.100.20")
    clear_access_log(local_wiki.directory)
    response = service.get(
        "/v3/scores/testwiki/?models=editrisk|reverted&revids=" + "|".join(map(str, rev_ids))
    )
    scores = response.json()["testwiki"]["scores"]
    assert all("score" in scores[str(r)]["editrisk"] for r in rev_ids)
    assert len(_wiki_requests(local_wiki)) <= 2, _wiki_requests(local_wiki)


def test_upstream_timeout_is_an_error_object_not_a_failed_request(
    testwiki_registry: Any, local_wiki: Any, tmp_path: Path
) -> None:
    (rev_id,) = make_edits(local_wiki, 1)
    app = new_app(testwiki_registry, tmp_path, upstream_timeout=0.5)
    with TestClient(app) as client:
        set_faults(local_wiki.directory, [{"kind": "delay", "seconds": 2.0, "times": 1}])
        try:
            response = client.get(f"/v3/scores/testwiki/?models=editrisk&revids={rev_id}|1")
        finally:
            clear_faults(local_wiki.directory)
        assert response.status_code == 200
        scores = response.json()["testwiki"]["scores"]
        for key in (str(rev_id), "1"):
            assert scores[key]["editrisk"]["error"]["type"] == "upstream_timeout"
        time.sleep(2.0)  # let the delayed request finish on the single-threaded wiki
        again = client.get(f"/v3/scores/testwiki/{rev_id}/editrisk").json()
        assert "score" in again["testwiki"]["scores"][str(rev_id)]["editrisk"]  # not cached
        metrics = client.get("/metrics").text
    assert 'wikiscore_upstream_errors_total{type="upstream_timeout",wiki="testwiki"}' in metrics


def test_precache_scores_an_edit_made_during_the_test(
    testwiki_registry: Any, local_wiki: Any, tmp_path: Path
) -> None:
    app = new_app(testwiki_registry, tmp_path, precache=("testwiki",), precache_interval=0.5)
    with TestClient(app) as client:
        worker = app.state.wikiscore.precache["testwiki"]
        deadline = time.monotonic() + 30
        while worker.status.polls < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.status.polls >= 1, worker.status
        (rev_id,) = make_edits(local_wiki, 1, ip="203.0.113.9")
        saved = time.monotonic()
        scorer = app.state.wikiscore.scorer
        key = None
        while time.monotonic() - saved < 15:
            keys = [k for k in list(scorer.memory._items) if k.split("|")[3] == str(rev_id)]
            if keys:
                key = keys[0]
                break
            time.sleep(0.1)
        waited = time.monotonic() - saved
        assert key is not None, f"edit {rev_id} not precached: {worker.status.to_json()}"
        assert waited < 5, f"precaching took {waited:.1f} s"
        clear_access_log(local_wiki.directory)
        response = client.get(f"/v3/scores/testwiki/{rev_id}/editrisk")
        assert "score" in response.json()["testwiki"]["scores"][str(rev_id)]["editrisk"]
        assert _revision_requests(local_wiki) == []  # answered from the precached score
        ready = client.get("/readyz").json()
        assert ready["precache"]["testwiki"]["scored"] >= 1


@pytest.mark.redis
def test_replicas_share_scores_through_redis(
    testwiki_registry: Any, local_wiki: Any, redis_url: str, tmp_path: Path
) -> None:
    (rev_id,) = make_edits(local_wiki, 1)
    replica_a = new_app(testwiki_registry, tmp_path / "a", cache_url=redis_url)
    replica_b = new_app(testwiki_registry, tmp_path / "b", cache_url=redis_url)
    path = f"/v3/scores/testwiki/{rev_id}/editrisk"
    with TestClient(replica_a) as a, TestClient(replica_b) as b:
        first = a.get(path).json()
        # Scores are written to the slower tiers just after the answer: wait for Redis.
        shared = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 5
        while not any(str(rev_id) in k.decode() for k in shared.keys("wikiscore:scores:*")):
            assert time.monotonic() < deadline, "replica A never wrote to Redis"
            time.sleep(0.05)
        shared.close()
        clear_access_log(local_wiki.directory)
        second = b.get(path).json()
    assert second == first
    assert _revision_requests(local_wiki) == []  # replica B never asked the wiki


def test_precache_follows_an_eventstream(
    testwiki_registry: Any, local_wiki: Any, tmp_path: Path
) -> None:
    """EventStreams is Wikimedia's public service and cannot run here: a small local
    server-sent-events endpoint stands in for it, announcing real edits just made to the local
    wiki (plus an event of another wiki and a log event, which must be ignored)."""
    import asyncio
    import json
    from datetime import UTC, datetime

    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    rev_ids = make_edits(local_wiki, 2, ip="203.0.113.44")
    now = datetime.now(UTC).timestamp()
    events = [
        {"wiki": "otherwiki", "type": "edit", "revision": {"new": 1}, "timestamp": now},
        {"wiki": "testwiki", "type": "log", "timestamp": now},
        *(
            {"wiki": "testwiki", "type": "edit", "revision": {"new": r}, "timestamp": now}
            for r in rev_ids
        ),
    ]

    async def stream(_request: Any) -> StreamingResponse:
        async def body() -> Any:
            yield ":ok\n\n"
            for event in events:
                yield f"event: message\nid: x\ndata: {json.dumps(event)}\n\n"
            await asyncio.sleep(30)  # an open stream, as EventStreams keeps it

        return StreamingResponse(body(), media_type="text/event-stream")

    sse = Starlette(routes=[Route("/v2/stream/recentchange", stream)])
    with LiveServer(sse) as source:
        url = f"{source.url}/v2/stream/recentchange"
        app = new_app(
            testwiki_registry, tmp_path, precache=("testwiki",), eventstreams={"testwiki": url}
        )
        with TestClient(app) as client:
            worker = app.state.wikiscore.precache["testwiki"]
            deadline = time.monotonic() + 15
            while worker.status.scored < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert worker.status.source == "eventstreams"
            assert worker.status.scored == 2, worker.status.to_json()
            clear_access_log(local_wiki.directory)
            path = "/v3/scores/testwiki/?models=editrisk&revids=" + "|".join(map(str, rev_ids))
            scores = client.get(path).json()["testwiki"]["scores"]
            assert all("score" in scores[str(r)]["editrisk"] for r in rev_ids)
            assert _revision_requests(local_wiki) == []
