"""Faults in front of the real local wiki: each gives the documented error or retry, quickly.

Faults are injected by the wiki's router (``php/router.php``) only for this test's User-Agent;
maxlag uses MediaWiki's own maxlag check with a fake replication lag.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from mw_helpers import make_client, run

from wikiscore.errors import InvalidInput
from wikiscore.localwiki.server import set_fake_lag
from wikiscore.mediawiki.client import MediaWikiClient
from wikiscore.mediawiki.errors import (
    ApiError,
    MalformedResponse,
    MaxLagExceeded,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
    WikiUnreachable,
)
from wikiscore.records import RevisionRecord
from wikiscore.wikis import Wiki

pytestmark = pytest.mark.wiki
FAST = {"backoff": 0.01, "timeout": 5.0}


def site_info(wiki, **options):
    """(result or raised error, requests made, seconds taken)."""
    client, transport = make_client(wiki, **{**FAST, **options})

    async def go():
        async with client:
            try:
                return await client.site_info()
            except Exception as exc:
                return exc

    started = time.monotonic()
    result = run(go())
    return result, len(transport.requests), time.monotonic() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wiki_down_connection_refused():
    down = Wiki(dbname="downwiki", api_url=f"http://127.0.0.1:{free_port()}/api.php", local=True)
    client = MediaWikiClient(down, max_retries=2, backoff=0.01)

    async def go():
        async with client:
            revisions = await client.get_revisions([1, 2])
            try:
                await client.site_info()
            except WikiUnreachable as exc:
                return revisions, exc
            raise AssertionError("site_info did not fail")

    started = time.monotonic()
    revisions, error = run(go())
    assert time.monotonic() - started < 3
    assert all(isinstance(v, WikiUnreachable) for v in revisions.values())
    assert "cannot connect to downwiki" in error.message
    assert client.requests_made == 6  # 1 + 2 retries, twice


def test_slow_wiki_times_out_and_a_slow_moment_is_retried(local_wiki, faults):
    faults([{"kind": "delay", "seconds": 2}])
    result, requests, took = site_info(local_wiki, timeout=0.3, max_retries=1)
    assert isinstance(result, UpstreamTimeout) and "0.3 s" in result.message
    assert requests == 2 and took < 1.5

    faults([{"kind": "delay", "seconds": 2, "times": 1}])
    result, requests, _ = site_info(local_wiki, timeout=0.5, max_retries=1)
    assert isinstance(result, dict) and requests == 2


def test_maxlag_retry_after_beyond_the_budget_fails_at_once(local_wiki, faults, wiki_dir):
    set_fake_lag(wiki_dir, 7)
    result, requests, took = site_info(local_wiki, max_retry_wait=1)
    assert isinstance(result, MaxLagExceeded)
    assert result.retry_after == 5 and "lag 7 s" in result.message
    assert requests == 1 and took < 1


def test_maxlag_waits_for_retry_after_then_succeeds(local_wiki, faults, wiki_dir):
    set_fake_lag(wiki_dir, 7)
    threading.Timer(1.0, set_fake_lag, args=(wiki_dir, None)).start()
    result, requests, took = site_info(local_wiki, max_retry_wait=10, max_retries=2)
    assert isinstance(result, dict) and requests == 2
    assert 5 <= took < 9  # MediaWiki's Retry-After (5 s) was honoured


def test_http_429_retry_after(local_wiki, faults):
    faults([{"kind": "status", "status": 429, "retry_after": 1, "times": 1}])
    result, requests, took = site_info(local_wiki)
    assert isinstance(result, dict) and requests == 2 and took >= 1

    faults([{"kind": "status", "status": 429, "retry_after": 1}])
    result, requests, _ = site_info(local_wiki, max_retries=1)
    assert isinstance(result, RateLimited) and result.retry_after == 1 and requests == 2

    faults([{"kind": "status", "status": 429, "retry_after": 120}])
    result, requests, took = site_info(local_wiki)
    assert isinstance(result, RateLimited) and requests == 1 and took < 1


def test_5xx_backoff_then_success_or_error(local_wiki, faults):
    faults([{"kind": "status", "status": 503, "times": 2}])
    result, requests, _ = site_info(local_wiki)
    assert isinstance(result, dict) and requests == 3

    faults([{"kind": "status", "status": 500}])
    result, requests, _ = site_info(local_wiki, max_retries=2)
    assert isinstance(result, UpstreamError) and result.status == 500 and requests == 3


def test_truncated_json_is_retried_then_reported(local_wiki, faults):
    faults([{"kind": "truncate", "bytes": 40, "times": 1}])
    result, requests, _ = site_info(local_wiki)
    assert isinstance(result, dict) and requests == 2

    faults([{"kind": "truncate", "bytes": 40}])
    result, requests, _ = site_info(local_wiki, max_retries=1)
    assert isinstance(result, MalformedResponse) and "incomplete JSON" in result.message
    assert requests == 2


def test_connection_cut_mid_body(local_wiki, faults):
    faults([{"kind": "truncate", "bytes": 100, "full_length": True}])
    result, requests, _ = site_info(local_wiki, max_retries=1)
    assert isinstance(result, MalformedResponse) and "truncated" in result.message
    assert requests == 2


def test_html_instead_of_json_is_not_retried(local_wiki, faults):
    body = "<html><body><h1>Wiki under maintenance</h1></body></html>"
    faults([{"kind": "status", "status": 200, "content_type": "text/html", "body": body}])
    result, requests, _ = site_info(local_wiki)
    assert isinstance(result, MalformedResponse)
    assert "text/html" in result.message and "maintenance" in result.message
    assert requests == 1


def test_malformed_parameters(local_wiki):
    client, transport = make_client(local_wiki, **FAST)

    async def go():
        async with client:
            with pytest.raises(ApiError) as bad_integer:
                await client.api_get({"action": "query", "prop": "revisions", "revids": "abc"})
            with pytest.raises(InvalidInput):
                await client.get_revisions(["abc"])
            with pytest.raises(InvalidInput):
                await client.recent_changes(limit=0)
            with pytest.raises(InvalidInput):
                await client.recent_changes(types=("bogus",))
            return bad_integer.value

    error = run(go())
    assert error.code == "badinteger" and "revids" in error.info
    assert len(transport.requests) == 1  # API errors are not retried; local checks ask nothing


def test_a_failed_batch_fails_only_its_ids(local_wiki, wiki_history, faults):
    n = wiki_history["named"]
    ids = [n["albedo_creation"], n["albedo_bot_edit"], n["aikido_ipv6_edit"], n["redirect"]]
    faults([{"kind": "status", "status": 502, "times": 1}])
    client, transport = make_client(local_wiki, batch_size=2, max_retries=0)

    async def go():
        async with client:
            return await client.get_revisions(ids)

    got = run(go())
    failed = [i for i, v in got.items() if isinstance(v, UpstreamError)]
    fine = [i for i, v in got.items() if isinstance(v, RevisionRecord)]
    assert len(failed) == 2 and len(fine) == 2 and len(transport.requests) == 2


def test_ratelimited_api_error_is_retried(local_wiki, faults):
    """The body imitates MediaWiki's ``ratelimited`` answer (MediaWiki does not rate-limit the
    reads this client makes, so the router serves it); the retry then reaches the real wiki."""
    body = '{"error": {"code": "ratelimited", "info": "You\'ve exceeded your rate limit."}}'
    faults(
        [
            {
                "kind": "status",
                "status": 200,
                "content_type": "application/json",
                "body": body,
                "times": 1,
            }
        ]
    )
    result, requests, _ = site_info(local_wiki)
    assert isinstance(result, dict) and requests == 2

    faults([{"kind": "status", "status": 200, "content_type": "application/json", "body": body}])
    result, requests, _ = site_info(local_wiki, max_retries=1)
    assert isinstance(result, RateLimited) and "rate limit" in result.message and requests == 2


def test_redirects_are_not_followed(local_wiki, faults):
    faults([{"kind": "status", "status": 302, "headers": {"Location": "http://example.invalid/"}}])
    result, requests, _ = site_info(local_wiki)
    assert isinstance(result, UpstreamError) and result.status == 302
    assert "example.invalid" in result.message and requests == 1
